"""Welsh answers to a yes/no question echo its verb, in its person: "Ydych chi'n teimlo'n fwy
diogel?" is answered "Ydw" / "Nac ydw", "Ydy Sam yn teimlo'n fwy diogel?" "Ydy" / "Nac ydy",
"Oes gennych chi gwestiynau?" "Oes" / "Nac oes". So each yes/no option has its question's context
(``context:`` in the dialogue, a msgctxt), and a second for someone answering about the person."""

from __future__ import annotations

import pytest

from app.dialogue import Facts
from app.dialogue import render as rendering
from app.i18n import translating

PERSON = Facts(respondent="self")
ABOUT = Facts(respondent="imca", name="Sam")

WELSH = [
    ("listened", PERSON, "Oeddwn", "Nac oeddwn"),
    ("listened", ABOUT, "Oedd", "Nac oedd"),
    ("informed", ABOUT, "Oedd", "Nac oedd"),
    ("safer", PERSON, "Ydw", "Nac ydw"),
    ("safer", ABOUT, "Ydy", "Nac ydy"),
    ("happy", PERSON, "Ydw", "Nac ydw"),
    ("has_questions", PERSON, "Oes", "Nac oes"),
    ("has_questions", ABOUT, "Oes", "Nac oes"),
    ("contact", PERSON, "Hoffwn", "Na hoffwn"),
    ("debrief", ABOUT, "Hoffai", "Na hoffai"),
    ("recover_help", PERSON, "Byddai", "Na fyddai"),
]


def labels(registry, step, facts, lang):
    with translating(lang) as tr:
        return {o["value"]: o["label"] for o in rendering.options(registry["part2"], step, facts, tr)}


@pytest.mark.parametrize(("step", "facts", "yes", "no"), WELSH)
def test_welsh_yes_and_no_echo_the_question(app, registry, step, facts, yes, no):
    with app.app_context():
        found = labels(registry, step, facts, "cy")
    assert (found["yes"], found["no"]) == (yes, no)


def test_other_languages_and_english_keep_one_yes_and_no(app, registry):
    with app.app_context():
        for lang, yes in (("en", "Yes"), ("pl", "Tak")):
            for step in ("safer", "has_questions"):
                for facts in (PERSON, ABOUT):
                    assert labels(registry, step, facts, lang)["yes"] == yes, (lang, step)
