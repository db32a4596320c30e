"""The allow-list of conditions a dialogue file may use in a ``when``.

Dialogue files never name Python callables; they name one of these checks. A ``when`` is a mapping of
one or more checks, all of which must hold, for example ``{answer_is: [who, self]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REPRESENTATIVE_ROLES = (
    "relative", "friend", "carer", "advocate", "care_act_advocate", "imca", "attorney", "deputy",
    "other",
)  # fmt: skip


class ConditionError(ValueError):
    """A ``when`` names an unknown check or gives it the wrong argument."""


def _is_answer(value: Any) -> bool:
    return value not in (None, "", [])


def _answer_is(facts, arg) -> bool:
    step, value = arg
    return facts.answers.get(step) == value


def _answer_in(facts, arg) -> bool:
    step, values = arg
    return facts.answers.get(step) in values


def _answer_includes(facts, arg) -> bool:
    step, value = arg
    answer = facts.answers.get(step)
    return isinstance(answer, list) and value in answer


def _answered(facts, arg) -> bool:
    return _is_answer(facts.answers.get(arg))


def _respondent_is(facts, arg) -> bool:
    if arg == "representative":
        return facts.respondent in (*REPRESENTATIVE_ROLES, "representative")
    return facts.respondent == arg


# The invited_* checks read what the worker said on the invitation, never the answers. A step that
# asks "who is answering?" is skipped when the invitation already says; were it skipped whenever the
# respondent is known, answering it would remove it from the route (and from back, progress, the
# check-your-answers page and the export).
def _invited_as(facts, arg) -> bool:
    if arg == "representative":
        return facts.invited_respondent in (*REPRESENTATIVE_ROLES, "representative")
    return facts.invited_respondent == arg


def _invited_role_known(facts, arg) -> bool:
    invited = facts.invited_respondent
    return (invited == "self" or invited in REPRESENTATIVE_ROLES) == arg


def _invited_name_known(facts, arg) -> bool:
    return bool(facts.invited_name) == arg


def _has_items(facts, arg) -> bool:
    return bool(facts.items(arg))


def _step_value_pair(arg, steps, lists) -> None:
    if not (isinstance(arg, list) and len(arg) == 2 and arg[0] in steps):
        raise ConditionError(f"expects [step, value] naming a step of this dialogue, got {arg!r}")


def _step_values_pair(arg, steps, lists) -> None:
    _step_value_pair(arg, steps, lists)
    if not isinstance(arg[1], list):
        raise ConditionError(f"expects [step, [values...]], got {arg!r}")


def _step_name(arg, steps, lists) -> None:
    if arg not in steps:
        raise ConditionError(f"expects a step of this dialogue, got {arg!r}")


def _boolean(arg, steps, lists) -> None:
    if not isinstance(arg, bool):
        raise ConditionError(f"expects true or false, got {arg!r}")


def _respondent(arg, steps, lists) -> None:
    if arg not in ("self", "representative", *REPRESENTATIVE_ROLES):
        raise ConditionError(f"expects self, representative or a role, got {arg!r}")


def _list_name(arg, steps, lists) -> None:
    if arg not in lists:
        raise ConditionError(f"expects a list named under 'lists', got {arg!r}")


# name -> (check(facts, arg), validate(arg, steps, lists))
CONDITIONS: dict[str, tuple[Callable, Callable]] = {
    "answer_is": (_answer_is, _step_value_pair),
    "answer_in": (_answer_in, _step_values_pair),
    "answer_includes": (_answer_includes, _step_value_pair),
    "answered": (_answered, _step_name),
    "respondent_is": (_respondent_is, _respondent),
    "invited_as": (_invited_as, _respondent),
    "invited_role_known": (_invited_role_known, _boolean),
    "invited_name_known": (_invited_name_known, _boolean),
    "has_items": (_has_items, _list_name),
}


def check_condition(when: Any, steps: dict, lists: dict) -> None:
    """Raise ``ConditionError`` unless ``when`` is a valid mapping of known checks."""
    if not isinstance(when, dict) or not when:
        raise ConditionError("'when' must be a mapping of one or more checks")
    for name, arg in when.items():
        if name not in CONDITIONS:
            raise ConditionError(f"unknown check '{name}'")
        CONDITIONS[name][1](arg, steps, lists)


def holds(when: dict, facts) -> bool:
    """Whether every check in ``when`` holds for these facts."""
    return all(CONDITIONS[name][0](facts, arg) for name, arg in when.items())
