"""The checks of one step: its keys, its texts and their variants, its options, and where it goes
next. A mixin of ``parse.Checker``; the texts check (``text_ok``) is used for the title too.

Texts come in up to four variants, grouped under one key: ``ask: {self, about, easy, easy_about}``
and the same for ``say`` (a plain text, or list of lines, is the ``self`` variant). ``next`` may be
left out: the step then goes on to the one below it in the file.
"""

from __future__ import annotations

import string
from typing import Any

from .locate import did_you_mean
from .references import STEP_ID
from .spec import NOT_ROLES, Branch, Option, Step

KINDS = ("none", "choice", "multi", "text", "review", "end")
QUESTION_KINDS = ("choice", "multi", "text")
SETTABLE = ("respondent", "name", "view", "consent")
# {name}: the person's preferred name; {item}: the item a repeated step is about; {duration}: how
# long the conversation takes, measured from the dialogue itself (app/dialogue/duration.py).
PLACEHOLDERS = {"name", "item", "duration"}
VARIANTS = ("self", "about", "easy", "easy_about")
STEP_KEYS = (
    "kind",
    "topic",
    "say",
    "ask",
    "picture",
    "options",
    "options_from",
    "optional",
    "sets",
    "repeat",
    "next",
)
# Keys of the earlier layout, each now a variant under 'ask' or 'say'.
MOVED = {
    "ask_about": ("ask", "about"),
    "easy": ("ask", "easy"),
    "easy_about": ("ask", "easy_about"),
    "say_about": ("say", "about"),
    "easy_say": ("say", "easy"),
    "easy_say_about": ("say", "easy_about"),
}
# 'easy': the option's Easy Read label, shown (and translated) like 'label' when the person reads
# Easy Read; 'staff' is only ever read by staff.
# 'when': the option is offered only while it holds (checked with the branches, in references.py).
# 'context': the msgctxt its labels are translated with, where the same words need a translation
# of their own for this question (Welsh "Yes" echoes the verb asked).
OPTION_KEYS = ("value", "label", "staff", "easy", "when", "context")


class StepChecks:
    """Needs ``err`` and ``implied`` from ``Checker``."""

    # -- texts ----------------------------------------------------------------------------------

    def text_ok(self, value: Any, path: tuple) -> bool:
        """A text the person reads: not empty, with only the placeholders we fill in."""
        if not isinstance(value, str) or not value.strip():
            self.err("D004", path, "This must be some text, and it is empty or not text.")
            return False
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            self.err(
                "D012",
                path,
                f"This text has a broken placeholder ({exc}); a placeholder is written {{name}}.",
            )
            return False
        unknown = sorted(names - PLACEHOLDERS)
        if unknown:
            self.err(
                "D012",
                path,
                f"This text uses {{{unknown[0]}}}, which is not a placeholder;"
                " the placeholders are {name}, {item} and {duration}."
                + did_you_mean(unknown[0], PLACEHOLDERS),
            )
            return False
        return True

    # -- one step -------------------------------------------------------------------------------

    def step(self, sid: str, raw: Any, following: str | None) -> Step | None:
        """One step, with its texts' variants and where it goes next."""
        at = ("steps", sid)
        if not STEP_ID.match(sid):
            self.err(
                "D004", at, "A step id uses lower-case letters, digits and _ only, like outcome_words.", True
            )
        if not isinstance(raw, dict):
            self.err("D004", at, "A step must be a set of keys: kind, ask, options, ...")
            return None
        for key in raw:
            if key in MOVED:
                group, variant = MOVED[key]
                self.err(
                    "D003",
                    (*at, key),
                    f"'{key}' is now written inside '{group}' as '{variant}:',"
                    f" like {group}: {{self: ..., {variant}: ...}}.",
                    True,
                )
            elif key not in STEP_KEYS:
                self.err(
                    "D003",
                    (*at, key),
                    f"'{key}' is not a key a step uses." + did_you_mean(key, STEP_KEYS),
                    True,
                )
        kind = raw.get("kind")
        if kind not in KINDS:
            self.err(
                "D004",
                (*at, "kind"),
                f'"{kind}" is not a kind of step; the kinds are {", ".join(KINDS)}.'
                + did_you_mean(kind, KINDS),
            )
            return None
        ask = self.variants(raw.get("ask"), (*at, "ask"), lines=False)
        say = self.variants(raw.get("say"), (*at, "say"), lines=True)
        picture = raw.get("picture")
        if picture is not None and not (isinstance(picture, str) and STEP_ID.match(picture)):
            self.err("D004", (*at, "picture"), "A picture is named by lower-case letters, digits and _.")
        if kind in QUESTION_KINDS and not ask.get("self"):
            self.err("D002", (*at, "ask"), f"A {kind} step asks a question: give it an 'ask'.")
        if kind in ("none", "end", "review") and not say.get("self") and not ask.get("self"):
            self.err("D002", (*at, "say"), "This step needs something to say: give it a 'say'.")
        options = self.options(raw, at, kind)
        sets = raw.get("sets")
        if sets is not None and sets not in SETTABLE:
            self.err(
                "D004",
                (*at, "sets"),
                f"'sets' must be one of {', '.join(SETTABLE)}, not {sets!r}." + did_you_mean(sets, SETTABLE),
            )
        optional = raw.get("optional", False)
        if not isinstance(optional, bool):
            self.err("D004", (*at, "optional"), "'optional' must be true or false.")
        if sets == "respondent":
            for i, opt in enumerate(options):
                if opt.value not in NOT_ROLES and not opt.staff:
                    self.err(
                        "D014",
                        (*at, "options", i),
                        f"The role \"{opt.value}\" needs a 'staff' label: the words staff pages use for it.",
                    )
        say_self = say.get("self") or ()
        return Step(
            id=sid,
            kind=kind,
            say=tuple(say_self),
            say_about=say.get("about"),
            ask=ask.get("self"),
            ask_about=ask.get("about"),
            easy=ask.get("easy"),
            easy_about=ask.get("easy_about"),
            easy_say=say.get("easy"),
            easy_say_about=say.get("easy_about"),
            picture=picture,
            options=tuple(options),
            options_from=raw.get("options_from"),
            optional=bool(optional),
            sets=sets,
            repeat=raw.get("repeat"),
            topic=raw.get("topic"),
            branches=tuple(self.branches(raw, at, kind, following)),
        )

    def variants(self, value: Any, path: tuple, lines: bool) -> dict:
        """``ask``/``say``: a text (or lines) for the person, or a mapping of its variants."""
        if value is None:
            return {}
        found = {}
        if isinstance(value, dict):
            for variant, text in value.items():
                if variant not in VARIANTS:
                    self.err(
                        "D003",
                        (*path, variant),
                        f"'{variant}' is not a variant; the variants are {', '.join(VARIANTS)}."
                        + did_you_mean(variant, VARIANTS),
                        True,
                    )
                    continue
                found[variant] = (
                    self.lines(text, (*path, variant)) if lines else self.one(text, (*path, variant))
                )
        else:
            found["self"] = self.lines(value, path) if lines else self.one(value, path)
        return {k: v for k, v in found.items() if v is not None}

    def one(self, value: Any, path: tuple) -> str | None:
        return value if self.text_ok(value, path) else None

    def lines(self, value: Any, path: tuple) -> tuple[str, ...] | None:
        if isinstance(value, str):
            return (value,) if self.text_ok(value, path) else ()
        if not isinstance(value, list):
            self.err("D004", path, "This must be a line of text or a list of lines.")
            return ()
        return tuple(line for i, line in enumerate(value) if self.text_ok(line, (*path, i)))

    def options(self, raw: dict, at: tuple, kind: str) -> list[Option]:
        raw_options = raw.get("options")
        if kind in ("choice", "multi"):
            if not raw_options and not raw.get("options_from"):
                self.err("D005", (*at, "options"), f"A {kind} step needs options to choose from.")
        elif raw_options:
            self.err("D005", (*at, "options"), f"A {kind} step has no options: remove 'options'.")
        if raw_options is not None and not isinstance(raw_options, list):
            self.err("D004", (*at, "options"), "'options' must be a list, each with 'value' and 'label'.")
            return []
        options, seen = [], set()
        for i, opt in enumerate(raw_options or []):
            where = (*at, "options", i)
            if not isinstance(opt, dict) or not {"value", "label"} <= set(opt):
                self.err(
                    "D004",
                    where,
                    "An option needs a 'value' (what is kept) and a 'label' (what the person reads).",
                )
                continue
            extra = [k for k in opt if k not in OPTION_KEYS]
            for key in extra:
                self.err(
                    "D003",
                    (*where, key),
                    f"'{key}' is not a key an option uses." + did_you_mean(key, OPTION_KEYS),
                    True,
                )
            value = str(opt["value"])
            if value in seen:
                self.err("D006", where, f'The option value "{value}" is used twice in this step.')
            seen.add(value)
            staff = opt.get("staff")
            if staff is not None and not (isinstance(staff, str) and staff.strip()):
                self.err("D004", (*where, "staff"), "'staff' must be some text.")
            context = opt.get("context")
            if context is not None and not (
                isinstance(context, str) and context.strip() and context.isprintable()
            ):
                self.err(
                    "D004",
                    (*where, "context"),
                    "'context' must be a word or two on one line naming the question, like listened.",
                )
            easy = opt.get("easy")
            # The Easy Read label is said to the person like 'label': the same text check.
            easy_ok = easy is None or self.text_ok(easy, (*where, "easy"))
            if self.text_ok(opt["label"], (*where, "label")) and easy_ok and not extra:
                options.append(Option(value, opt["label"], staff, easy, opt.get("when"), context))
        return options

    def branches(self, raw: dict, at: tuple, kind: str, following: str | None) -> list[Branch]:
        nxt = raw.get("next")
        if kind == "end":
            if nxt is not None:
                self.err("D004", (*at, "next"), "An end step goes nowhere: remove its 'next'.")
            return []
        if nxt is None:
            if following is None:
                self.err(
                    "D002",
                    (*at, "next"),
                    "This is the last step, so it must be an end (kind: end) or say where to go with 'next'.",
                )
                return []
            self.implied.add(at[1])
            return [Branch(following)]  # on to the step below
        if isinstance(nxt, str):
            return [Branch(nxt)]
        if not (isinstance(nxt, list) and nxt):
            self.err("D004", (*at, "next"), "'next' must be a step id or a list of branches.")
            return []
        found = []
        for i, b in enumerate(nxt):
            if not isinstance(b, dict) or "go" not in b or set(b) - {"go", "when"}:
                self.err(
                    "D004",
                    (*at, "next", i),
                    "A branch needs 'go' (the step to go to) and may have a 'when' (the condition).",
                )
                continue
            found.append(Branch(str(b["go"]), b.get("when")))
        if found and found[-1].when is not None:
            self.err(
                "D009",
                (*at, "next"),
                "The last branch must have no 'when', so that there is always a way on.",
            )
        return found
