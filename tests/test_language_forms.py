"""Placeholders filled as each language needs them.

Arabic and Urdu are written right to left: a name or an item put into a sentence ({name}, {item}) is
wrapped in First Strong Isolate U+2068 ... Pop Directional Isolate U+2069, so that a Latin name or a
typed answer ending in punctuation keeps its own order and does not reorder the sentence around it.
Left-to-right languages, English above all, get exactly what they got before.

Welsh: with no name given, {name} is "the person", "y person" in Welsh; after a word ending in a vowel
the article is "'r" (mae'r person, hoffai'r person), and a sentence starts "Y person". A real name is
put in as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.dialogue import Facts, Registry
from app.dialogue import render as rendering
from app.dialogue.render import FSI, PDI, isolate, welsh_person
from app.i18n import translating

ROOT = Path(__file__).resolve().parents[1]
PART1 = {"outcome_words": "Large print, please!", "outcome_choices": ["apology"]}
LATIN_NAME = "Sam O'Neil (Jr.)"


@pytest.fixture(scope="module")
def registry():
    return Registry.load(ROOT / "dialogues")


class English:
    """English as written, the msgids themselves; ``language`` (and whether it is right to left, as
    the app's translator says) only if given."""

    def __init__(self, language=None):
        if language is not None:
            self.language = language
            self.rtl = language in ("ar", "ur")

    def gettext(self, message):
        return message

    def ngettext(self, singular, plural, n):
        return singular if n == 1 else plural


def keys(dialogue, facts):
    """Every step of the dialogue, and each repeat of a repeating one for the items ``facts`` give."""
    found = []
    for sid, step in dialogue.spec.steps.items():
        if step.repeat:
            found += [f"{sid}.{i}" for i in range(1, len(dialogue.items(step.repeat, facts)) + 1)]
        else:
            found.append(sid)
    return [k for k in found if dialogue.is_valid_key(k)]


def shown(registry, facts, tr) -> list[str]:
    """Every line, question and option label of every step of the person's dialogues."""
    texts = []
    for dialogue in registry.values():
        if dialogue.spec.audience != "person":
            continue
        for key in keys(dialogue, facts):
            texts += rendering.messages(dialogue, key, facts, tr)
            texts += [o["label"] for o in rendering.options(dialogue, key, facts, tr)]
    return texts


def facts_for(name=LATIN_NAME, respondent="imca", **kwargs):
    return Facts(respondent=respondent, name=name, linked={"part1": dict(PART1)}, **kwargs)


# --- right to left: isolates ----------------------------------------------------------------------


def test_the_translator_says_its_language(app):
    with app.app_context():
        for lang in ("ar", "ur", "cy", "en"):
            with translating(lang) as tr:
                assert tr.language == lang
        with translating("xx") as tr:  # not offered: the default, as the page falls back to it
            assert tr.language == app.config["BABEL_DEFAULT_LOCALE"]


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_a_name_in_a_right_to_left_sentence_is_isolated(app, registry, lang):
    with app.app_context(), translating(lang) as tr:
        texts = shown(registry, facts_for(), tr)
    with_name = [t for t in texts if LATIN_NAME in t]
    assert len(with_name) > 20  # the representative's questions, lines and options
    for text in with_name:
        # every time the name is said, it is isolated: as many as there are names
        assert text.count(FSI + LATIN_NAME + PDI) == text.count(LATIN_NAME), text
        assert text.count(FSI) == text.count(PDI), text


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_the_real_arabic_and_urdu_question_reads_with_the_isolated_name(app, registry, lang):
    dialogue = registry["part2"]
    with app.app_context(), translating(lang) as tr:
        question = rendering.question_text(dialogue, "contact", facts_for(), tr)
        expected = tr.gettext("Would {name} like someone to contact them about anything said here?")
    assert (
        "{name}" in expected
        and expected != "Would {name} like someone to contact them about anything said here?"
    )
    assert question == expected.replace("{name}", "\u2068Sam O'Neil (Jr.)\u2069")


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_a_typed_item_in_a_right_to_left_sentence_is_isolated(app, registry, lang):
    dialogue = registry["part2"]
    facts = facts_for()
    items = dialogue.items("part1_outcomes", facts)
    assert [i.text for i in items][:1] == ["Large print, please!"]
    with app.app_context(), translating(lang) as tr:
        typed = rendering.question_text(dialogue, "outcome_met.1", facts, tr)
        chosen = rendering.question_text(dialogue, "outcome_met.2", facts, tr)
        apology = tr.gettext(items[1].text)
    assert FSI + "Large print, please!" + PDI in typed
    assert FSI + apology + PDI in chosen  # an item chosen from the options, in the language
    assert FSI + LATIN_NAME + PDI in typed


def test_the_fallback_is_isolated_too_and_only_once(app, registry):
    with app.app_context(), translating("ar") as tr:
        fallback = tr.gettext("the person")
        question = rendering.question_text(registry["part2"], "contact", facts_for(name=None), tr)
    assert question.count(FSI + fallback + PDI) == 1 and question.count(FSI) == 1


def test_isolate_controls_typed_into_a_name_cannot_break_out():
    assert isolate("Sam\u2069 \u2067x\u2066") == "\u2068Sam x\u2069"
    assert isolate("") == ""


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_isolating_changes_nothing_but_the_isolates(registry, lang):
    """The same English texts, said as if in a right-to-left language: only the isolates differ."""
    for facts in (facts_for(), facts_for(name=None), facts_for(respondent="self", name=None)):
        plain = shown(registry, facts, English())
        rtl = shown(registry, facts, English(lang))
        assert [t.replace(FSI, "").replace(PDI, "") for t in rtl] == plain
        assert any(FSI in t for t in rtl)  # every one of them says a name or an item somewhere


@pytest.mark.parametrize("lang", ["en", "cy", "pl", "ro", "pa"])
def test_left_to_right_languages_have_no_isolates(app, registry, lang):
    with app.app_context(), translating(lang) as tr:
        for facts in (facts_for(), facts_for(name=None), facts_for(respondent="self")):
            texts = shown(registry, facts, tr)
            assert not [t for t in texts if FSI in t or PDI in t]


def test_english_is_byte_for_byte_what_it_was(app, registry):
    """English through a translator that says it is English, through Flask-Babel's English, and
    through one that says nothing of its language: the same texts, character for character."""
    for facts in (facts_for(), facts_for(name=None), facts_for(respondent="self", easy_read=True)):
        bare = shown(registry, facts, English())
        assert shown(registry, facts, English("en")) == bare
        with app.app_context(), translating("en") as tr:
            assert shown(registry, facts, tr) == bare
    assert "Would Sam O'Neil (Jr.) like someone to contact them about anything said here?" in shown(
        registry, facts_for(), English("en")
    )
    assert "Would the person like someone to contact them about anything said here?" in shown(
        registry, facts_for(name=None), English("en")
    )


# --- Welsh: the article of the fallback -----------------------------------------------------------


def welsh(app, dialogue, key, facts, msgid):
    """The Welsh question at ``key`` and the catalogue's own translation of ``msgid``."""
    with app.app_context(), translating("cy") as tr:
        return rendering.question_text(dialogue, key, facts, tr), tr.gettext(msgid)


@pytest.mark.parametrize(
    "dialogue_id, key, msgid, before, after",
    [
        # hoffai: "Hoffai {name} i rywun gysylltu â nhw ..."
        (
            "part2",
            "contact",
            "Would {name} like someone to contact them about anything said here?",
            "Hoffai {name}",
            "Hoffai'r person",
        ),
        # ydy: "Ydy {name} yn teimlo'n fwy diogel nawr?"
        ("part2", "safer", "Does {name} feel safer now?", "Ydy {name}", "Ydy'r person"),
        # helpu: "Pwy neu beth arall fyddai'n helpu {name} i deimlo'n ddiogel?"
        (
            "part1",
            "safe_what",
            "Who or what else would help {name} feel safe?",
            "helpu {name}",
            "helpu'r person",
        ),
        # mae, inside the sentence: "Oes unrhyw beth arall ... sut mae {name} yn cyfathrebu?"
        ("part1", "comm_needs_more", None, "mae {name}", "mae'r person"),
    ],
)
def test_welsh_fallback_after_a_vowel_is_joined_to_the_word(
    app, registry, dialogue_id, key, msgid, before, after
):
    dialogue = registry[dialogue_id]
    facts = facts_for(name=None)
    if msgid is None:
        msgid = dialogue.question(key, facts)
    question, translated = welsh(app, dialogue, key, facts, msgid)
    assert before in translated, translated  # the catalogue's own words
    assert after in question and " y person" not in question.replace(after, ""), question
    # the rest of the sentence is the catalogue's, word for word
    assert question == translated.replace(before, after).replace("{name}", "y person")


def test_welsh_fallback_keeps_y_after_a_consonant(app, registry):
    dialogue = registry["part2"]
    facts = facts_for(name=None)
    question, translated = welsh(
        app, dialogue, "reflect_better", facts, dialogue.question("reflect_better", facts)
    )
    assert "ar gyfer {name}" in translated, translated  # "... yn well ar gyfer {name}?"
    assert question == translated.replace("{name}", "y person")


def test_welsh_with_a_real_name_is_as_translated(app, registry):
    dialogue = registry["part2"]
    question, translated = welsh(
        app,
        dialogue,
        "contact",
        facts_for(name="Alun"),
        "Would {name} like someone to contact them about anything said here?",
    )
    assert question == translated.replace("{name}", "Alun")
    assert question.startswith("Hoffai Alun ")


def test_no_welsh_fallback_is_left_after_a_vowel_anywhere(app, registry):
    """Every step of every dialogue, for a representative and in Easy Read, with no name given."""
    vowel_then_article = re.compile(r"[aeiouwyâêîôûŵŷ] y person", re.I)
    joined = 0
    with app.app_context(), translating("cy") as tr:
        for facts in (facts_for(name=None), facts_for(name=None, easy_read=True)):
            for text in shown(registry, facts, tr):
                assert not vowel_then_article.search(text), text
                assert "{name}" not in text
                joined += text.count("'r person")
    assert joined >= 40  # joined to mae, hoffai, yw, ydy, helpu, geiriau ... (each time said)


def test_welsh_fallback_only_in_welsh(app, registry):
    with app.app_context(), translating("pl") as tr:
        question = rendering.question_text(registry["part2"], "contact", facts_for(name=None), tr)
        assert tr.gettext("the person") in question


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hoffai {name} siarad?", "Hoffai'r person siarad?"),
        (
            "Barn {name} ei hun. Mae {name} yn dweud wrtha i",
            "Barn y person ei hun. Mae'r person yn dweud wrtha i",
        ),
        ("{name} sy'n cael yr un help.", "Y person sy'n cael yr un help."),
        ("Diolch. {name} sy'n dewis.", "Diolch. Y person sy'n dewis."),
        ("Ydy {name} yn hapus â'r ffordd?", "Ydy'r person yn hapus â'r ffordd?"),
        ("Yng ngeiriau {name} ei hun", "Yng ngeiriau'r person ei hun"),
        ("Mae pryder am ddiogelwch {name}.", "Mae pryder am ddiogelwch y person."),
        ("“{item}”. Ddigwyddodd hyn yn achos {name}?", "“{item}”. Ddigwyddodd hyn yn achos y person?"),
        ("Sut mae {name} a {name}?", "Sut mae'r person a'r person?"),
    ],
)
def test_welsh_person_forms(text, expected):
    assert welsh_person(text, "y person") == expected


def test_welsh_person_with_yr_and_without_an_article():
    assert (
        welsh_person("Mae {name} yma. {name} sy'n siarad.", "yr unigolyn")
        == "Mae'r unigolyn yma. Yr unigolyn sy'n siarad."
    )
    assert welsh_person("Mae {name} yma.", "rhywun {x}") == "Mae rhywun {{x}} yma."
    assert welsh_person("Mae {name} yma.", "rhywun {x}").format_map({}) == "Mae rhywun {x} yma."
