"""Load a dialogue YAML file into a checked, immutable spec.

Every mistake is reported with the file, the step, the key and a stable code, so that a safeguarding
lead editing a dialogue can find and fix it (compare pyxform's ``errors.py``). A dialogue that does not
validate is never run: ``load_dialogue`` raises ``DialogueError`` with every problem found.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .conditions import CONDITIONS, ConditionError, check_condition

KINDS = ("none", "choice", "multi", "text", "review", "end")
QUESTION_KINDS = ("choice", "multi", "text")
SETTABLE = ("respondent", "name", "view")
PLACEHOLDERS = {"name", "item"}
STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
STEP_KEYS = {
    "kind", "say", "say_about", "ask", "ask_about", "easy", "easy_about", "easy_say",
    "easy_say_about", "picture", "options",
    "options_from", "optional", "sets", "repeat", "next", "topic",
}  # fmt: skip
TOP_KEYS = {
    "id",
    "version",
    "title",
    "start",
    "lists",
    "steps",
    "follow_ups",
    "audience",
    "contact_instructions",
}
# Who a dialogue is for: the person (translated into every language) or staff (English only).
AUDIENCES = ("person", "staff")

# The catalogue of mistakes. Codes never change meaning, so that documentation can refer to them.
ERRORS = {
    "D001": "the file cannot be read as YAML",
    "D002": "a required key is missing",
    "D003": "an unknown key",
    "D004": "a value has the wrong type or an unknown value",
    "D005": "options are missing, empty or not allowed here",
    "D006": "an option value is repeated",
    "D007": "a branch goes to a step that does not exist",
    "D008": "an unknown or malformed condition",
    "D009": "the last branch must have no condition, so there is always a way on",
    "D010": "a step cannot be reached from the start",
    "D011": "the end cannot be reached from this step",
    "D012": "a text uses a placeholder that is not allowed",
    "D013": "a list refers to an unknown step or dialogue",
}


class DialogueError(Exception):
    """A dialogue file is invalid; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Branch:
    target: str
    when: dict | None = None


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    say: tuple[str, ...] = ()
    say_about: tuple[str, ...] | None = None
    ask: str | None = None
    ask_about: str | None = None
    easy: str | None = None
    easy_about: str | None = None
    # Easy Read lead-in lines; when absent, Easy Read says only the (easy) question.
    easy_say: tuple[str, ...] | None = None
    easy_say_about: tuple[str, ...] | None = None
    picture: str | None = None  # static/pictures/<picture>.svg, shown in Easy Read
    options: tuple[Option, ...] = ()
    options_from: str | None = None
    optional: bool = False
    sets: str | None = None
    repeat: str | None = None
    topic: str | None = None
    branches: tuple[Branch, ...] = ()

    @property
    def is_question(self) -> bool:
        """Whether the person is asked something they answer (counted in progress)."""
        return self.kind in QUESTION_KINDS

    def option(self, value: str) -> Option | None:
        """The static option with this value, if any."""
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class ListSource:
    """A list of items built from answers, e.g. the outcomes a person gave in Part 1."""

    name: str
    steps: tuple[str, ...]
    dialogue: str | None = None  # None: this conversation; otherwise the case's conversation of it


@dataclass(frozen=True)
class FollowUpRule:
    """Raise a follow-up of ``kind`` for the worker while ``when`` holds for the answers.

    ``label`` is what staff read (pages and emails); ``urgent`` also tells the team's duty inbox at
    once, keeps it at the top of the pages until acknowledged, and escalates it if nobody does."""

    kind: str
    when: dict
    label: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class DialogueSpec:
    id: str
    version: int
    title: str
    start: str
    steps: dict[str, Step]
    lists: dict[str, ListSource] = field(default_factory=dict)
    follow_ups: tuple[FollowUpRule, ...] = ()
    audience: str = "person"
    path: str = ""
    # Steps whose answers are standing instructions for contacting the person safely (Part 1).
    contact_instructions: tuple[str, ...] = ()

    def texts(self) -> list[tuple[str, str]]:
        """Every translatable text with a location, for the Babel extractor and checks."""
        found = [("title", self.title)]
        for step in self.steps.values():
            for key in ("ask", "ask_about", "easy", "easy_about"):
                if getattr(step, key):
                    found.append((f"{step.id}.{key}", getattr(step, key)))
            for key in ("say", "say_about", "easy_say", "easy_say_about"):
                for i, line in enumerate(getattr(step, key) or ()):
                    found.append((f"{step.id}.{key}[{i}]", line))
            for opt in step.options:
                found.append((f"{step.id}.options.{opt.value}", opt.label))
        return found


# libyaml's safe loader where it is installed (PyYAML's wheels carry it): the same safe subset of
# YAML, about ten times faster, and every app start and every test loads every dialogue.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_dialogue(path: str | Path) -> DialogueSpec:
    """Read and validate one dialogue file, raising ``DialogueError`` on any mistake."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise DialogueError([f"{path}: {ERRORS['D001']}: {exc} (D001)"]) from None
    return parse_dialogue(data, str(path))


def parse_dialogue(data: Any, source: str) -> DialogueSpec:
    """Validate already-parsed YAML; ``source`` names the file in error messages."""
    problems: list[str] = []

    def err(code: str, where: str, detail: str) -> None:
        problems.append(f"{source}: {where}: {detail} ({code})")

    if not isinstance(data, dict):
        raise DialogueError([f"{source}: the file must be a mapping with id, steps, ... (D004)"])
    for key in data:
        if key not in TOP_KEYS:
            err("D003", f"key '{key}'", f"unknown key; expected one of {sorted(TOP_KEYS)}")
    for key in ("id", "version", "title", "start", "steps"):
        if key not in data:
            err("D002", f"key '{key}'", "is required")
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, dict) or not steps_raw:
        err("D004", "key 'steps'", "must be a mapping of step id to step")
        raise DialogueError(problems)
    if not isinstance(data.get("version", 0), int):
        err("D004", "key 'version'", "must be a whole number")
    if "title" in data:
        _check_text(data["title"], "key 'title'", err)
    if data.get("audience", "person") not in AUDIENCES:
        err("D004", "key 'audience'", f"must be one of {list(AUDIENCES)}")

    steps: dict[str, Step] = {}
    for sid, raw in steps_raw.items():
        step = _parse_step(str(sid), raw, err)
        if step:
            steps[step.id] = step

    lists = _parse_lists(data.get("lists") or {}, steps, err)
    start = data.get("start")
    if start is not None and start not in steps:
        err("D007", "key 'start'", f"no step called '{start}'")

    for step in steps.values():
        _check_step_refs(step, steps, lists, err)

    follow_ups = _parse_follow_ups(data.get("follow_ups") or [], steps, lists, err)
    contact = data.get("contact_instructions") or []
    if not isinstance(contact, list) or not all(isinstance(k, str) for k in contact):
        err("D004", "key 'contact_instructions'", "must be a list of step ids")
        contact = []
    for key in contact:
        if key not in steps:
            err("D007", "key 'contact_instructions'", f"no step called '{key}'")

    if not problems:
        _check_graph(start, steps, err)
    if problems:
        raise DialogueError(problems)
    return DialogueSpec(
        id=str(data["id"]),
        version=int(data["version"]),
        title=data["title"],
        start=start,
        steps=steps,
        lists=lists,
        follow_ups=follow_ups,
        audience=data.get("audience", "person"),
        path=source,
        contact_instructions=tuple(contact),
    )


FOLLOW_UP_KEYS = {"kind", "when", "label", "urgent"}


def _parse_follow_ups(raw: Any, steps, lists, err) -> tuple[FollowUpRule, ...]:
    """``follow_ups``: a list of ``{kind, when, label?, urgent?}``, using the same checks as branches."""
    if not isinstance(raw, list):
        err("D004", "key 'follow_ups'", "must be a list of {kind, when}")
        return ()
    rules = []
    for i, rule in enumerate(raw):
        where = f"follow_ups[{i}]"
        if not isinstance(rule, dict) or not {"kind", "when"} <= set(rule) <= FOLLOW_UP_KEYS:
            err("D004", where, "a follow-up is a mapping with 'kind' and 'when' (and 'label', 'urgent')")
            continue
        if "urgent" in rule and not isinstance(rule["urgent"], bool):
            err("D004", f"{where}, key 'urgent'", "must be true or false")
            continue
        if "label" in rule and not (isinstance(rule["label"], str) and rule["label"].strip()):
            err("D004", f"{where}, key 'label'", "must be some text")
            continue
        if not isinstance(rule["kind"], str) or not STEP_ID.match(rule["kind"]):
            err("D004", f"{where}, key 'kind'", "a kind is named by lower-case letters, digits and _")
            continue
        try:
            check_condition(rule["when"], steps, lists)
        except ConditionError as exc:
            err("D008", f"{where}.when", str(exc))
            continue
        label = rule.get("label") or rule["kind"].replace("_", " ").capitalize()
        rules.append(FollowUpRule(rule["kind"], rule["when"], label, rule.get("urgent", False)))
    return tuple(rules)


def _check_text(value: Any, where: str, err) -> bool:
    if not isinstance(value, str) or not value.strip():
        err("D004", where, "must be some text")
        return False
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        err("D012", where, f"broken placeholder: {exc}")
        return False
    unknown = names - PLACEHOLDERS
    if unknown:
        err("D012", where, f"unknown placeholder {sorted(unknown)}; allowed: {sorted(PLACEHOLDERS)}")
        return False
    return True


def _parse_step(sid: str, raw: Any, err) -> Step | None:
    where = f"step '{sid}'"
    if not STEP_ID.match(sid):
        err("D004", where, "a step id uses lower-case letters, digits and _ only")
    if not isinstance(raw, dict):
        err("D004", where, "must be a mapping")
        return None
    for key in raw:
        if key not in STEP_KEYS:
            err("D003", f"{where}, key '{key}'", f"unknown key; expected one of {sorted(STEP_KEYS)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        err("D004", f"{where}, key 'kind'", f"must be one of {list(KINDS)}, not {kind!r}")
        return None
    for key in ("ask", "ask_about", "easy", "easy_about"):
        if key in raw:
            _check_text(raw[key], f"{where}, key '{key}'", err)
    say = _lines(raw.get("say"), f"{where}, key 'say'", err)
    say_about = _lines(raw.get("say_about"), f"{where}, key 'say_about'", err)
    easy_say = _lines(raw.get("easy_say"), f"{where}, key 'easy_say'", err)
    easy_say_about = _lines(raw.get("easy_say_about"), f"{where}, key 'easy_say_about'", err)
    picture = raw.get("picture")
    if picture is not None and not (isinstance(picture, str) and STEP_ID.match(picture)):
        err("D004", f"{where}, key 'picture'", "a picture is named by lower-case letters, digits and _")
    if kind in QUESTION_KINDS and "ask" not in raw:
        err("D002", f"{where}, key 'ask'", f"a {kind} step asks a question")
    if kind in ("none", "end", "review") and not say and "ask" not in raw:
        err("D002", f"{where}, key 'say'", "this step needs something to say")

    options = []
    raw_options = raw.get("options")
    if kind in ("choice", "multi"):
        if not raw_options and not raw.get("options_from"):
            err("D005", f"{where}, key 'options'", f"a {kind} step needs options")
    elif raw_options:
        err("D005", f"{where}, key 'options'", f"a {kind} step has no options")
    seen = set()
    for i, opt in enumerate(raw_options or []):
        owhere = f"{where}, options[{i}]"
        if not isinstance(opt, dict) or set(opt) != {"value", "label"}:
            err("D004", owhere, "an option is a mapping with 'value' and 'label'")
            continue
        value = str(opt["value"])
        if value in seen:
            err("D006", owhere, f"value '{value}' is used twice")
        seen.add(value)
        if _check_text(opt["label"], f"{owhere}, key 'label'", err):
            options.append(Option(value, opt["label"]))

    sets = raw.get("sets")
    if sets is not None and sets not in SETTABLE:
        err("D004", f"{where}, key 'sets'", f"must be one of {list(SETTABLE)}")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        err("D004", f"{where}, key 'optional'", "must be true or false")

    branches = []
    nxt = raw.get("next")
    if kind == "end":
        if nxt is not None:
            err("D004", f"{where}, key 'next'", "the end step goes nowhere")
    elif nxt is None:
        err("D002", f"{where}, key 'next'", "every step but the end says where to go next")
    elif isinstance(nxt, str):
        branches.append(Branch(nxt))
    elif isinstance(nxt, list) and nxt:
        for i, b in enumerate(nxt):
            bwhere = f"{where}, next[{i}]"
            if not isinstance(b, dict) or "go" not in b or set(b) - {"go", "when"}:
                err("D004", bwhere, "a branch is a mapping with 'go' and an optional 'when'")
                continue
            branches.append(Branch(str(b["go"]), b.get("when")))
        if branches and branches[-1].when is not None:
            err("D009", f"{where}, key 'next'", ERRORS["D009"])
    else:
        err("D004", f"{where}, key 'next'", "must be a step id or a list of branches")

    return Step(
        id=sid,
        kind=kind,
        say=tuple(say),
        say_about=tuple(say_about) if raw.get("say_about") is not None else None,
        ask=raw.get("ask"),
        ask_about=raw.get("ask_about"),
        easy=raw.get("easy"),
        easy_about=raw.get("easy_about"),
        easy_say=tuple(easy_say) if raw.get("easy_say") is not None else None,
        easy_say_about=tuple(easy_say_about) if raw.get("easy_say_about") is not None else None,
        picture=picture,
        options=tuple(options),
        options_from=raw.get("options_from"),
        optional=bool(optional),
        sets=sets,
        repeat=raw.get("repeat"),
        topic=raw.get("topic"),
        branches=tuple(branches),
    )


def _lines(value: Any, where: str, err) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        err("D004", where, "must be a line of text or a list of lines")
        return []
    return [line for i, line in enumerate(value) if _check_text(line, f"{where}[{i}]", err)]


def _parse_lists(raw: Any, steps: dict[str, Step], err) -> dict[str, ListSource]:
    lists = {}
    if not isinstance(raw, dict):
        err("D004", "key 'lists'", "must be a mapping of list name to its source")
        return lists
    for name, src in raw.items():
        where = f"list '{name}'"
        if not isinstance(src, dict) or "from" not in src or set(src) - {"from", "dialogue"}:
            err("D004", where, "a list is a mapping with 'from' (steps) and optional 'dialogue'")
            continue
        from_steps = src["from"] if isinstance(src["from"], list) else [src["from"]]
        if src.get("dialogue") is None:
            for s in from_steps:
                if s not in steps:
                    err("D013", where, f"no step called '{s}' in this dialogue")
        lists[name] = ListSource(str(name), tuple(map(str, from_steps)), src.get("dialogue"))
    return lists


def _check_step_refs(step: Step, steps: dict[str, Step], lists: dict, err) -> None:
    where = f"step '{step.id}'"
    for i, branch in enumerate(step.branches):
        if branch.target not in steps:
            err("D007", f"{where}, next[{i}]", f"no step called '{branch.target}'")
        if branch.when is not None:
            try:
                check_condition(branch.when, steps, lists)
            except ConditionError as exc:
                err("D008", f"{where}, next[{i}].when", f"{exc}; known: {sorted(CONDITIONS)}")
    for key in ("repeat", "options_from"):
        name = getattr(step, key)
        if name is not None and name not in lists:
            err("D013", f"{where}, key '{key}'", f"no list called '{name}' under 'lists'")
    if step.repeat and not step.is_question:
        err("D004", f"{where}, key 'repeat'", "only a question can repeat over a list")
    if step.options_from and step.kind not in ("choice", "multi"):
        err("D005", f"{where}, key 'options_from'", "only choice and multi steps have options")


def _check_graph(start: str, steps: dict[str, Step], err) -> None:
    reachable, todo = set(), [start]
    while todo:
        sid = todo.pop()
        if sid in reachable:
            continue
        reachable.add(sid)
        todo.extend(b.target for b in steps[sid].branches)
    for sid in steps:
        if sid not in reachable:
            err("D010", f"step '{sid}'", ERRORS["D010"])
    ends = {sid for sid, s in steps.items() if s.kind == "end"}
    if not ends:
        err("D011", "key 'steps'", "the dialogue needs a step of kind 'end'")
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
            err("D011", f"step '{sid}'", ERRORS["D011"])
