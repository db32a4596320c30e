""" "Try this dialogue": run a dialogue on the engine alone, with its state in the signed session.

Nothing here touches the database: no case, invitation, conversation or answer is made, nobody is
told, and no follow-up is raised. The state (where the preview is, its answers, who is pretending to
answer, Easy Read) lives in the staff member's signed Flask session under ``PREVIEW`` and is
dropped on "Start again" or when another dialogue is tried.
"""

from __future__ import annotations

from typing import Any

from ..dialogue import Dialogue, Facts
from ..dialogue import render as rendering
from ..dialogue.answers import InvalidAnswer, check_value

PREVIEW = "dialogue_preview"
# The session is a cookie: a preview keeps its typed answers short (and they are test words anyway).
MAX_PREVIEW_TEXT = 300
SAMPLE_OUTCOME = "To feel safe at home"  # what "Part 1 said" in a preview of Part 2

ERRORS = {
    "required": "Choose an answer, or skip this question if it can be skipped.",
    "not_an_option": "Choose one of the answers shown.",
    "not_text": "Type your answer as text.",
    "too_long": f"In a preview, keep typed answers under {MAX_PREVIEW_TEXT} characters.",
    "no_answer_expected": "This step has no answer: choose Continue.",
    "finished": "The dialogue has ended. Start again to try it once more.",
}


class Identity:
    """The English texts as written (a preview is in English, as the staff pages are)."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


def start(dialogue: Dialogue, invited: str | None, name: str | None, easy: bool, linked: bool) -> dict:
    """A new preview's state: as if the invitation said ``invited`` and ``name`` (or nothing)."""
    state = {
        "dialogue": dialogue.id,
        "answers": {},
        "respondent": invited or None,
        "name": (name or "").strip()[:60] or None,
        "invited_respondent": invited or None,
        "invited_name": (name or "").strip()[:60] or None,
        "easy": bool(easy),
        "linked": bool(linked),
    }
    state["key"] = dialogue.first_key(facts_of(dialogue, state))
    return state


def facts_of(dialogue: Dialogue, state: dict) -> Facts:
    """The engine's facts for a preview's state; other dialogues' answers are a made-up sample."""
    linked = {}
    if state.get("linked"):
        for source in dialogue.spec.lists.values():
            if source.dialogue and source.steps:
                linked[source.dialogue] = {source.steps[0]: SAMPLE_OUTCOME}
    return Facts(
        answers=dict(state["answers"]),
        respondent=state.get("respondent"),
        name=state.get("name"),
        invited_respondent=state.get("invited_respondent"),
        invited_name=state.get("invited_name"),
        linked=linked,
        easy_read=state.get("easy", False),
    )


def turn(dialogue: Dialogue, state: dict) -> dict:
    """What the person would see now (the same payload the chat is sent)."""
    return rendering.turn(dialogue, state["key"], facts_of(dialogue, state), Identity())


def answer(dialogue: Dialogue, state: dict, value: Any) -> str | None:
    """Take an answer for the current step and move on; an error message instead if it does not fit."""
    key = state["key"]
    facts = facts_of(dialogue, state)
    try:
        stored = check_value(dialogue, key, facts, value, MAX_PREVIEW_TEXT)
    except InvalidAnswer as exc:
        return ERRORS.get(exc.code, "That answer does not fit this question.")
    step = dialogue.step(key)
    state["answers"][key] = stored
    facts.answers[key] = stored
    if step.sets == "respondent" and stored:
        state["respondent"] = facts.respondent = stored
    if step.sets == "name" and stored:
        state["name"] = facts.name = stored
    following = dialogue.next_key(key, facts)
    if following is not None:
        state["key"] = following
    return None


def back(dialogue: Dialogue, state: dict) -> None:
    """Go to the step before, on the route the answers take (its answer is kept, to change)."""
    previous = dialogue.previous_key(state["key"], facts_of(dialogue, state))
    if previous is not None:
        state["key"] = previous


def change(dialogue: Dialogue, state: dict, key: str) -> None:
    """From the check-your-answers step, go back to one answered step."""
    if key in state["answers"] and dialogue.is_valid_key(key):
        state["key"] = key


def value_from(form, kind: str, action: str) -> Any:
    """The answer a posted form gives for a step of ``kind`` (None for skip or continue)."""
    if action == "skip" or kind in ("none", "end"):
        return None
    if kind == "multi":
        return form.getlist("value")
    if kind == "review":
        return "confirm"
    return form.get("value")
