""" "Check your answers" does not list the consent question ("Shall we start?", the step that
``sets: consent``): changed there to "Not now", it would end the conversation from the review page.
Every other answer on the way is listed, with its Change link."""

from __future__ import annotations

from conftest import Plain, inline_dialogue

from app.dialogue import Facts
from app.dialogue import render as rendering
from app.dialogue.engine import Dialogue

TINY = """
id: tiny
version: 1
title: Tiny
start: consent
steps:
  consent:
    kind: choice
    ask: Shall we start?
    sets: consent
    options:
      - {value: "yes", label: "Yes, let's start"}
      - {value: not_now, label: Not now}
    next:
      - when: {answer_is: [consent, not_now]}
        go: bye
      - go: feel
  feel:
    kind: text
    ask: How do you feel?
  check:
    kind: review
    say: Check your answers
  bye:
    kind: end
    say: Thank you
"""


def load() -> Dialogue:
    return inline_dialogue(TINY)


def test_check_your_answers_leaves_out_the_consent_question():
    dialogue = load()
    facts = Facts(answers={"consent": "yes", "feel": "Fine"})
    turn = rendering.turn(dialogue, "check", facts, Plain())
    assert [row["step"] for row in turn["review"]] == ["feel"]
    assert not dialogue.step("consent").in_review and dialogue.step("feel").in_review


def test_the_history_of_a_resumed_conversation_still_says_it_was_agreed():
    # Only the review, whose rows carry the Change links, leaves it out.
    dialogue = load()
    facts = Facts(answers={"consent": "yes", "feel": "Fine"})
    shown = rendering.history(dialogue, "check", facts, Plain())
    assert [row["step"] for row in shown] == ["consent", "feel"]


def test_neither_part_lists_shall_we_start_for_checking(registry):
    for did in ("part1", "part2"):
        dialogue = registry[did]
        consent = [s.id for s in dialogue.spec.steps.values() if s.sets == "consent"]
        review = next(s.id for s in dialogue.spec.steps.values() if s.kind == "review")
        assert consent, did
        # Every question answered with its first option (a text answered in words) up to the review.
        facts = Facts(respondent="self", linked={"part1": {"outcome_words": "To feel safe"}})
        key = dialogue.first_key(facts)
        while dialogue.step(key).kind != "review":
            step = dialogue.step(key)
            value = None
            if step.kind == "text":
                value = "Words"
            elif step.kind in ("choice", "multi"):
                first = rendering.options(dialogue, key, facts, Plain())[0]["value"]
                value = first if step.kind == "choice" else [first]
            facts.answers[key] = value
            if step.sets == "respondent":
                facts.respondent = value
            key = dialogue.next_key(key, facts)
        assert key == review, did
        listed = [row["step"] for row in rendering.turn(dialogue, key, facts, Plain())["review"]]
        assert listed, did
        assert not set(consent) & set(listed), (did, listed)
