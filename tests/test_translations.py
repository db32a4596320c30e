"""Every shipped language is complete: no missing, fuzzy or untranslated string, the same placeholders,
every plural form, every draft marked for review, and no question left in English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.dialogue import Facts
from app.dialogue import render as rendering
from app.i18n import translating
from config import Config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [lang for lang in Config.LANGUAGES if lang != "en"]
DRAFT = "draft: needs review by a qualified translator"
REVIEWED = re.compile(r"^reviewed by ", re.I)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def template(extracted):
    """The messages the code, templates and dialogues use now (not a stale messages.pot)."""
    return extracted


def catalogue(lang):
    path = ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalogue for {lang}: flask --app app translate init {lang}"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def forms(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_message_is_translated_with_the_same_placeholders(template, lang):
    po = catalogue(lang)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = po.get(message.id)
        key = forms(message.id)[0][:60]
        if found is None:
            problems.append(f"missing: {key}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {key}")
        strings = forms(found.string)
        if message.pluralizable and len(strings) != po.num_plurals:
            problems.append(f"{len(strings)} plural forms, {po.num_plurals} needed: {key}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {key}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(forms(message.id))))
        for s in strings:
            found_names = set(PLACEHOLDER.findall(s))
            if found_names != wanted:
                problems.append(f"placeholders {sorted(found_names)} != {sorted(wanted)}: {key}")
        comments = found.user_comments
        if DRAFT not in comments and not any(REVIEWED.match(c) for c in comments):
            problems.append(f"not marked as a draft needing review: {key}")
    assert not problems, f"{lang}: {len(problems)} problems, e.g. " + "; ".join(problems[:8])


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_catalogue_says_it_is_a_draft(lang):
    assert "qualified translator" in catalogue(lang).header_comment


def shown_texts(dialogue, facts, tr) -> list[tuple[str, str]]:
    """(where, text) for every message and option label of every step, as the person would see it."""
    texts = []
    for key in dict.fromkeys(dialogue.walk(facts) + list(dialogue.spec.steps)):
        if not dialogue.is_valid_key(key):
            continue
        for i, line in enumerate(rendering.messages(dialogue, key, facts, tr)):
            texts.append((f"{key} message {i}", line))
        for option in rendering.options(dialogue, key, facts, tr):
            texts.append((f"{key} option {option['value']}", option["label"]))
        texts.append((f"{key} progress", rendering.progress(dialogue, key, facts, tr)["text"] or ""))
    return texts


FACTS = {
    "person": lambda: Facts(respondent="self", linked={"part1": {"outcome_choices": ["apology"]}}),
    "imca": lambda: Facts(respondent="imca", name="Sam", linked={"part1": {"outcome_choices": ["police"]}}),
    "easy": lambda: Facts(respondent="self", easy_read=True),
    "easy imca": lambda: Facts(respondent="imca", name="Sam", easy_read=True),
}


@pytest.mark.parametrize("lang", SHIPPED)
@pytest.mark.parametrize("who", list(FACTS))
def test_no_question_still_shows_english(app, lang, who):
    """Walk both dialogues in the language: every line and option must differ from the English."""
    english_left = []
    with app.app_context():
        for dialogue in app.extensions["dialogues"].values():
            if dialogue.spec.audience != "person":
                continue  # staff dialogues are English only
            facts = FACTS[who]()
            facts.answers = {"who": "self"}
            with translating("en") as tr:
                english = shown_texts(dialogue, facts, tr)
            with translating(lang) as tr:
                translated = shown_texts(dialogue, facts, tr)
            for (where, en_text), (_, text) in zip(english, translated, strict=True):
                if re.search(r"[A-Za-z]{3}", en_text) and text == en_text:
                    english_left.append(f"{dialogue.id} {where}: {text[:50]}")
    assert not english_left, f"{lang}: {len(english_left)} still in English, e.g. {english_left[:5]}"


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_pages_a_person_sees_have_no_english_left(app, client, invite, lang):
    """The page furniture (buttons, headings, help) in the language, not just the dialogue."""
    english = ["Exit this page", "I need help now", "Continue", "Skip to main content", "Back"]
    assert client.get(f"/s/{invite(language=lang)}").status_code == 302
    for url in ("/chat", "/help"):
        html = client.get(url).get_data(as_text=True)
        visible = re.sub(r"<[^>]+>", " ", html)
        for words in english:
            assert not re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", visible), (lang, url, words)
