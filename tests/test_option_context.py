"""An option's ``context:``: its labels are translated with that msgctxt (pgettext), because a Welsh
answer echoes the question's verb ("Do" they listened, "Ydw" I feel safer), so "Yes" cannot be
translated once for every question. A catalogue without the context keeps working: the translation
without it stands in, then the English."""

from __future__ import annotations

from io import BytesIO

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.mofile import write_mo
from babel.support import Translations
from conftest import Plain, inline_dialogue

from app.dialogue import DialogueError, Facts
from app.dialogue import render as rendering
from app.dialogue.engine import Dialogue
from app.dialogue.extract import extract_dialogue

TINY = """
id: tiny
version: 1
title: Tiny
start: listened
lists:
  said:
    from: [listened]
steps:
  listened:
    kind: choice
    ask:
      self: Did people listen to you?
      easy: Did people listen?
    options:
      - value: "yes"
        label: "Yes"
        easy: "Yes, they listened"
        context: listened
      - value: "no"
        label: "No"
        context: listened
  safer:
    kind: choice
    ask: Do you feel safer?
    options:
      - value: "yes"
        label: "Yes"
        context: safer
      - value: "no"
        label: "No"
  again:
    kind: choice
    ask: Which answer?
    options_from: said
  bye:
    kind: end
    say: Thank you
"""

# A Welsh catalogue as a translator would leave it: "Yes" with two contexts and without; "No" only
# without one (made before the contexts were); the Easy Read label not translated yet.
WELSH = {
    ("listened", "Yes"): "Do",
    ("safer", "Yes"): "Ydw",
    (None, "Yes"): "Ie",
    (None, "No"): "Na",
}


class Welsh(Plain):
    def gettext(self, message):
        return WELSH.get((None, message), message)

    def pgettext(self, context, message):
        return WELSH.get((context, message), message)


def load(text: str = TINY) -> Dialogue:
    return inline_dialogue(text)


def labels(key: str, tr, facts: Facts | None = None) -> list[str]:
    return [o["label"] for o in rendering.options(load(), key, facts or Facts(), tr)]


def test_the_same_words_are_translated_for_each_question():
    assert labels("listened", Welsh()) == ["Do", "Na"]
    assert labels("safer", Welsh()) == ["Ydw", "Na"]


def test_without_a_translation_in_its_context_the_one_without_stands_in_then_the_english():
    assert labels("listened", Welsh())[1] == "Na"  # "No" has no "listened" translation yet
    assert labels("listened", Welsh(), Facts(easy_read=True)) == ["Yes, they listened", "Na"]
    assert labels("safer", Plain()) == ["Yes", "No"]


def test_a_translator_without_pgettext_still_draws_the_options():
    class Old:
        def gettext(self, message):
            return WELSH.get((None, message), message)

        def ngettext(self, singular, plural, n):
            return singular if n == 1 else plural

    assert labels("listened", Old()) == ["Ie", "Na"]


def test_an_item_made_from_an_option_keeps_its_context():
    facts = Facts(answers={"listened": "yes"})
    assert labels("again", Welsh(), facts) == ["Do"]
    assert [i.text for i in load().items("said", facts)] == ["Yes"]  # kept by its words, as before


def test_babel_extracts_the_labels_with_their_msgctxt():
    found = {
        (context, message)
        for _, message, _, context in extract(
            extract_dialogue, BytesIO(TINY.encode()), DEFAULT_KEYWORDS, options={}
        )
    }
    assert {("listened", "Yes"), ("listened", "Yes, they listened"), ("listened", "No")} <= found
    assert {("safer", "Yes"), (None, "No"), (None, "Did people listen to you?")} <= found
    assert (None, "listened") not in found  # the context itself is not a message


def test_the_apps_translator_looks_up_the_context_in_a_compiled_catalogue():
    from app.i18n import FlaskTranslator

    catalogue = Catalog(locale="cy")
    catalogue.add("Yes", "Ie")
    catalogue.add("Yes", "Do", context="listened")
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    tr = FlaskTranslator(Translations(compiled), "cy")
    assert labels("listened", tr)[0] == "Do"
    assert labels("safer", tr)[0] == "Ie"  # no "safer" entry: the one without a context


@pytest.mark.parametrize("bad", ['""', "[listened]", '"two\\nlines"'])
def test_a_context_is_a_word_or_two_on_one_line(bad):
    text = TINY.replace("context: safer", f"context: {bad}")
    with pytest.raises(DialogueError) as caught:
        load(text)
    assert [p.code for p in caught.value.problems] == ["D004"]
    assert "'context' must be a word or two on one line naming the question" in str(caught.value)
