"""The allow-list of conditions a dialogue file may use in a ``when``.

Dialogue files never name Python callables; they name one of these checks. A ``when`` is a mapping of
one or more checks, all of which must hold, for example ``{answer_is: [who, self]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .locate import did_you_mean
from .spec import SELF


class ConditionError(ValueError):
    """A ``when`` names an unknown check or gives it the wrong argument, in plain words."""


def is_representative(respondent: str | None) -> bool:
    """Whether someone other than the person is answering (any role, or just "representative").
    The person answering with someone helping them ("self_helped") answers for themselves."""
    return respondent not in (None, "", *SELF)


def is_known_role(respondent: str | None) -> bool:
    """Whether we know who is answering and, for a representative, in which role."""
    return respondent in SELF or (is_representative(respondent) and respondent != "representative")


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
        return is_representative(facts.respondent)
    if arg == "self":  # with help or without: the person is answering
        return facts.respondent in SELF
    return facts.respondent == arg


# The invited_* checks read what the worker said on the invitation, never the answers. A step that
# asks "who is answering?" is skipped when the invitation already says; were it skipped whenever the
# respondent is known, answering it would remove it from the route (and from back, progress, the
# check-your-answers page and the export).
def _invited_as(facts, arg) -> bool:
    if arg == "representative":
        return is_representative(facts.invited_respondent)
    if arg == "self":
        return facts.invited_respondent in SELF
    return facts.invited_respondent == arg


def _invited_role_known(facts, arg) -> bool:
    return is_known_role(facts.invited_respondent) == arg


def _invited_name_known(facts, arg) -> bool:
    return bool(facts.invited_name) == arg


def _has_items(facts, arg) -> bool:
    return bool(facts.items(arg))


# Where the council works: the law, the roles and the help differ between England and Wales, so an
# option may be offered in one only (a role under Welsh law, say). The app's JURISDICTION setting.
JURISDICTIONS = ("england", "wales")


def _jurisdiction_is(facts, arg) -> bool:
    return facts.jurisdiction == arg


# Each validator gets the argument and the dialogue's context: its steps (id -> Step), its lists, and
# the roles known to the dialogues loaded together. It raises ConditionError in plain words.
def _step(arg, steps, name) -> None:
    if not isinstance(arg, str) or arg not in steps:
        raise ConditionError(
            f'"{name}" names the step "{arg}", which does not exist in this dialogue.'
            + did_you_mean(arg, steps)
        )


def _step_value_pair(arg, steps, lists, roles, name="answer_is") -> None:
    if not (isinstance(arg, list) and len(arg) == 2):
        raise ConditionError(f'"{name}" needs a step and a value, like [who, self]; it has {arg!r}.')
    _step(arg[0], steps, name)
    _known_values(arg[0], [arg[1]], steps, name)


def _step_values_pair(arg, steps, lists, roles, name="answer_in") -> None:
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
        raise ConditionError(
            f'"{name}" needs a step and a list of values, like [safer, [partly, no]]; it has {arg!r}.'
        )
    _step(arg[0], steps, name)
    _known_values(arg[0], arg[1], steps, name)


def _known_values(sid, values, steps, name) -> None:
    """A value compared with a choice must be one of its options (unless its options are built)."""
    step = steps[sid]
    if step.kind not in ("choice", "multi") or step.options_from or not step.options:
        return
    offered = [o.value for o in step.options]
    for value in values:
        if str(value) not in offered:
            raise ConditionError(
                f'"{name}" compares the answer to "{sid}" with "{value}", which is not one of its'
                f" options ({', '.join(offered)})." + did_you_mean(str(value), offered)
            )


def _step_name(arg, steps, lists, roles) -> None:
    _step(arg, steps, "answered")


def _boolean(arg, steps, lists, roles) -> None:
    if not isinstance(arg, bool):
        raise ConditionError(f"This check is answered with true or false, not {arg!r}.")


def _respondent(arg, steps, lists, roles) -> None:
    known = [*SELF, "representative", *roles]
    if arg not in known:
        raise ConditionError(
            f'"{arg}" is not someone who can answer: use self, representative or a role offered'
            f" in a step that sets the respondent ({', '.join(roles)})." + did_you_mean(arg, known)
        )


def _jurisdiction(arg, steps, lists, roles) -> None:
    if arg not in JURISDICTIONS:
        raise ConditionError(
            f'"jurisdiction_is" names "{arg}", which is not a jurisdiction: use'
            f" {' or '.join(JURISDICTIONS)}." + did_you_mean(arg, JURISDICTIONS)
        )


def _list_name(arg, steps, lists, roles) -> None:
    if arg not in lists:
        raise ConditionError(f"There is no list called \"{arg}\" under 'lists'." + did_you_mean(arg, lists))


# name -> (check(facts, arg), validate(arg, steps, lists))
CONDITIONS: dict[str, tuple[Callable, Callable]] = {
    "answer_is": (_answer_is, _step_value_pair),
    "answer_in": (_answer_in, _step_values_pair),
    "answer_includes": (
        _answer_includes,
        lambda arg, steps, lists, roles: _step_value_pair(arg, steps, lists, roles, "answer_includes"),
    ),
    "answered": (_answered, _step_name),
    "respondent_is": (_respondent_is, _respondent),
    "invited_as": (_invited_as, _respondent),
    "invited_role_known": (_invited_role_known, _boolean),
    "invited_name_known": (_invited_name_known, _boolean),
    "has_items": (_has_items, _list_name),
    "jurisdiction_is": (_jurisdiction_is, _jurisdiction),
}


def check_condition(when: Any, steps: dict, lists: dict, roles: Iterable[str] = ()) -> None:
    """Raise ``ConditionError`` unless ``when`` is a valid mapping of known checks."""
    if not isinstance(when, dict) or not when:
        raise ConditionError("'when' must be one or more checks, like {answer_is: [who, self]}.")
    for name, arg in when.items():
        if name not in CONDITIONS:
            raise ConditionError(
                f'"{name}" is not a check a dialogue can use.'
                + (did_you_mean(name, CONDITIONS) or f" The checks are: {', '.join(CONDITIONS)}.")
            )
        CONDITIONS[name][1](arg, steps, lists, tuple(roles))


def holds(when: dict, facts) -> bool:
    """Whether every check in ``when`` holds for these facts."""
    return all(CONDITIONS[name][0](facts, arg) for name, arg in when.items())
