"""The checks a dialogue file must pass, each mistake in plain words with a code from ``ERRORS``.

The file's layout is explained at the top of ``dialogues/part1.yaml``. ``Checker`` reads the top
level here; one step's checks are in ``steps.py`` and the references and the map's in
``references.py``, both mixins of it.
"""

from __future__ import annotations

from typing import Any

from .conditions import CONDITIONS
from .locate import compose, describe, did_you_mean, position
from .references import ReferenceChecks
from .spec import NOT_ROLES, Context, DialogueError, DialogueSpec, Problem, Step
from .steps import KINDS, STEP_KEYS, VARIANTS, StepChecks

TOP_KEYS = (
    "id",
    "version",
    "title",
    "audience",
    "start",
    "contact_instructions",
    "lists",
    "follow_ups",
    "steps",
)
AUDIENCES = ("person", "staff")


class Checker(StepChecks, ReferenceChecks):
    """Collects every problem in one file, then raises them together."""

    def __init__(self, source: str, text: str | None, context: Context | None):
        self.source, self.text, self.context = source, text, context
        self.problems: list[tuple[str, tuple, str, bool]] = []
        self.implied: set[str] = set()  # steps whose 'next' is the step below them
        self.broken: set[str] = set()  # steps that could not be read

    def err(self, code: str, path: tuple, message: str, at_key: bool = False) -> None:
        """Record a mistake at ``path`` (keys and list positions from the top of the file)."""
        self.problems.append((code, path, message, at_key))

    def fail(self) -> DialogueError:
        """The collected problems, now located by line and column (reading the file once more)."""
        root, located = compose(self.text), []
        for code, path, message, at_key in self.problems:
            line, column = position(root, path, at_key)
            located.append(Problem(code, self.source, message, describe(path), line, column))
        located.sort(key=lambda p: p.line or 0)
        return DialogueError(located)

    # -- the file -------------------------------------------------------------------------------

    def dialogue(self, data: Any) -> DialogueSpec:
        """Check the whole file and build its spec, or raise ``DialogueError``."""
        if not isinstance(data, dict):
            self.err("D004", (), "The file must be a dialogue: keys id, version, title, start, steps.")
            raise self.fail()
        for key in data:
            if key not in TOP_KEYS:
                self.err(
                    "D003",
                    (key,),
                    f"'{key}' is not a key a dialogue file uses." + did_you_mean(key, TOP_KEYS),
                    True,
                )
        for key in ("id", "version", "title", "start", "steps"):
            if key not in data:
                self.err("D002", (key,), f"The dialogue needs '{key}'.")
        steps_raw = data.get("steps")
        if not isinstance(steps_raw, dict) or not steps_raw:
            self.err("D004", ("steps",), "'steps' must list the steps, each under its id.")
            raise self.fail()
        if not isinstance(data.get("version", 0), int):
            self.err("D004", ("version",), "'version' must be a whole number, like 1.")
        if "title" in data:
            self.text_ok(data["title"], ("title",))
        if data.get("audience", "person") not in AUDIENCES:
            self.err("D004", ("audience",), f"'audience' must be person or staff, not {data['audience']!r}.")

        ids = [str(sid) for sid in steps_raw]
        steps: dict[str, Step] = {}
        for n, (sid, raw) in enumerate(steps_raw.items()):
            following = ids[n + 1] if n + 1 < len(ids) else None
            step = self.step(str(sid), raw, following)
            if step:
                steps[step.id] = step

        lists = self.lists(data.get("lists") or {}, steps)
        roles = tuple(dict.fromkeys([*(self.context.roles if self.context else ()), *_roles(steps)]))
        start = data.get("start")
        if start is not None and start not in steps:
            self.err(
                "D007",
                ("start",),
                f"The step \"{start}\" that 'start' names does not exist in this dialogue."
                + did_you_mean(start, steps),
            )
        # A step that could not be read is reported once, not again at every step that goes to it.
        self.broken = set(ids) - set(steps)
        for step in steps.values():
            self.refs(step, steps, lists, roles)
        follow_ups = self.follow_ups(data.get("follow_ups") or [], steps, lists, roles)
        contact = data.get("contact_instructions") or []
        if not isinstance(contact, list) or not all(isinstance(k, str) for k in contact):
            self.err("D004", ("contact_instructions",), "'contact_instructions' must be a list of step ids.")
            contact = []
        for i, key in enumerate(contact):
            if key not in steps:
                self.err(
                    "D007",
                    ("contact_instructions", i),
                    f"The step \"{key}\" named in 'contact_instructions' does not exist in this dialogue."
                    + did_you_mean(key, steps),
                )
        if not self.problems:
            self.graph(start, steps)
        if self.problems:
            raise self.fail()
        return DialogueSpec(
            id=str(data["id"]),
            version=int(data["version"]),
            title=data["title"],
            start=start,
            steps=steps,
            lists=lists,
            follow_ups=follow_ups,
            audience=data.get("audience", "person"),
            path=self.source,
            contact_instructions=tuple(contact),
        )


def _roles(steps: dict[str, Step]) -> list[str]:
    return [
        o.value
        for s in steps.values()
        if s.sets == "respondent"
        for o in s.options
        if o.value not in NOT_ROLES
    ]


__all__ = ["CONDITIONS", "Checker", "KINDS", "STEP_KEYS", "TOP_KEYS", "VARIANTS"]
