"""What a checked dialogue is: immutable specs, and the catalogue of mistakes a file can have.

Every mistake is reported with the file, line and column, the step and key, a stable code and a plain
sentence, so that a safeguarding lead editing a dialogue can find and fix it (compare pyxform's
``errors.py``). A dialogue that does not validate is never run: loading raises ``DialogueError`` with
every problem found. Files are read in ``load.py`` and checked in ``parse.py``; ``ERRORS`` below is
the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The catalogue of mistakes. Codes never change meaning, so that documentation can refer to them.
ERRORS = {
    "D001": "the file cannot be read as YAML",
    "D002": "a required key is missing",
    "D003": "an unknown key",
    "D004": "a value has the wrong type or an unknown value",
    "D005": "options are missing, empty or not allowed here",
    "D006": "an option value is repeated",
    "D007": "a branch (or 'start', or 'contact_instructions') names a step that does not exist",
    "D008": "an unknown or malformed condition",
    "D009": "the last branch must have no condition, so there is always a way on",
    "D010": "a step cannot be reached from the start",
    "D011": "the end cannot be reached from this step",
    "D012": "a text uses a placeholder that is not allowed",
    "D013": "a list refers to an unknown list, step or dialogue",
    "D014": "a role someone can answer as has no 'staff' label",
    # Warnings: the checker reports them, but the dialogue still runs (see advice.py).
    "D015": "an option of a step with Easy Read words has no Easy Read label (a warning)",
}

# The answer of a step that ``sets: respondent`` which are not roles: the person (on their own, or
# with someone helping them), or "someone else".
SELF = ("self", "self_helped")
NOT_ROLES = (*SELF, "representative")


# An option's context when someone else answers: Welsh answers echo the question's verb in its
# person ("Ydych chi...?" "Ydw"; "Ydy Sam...?" "Ydy"), so a yes to "Do you feel safer?" and to "Does
# Sam feel safer?" are different words. Extracted beside the option's own context.
def about_context(context: str) -> str:
    """The msgctxt of an option's label when someone answers about the person."""
    return f"{context}, about the person"


@dataclass(frozen=True)
class Problem:
    """One mistake: where it is, its code, and what is wrong in plain words. A ``warning`` does not
    stop the dialogue from running; the checker reports it all the same."""

    code: str
    file: str
    message: str
    where: str = ""
    line: int | None = None
    column: int | None = None
    warning: bool = False

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        where = f" ({self.where})" if self.where else ""
        kind = "warning: " if self.warning else ""
        return f"{place}: {self.code} {kind}{self.message}{where}"


class DialogueError(Exception):
    """A dialogue file is invalid; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    staff: str | None = None  # what staff pages call this answer (roles); never shown to the person
    easy: str | None = None  # the Easy Read label; without one, Easy Read shows ``label``
    # Offered (and accepted) only while this holds: the same checks as a branch's 'when'.
    when: dict | None = None
    # The msgctxt its labels are translated with: a Welsh answer echoes the question's verb, so
    # "Yes" to "Did they listen?" is not "Yes" to "Do you feel safer?".
    context: str | None = None

    def label_for(self, easy_read: bool) -> str:
        """The msgid of the label the person reads, at their reading level."""
        return self.easy if easy_read and self.easy else self.label


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
        return self.kind in ("choice", "multi", "text")

    @property
    def in_review(self) -> bool:
        """Whether "check your answers" lists this step's answer, with a Change link. Not the consent
        question: changed there to "Not now", it would end the conversation from the review page,
        and the person says yes to it before anything else is asked."""
        return self.is_question and self.sets != "consent"

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
                if opt.easy:
                    found.append((f"{step.id}.options.{opt.value}.easy", opt.easy))
        return found

    def roles(self) -> dict[str, str]:
        """Role value -> staff label, in file order, from the options of steps that set the respondent."""
        found: dict[str, str] = {}
        for step in self.steps.values():
            if step.sets == "respondent":
                for opt in step.options:
                    if opt.value not in NOT_ROLES:
                        found.setdefault(opt.value, opt.staff or opt.value)
        return found


@dataclass
class Context:
    """What the dialogues loaded together tell each other: each one's steps and lists, and every role."""

    dialogues: dict[str, dict] = field(default_factory=dict)  # id -> {"steps": set, "lists": {..}}
    roles: tuple[str, ...] = ()
