"""Every word a person can read goes through Babel, dialogue text included."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.dialogue import Facts, Registry
from app.dialogue import render as rendering

ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    """A translator that notes every msgid it is asked for."""

    def __init__(self):
        self.seen: set[str] = set()

    def gettext(self, message):
        self.seen.add(message)
        return message

    def ngettext(self, singular, plural, n):
        self.seen.add(singular)
        return singular if n == 1 else plural


@pytest.fixture
def catalogue(extracted):
    return extracted


def rendered_msgids() -> set[str]:
    """Every msgid the engine asks for while drawing every step, for a person and for a proxy."""
    registry = Registry.load(ROOT / "dialogues")
    recorder = Recorder()
    part1 = {"outcome_words": "My words", "outcome_choices": ["apology"]}
    for dialogue in registry.values():
        if dialogue.spec.audience != "person":
            continue  # staff dialogues are English only
        for facts in (
            Facts(respondent="self", linked={"part1": part1}),
            Facts(respondent="imca", name="Sam", linked={"part1": part1}),
            Facts(respondent="self"),
        ):
            for key in dialogue.walk(facts) + list(dialogue.spec.steps):
                if not dialogue.is_valid_key(key):
                    continue
                rendering.messages(dialogue, key, facts, recorder)
                rendering.options(dialogue, key, facts, recorder)
                rendering.progress(dialogue, key, facts, recorder)
    return recorder.seen


def test_every_dialogue_text_the_engine_shows_is_extracted(catalogue):
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    missing = rendered_msgids() - extracted
    assert not missing, f"shown but never extracted: {sorted(missing)[:10]}"


def test_dialogue_messages_name_their_step_for_the_translator(catalogue):
    message = catalogue.get("Who is answering these questions?")
    assert message is not None
    assert "step: who" in message.auto_comments
    assert any("dialogues/part1.yaml" in loc for loc, _ in message.locations)


def test_counts_use_plural_forms(catalogue):
    message = catalogue.get(("{n} question left", "{n} questions left"))
    assert message is not None and message.pluralizable
