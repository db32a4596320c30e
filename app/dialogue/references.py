"""The checks of a dialogue's references: lists, where each step goes, follow-ups, and the map as a
whole (every step reachable, the end reachable from every step). A mixin of ``parse.Checker``."""

from __future__ import annotations

import re
from typing import Any

from .conditions import ConditionError, check_condition
from .locate import did_you_mean
from .spec import FollowUpRule, ListSource, Step

STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
FOLLOW_UP_KEYS = ("kind", "when", "label", "urgent")


class ReferenceChecks:
    """Needs ``err``, ``context`` and ``broken`` from ``Checker``."""

    # -- references -----------------------------------------------------------------------------

    def lists(self, raw: Any, steps: dict[str, Step]) -> dict[str, ListSource]:
        found = {}
        if not isinstance(raw, dict):
            self.err("D004", ("lists",), "'lists' must name each list and where its items come from.")
            return found
        for name, src in raw.items():
            at = ("lists", name)
            if not isinstance(src, dict) or "from" not in src or set(src) - {"from", "dialogue"}:
                self.err(
                    "D004",
                    at,
                    "A list needs 'from' (the steps whose answers make it) and may name another 'dialogue'.",
                )
                continue
            from_steps = [str(s) for s in (src["from"] if isinstance(src["from"], list) else [src["from"]])]
            other = src.get("dialogue")
            if other is None:
                known, whose = steps, "this dialogue"
            elif self.context is None:
                known = None  # checked when the dialogues are loaded together
            elif str(other) not in self.context.dialogues:
                known = None
                self.err(
                    "D013",
                    (*at, "dialogue"),
                    f'The list reads the dialogue "{other}", which is not among the dialogues loaded.'
                    + did_you_mean(str(other), self.context.dialogues),
                )
            else:
                known, whose = self.context.dialogues[str(other)]["steps"], f'the dialogue "{other}"'
            for i, s in enumerate(from_steps if known is not None else ()):
                if s not in known:
                    self.err(
                        "D013",
                        (*at, "from", i) if isinstance(src["from"], list) else (*at, "from"),
                        f'The list takes answers from the step "{s}", which {whose} does not have.'
                        + did_you_mean(s, known),
                    )
            found[str(name)] = ListSource(str(name), tuple(from_steps), other)
        return found

    def refs(self, step: Step, steps: dict[str, Step], lists: dict, roles: tuple) -> None:
        at = ("steps", step.id)
        explicit = step.id not in self.implied
        for i, branch in enumerate(step.branches):
            path = (
                (*at, "next", i, "go") if branch.when is not None or len(step.branches) > 1 else (*at, "next")
            )
            if branch.target not in steps and branch.target not in self.broken:
                self.err(
                    "D007",
                    path if explicit else at,
                    f"The step \"{branch.target}\" that 'next' goes to does not exist in this dialogue."
                    + did_you_mean(branch.target, steps),
                )
            if branch.when is not None and not _mentions(branch.when, self.broken):
                try:
                    check_condition(branch.when, steps, lists, roles)
                except ConditionError as exc:
                    self.err("D008", (*at, "next", i, "when"), str(exc))
        for i, option in enumerate(step.options):
            if option.when is not None and not _mentions(option.when, self.broken):
                try:
                    check_condition(option.when, steps, lists, roles)
                except ConditionError as exc:
                    self.err("D008", (*at, "options", i, "when"), str(exc))
        for key in ("repeat", "options_from"):
            name = getattr(step, key)
            if name is not None and name not in lists:
                self.err(
                    "D013",
                    (*at, key),
                    f"There is no list called \"{name}\" under 'lists'." + did_you_mean(name, lists),
                )
        if step.repeat and not step.is_question:
            self.err("D004", (*at, "repeat"), "Only a question can repeat over a list.")
        if step.options_from and step.kind not in ("choice", "multi"):
            self.err(
                "D005", (*at, "options_from"), "Only choice and multi steps have options to take from a list."
            )

    def follow_ups(self, raw: Any, steps, lists, roles) -> tuple[FollowUpRule, ...]:
        """``follow_ups``: a list of ``{kind, when, label?, urgent?}``, using the same checks as branches."""
        if not isinstance(raw, list):
            self.err("D004", ("follow_ups",), "'follow_ups' must be a list, each with 'kind' and 'when'.")
            return ()
        rules = []
        for i, rule in enumerate(raw):
            at = ("follow_ups", i)
            if not isinstance(rule, dict) or not {"kind", "when"} <= set(rule) <= set(FOLLOW_UP_KEYS):
                self.err(
                    "D004", at, "A follow-up needs 'kind' and 'when', and may have 'label' and 'urgent'."
                )
                continue
            if "urgent" in rule and not isinstance(rule["urgent"], bool):
                self.err("D004", (*at, "urgent"), "'urgent' must be true or false.")
                continue
            if "label" in rule and not (isinstance(rule["label"], str) and rule["label"].strip()):
                self.err("D004", (*at, "label"), "'label' must be some text.")
                continue
            if not isinstance(rule["kind"], str) or not STEP_ID.match(rule["kind"]):
                self.err(
                    "D004", (*at, "kind"), "A follow-up's kind is named by lower-case letters, digits and _."
                )
                continue
            if _mentions(rule["when"], self.broken):
                continue
            try:
                check_condition(rule["when"], steps, lists, roles)
            except ConditionError as exc:
                self.err("D008", (*at, "when"), str(exc))
                continue
            label = rule.get("label") or rule["kind"].replace("_", " ").capitalize()
            rules.append(FollowUpRule(rule["kind"], rule["when"], label, rule.get("urgent", False)))
        return tuple(rules)

    # -- the map as a whole ---------------------------------------------------------------------

    def graph(self, start: str, steps: dict[str, Step]) -> None:
        reachable, todo = set(), [start]
        while todo:
            sid = todo.pop()
            if sid not in reachable:
                reachable.add(sid)
                todo.extend(b.target for b in steps[sid].branches)
        for sid in steps:
            if sid not in reachable:
                self.err(
                    "D010",
                    ("steps", sid),
                    f"Nothing leads to the step \"{sid}\": no 'next' reaches it from the start.",
                    True,
                )
        ends = {sid for sid, s in steps.items() if s.kind == "end"}
        if not ends:
            self.err("D011", ("steps",), "The dialogue needs a step of kind 'end'.", True)
            return
        # Walk backwards from the ends: any step not reached cannot finish.
        can_finish, changed = set(ends), True
        while changed:
            changed = False
            for sid, s in steps.items():
                if sid not in can_finish and any(b.target in can_finish for b in s.branches):
                    can_finish.add(sid)
                    changed = True
        for sid in steps:
            if sid in reachable and sid not in can_finish:
                self.err(
                    "D011", ("steps", sid), f'From the step "{sid}" there is no way on to the end.', True
                )


def _mentions(when: Any, broken: set[str]) -> bool:
    """Whether a condition names a step that could not be read (so is already reported)."""
    if not isinstance(when, dict):
        return False
    for arg in when.values():
        first = arg[0] if isinstance(arg, list) and arg else arg
        if isinstance(first, str) and first in broken:
            return True
    return False
