"""Check an answer against the step it answers. Pure: no Flask, no database."""

from __future__ import annotations

from typing import Any

from .engine import Dialogue, Facts


class InvalidAnswer(ValueError):
    """The value does not fit the step; ``code`` is stable and maps to a calm message."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def allowed_values(dialogue: Dialogue, key: str, facts: Facts) -> set[str]:
    """Option values the person may choose at a key (static and built from answers): an option
    whose 'when' does not hold is not offered, so it is no choice either."""
    step = dialogue.step(key)
    if step.kind == "review":
        return {"confirm"}
    values = {o.value for o in dialogue.offered(key, facts)}
    if step.options_from:
        values |= {item.value for item in dialogue.items(step.options_from, facts)}
    return values


def is_unicode(text: str) -> bool:
    """Whether ``text`` is Unicode text: JSON can spell a lone surrogate (``"\\ud800"``), which is
    no character, cannot be stored as UTF-8 or shown, and would break every page that showed it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_value(dialogue: Dialogue, key: str, facts: Facts, value: Any, max_text: int) -> Any:
    """Return the value to store, normalised, or raise ``InvalidAnswer``."""
    step = dialogue.step(key)
    if step.kind == "end":
        raise InvalidAnswer("finished")
    if step.kind == "none":
        if value is not None:
            raise InvalidAnswer("no_answer_expected")
        return None
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        if step.optional:
            return None
        raise InvalidAnswer("required")
    if step.kind in ("choice", "review"):
        if not isinstance(value, str) or value not in allowed_values(dialogue, key, facts):
            raise InvalidAnswer("not_an_option")
        return value
    if step.kind == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidAnswer("not_an_option")
        allowed = allowed_values(dialogue, key, facts)
        if any(v not in allowed for v in value):
            raise InvalidAnswer("not_an_option")
        return list(dict.fromkeys(value))  # keep the person's order, drop repeats
    if step.kind == "text":
        if not isinstance(value, str):
            raise InvalidAnswer("not_text")
        # Free text stays as typed, except surrounding whitespace; NUL never belongs in text.
        # Browsers send a form's line breaks as CRLF; the live chat sends LF. Store one form, so
        # that the length limit counts a line break once, as the text box does.
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > max_text:
            raise InvalidAnswer("too_long")
        if "\x00" in text or not is_unicode(text):
            raise InvalidAnswer("not_text")
        return text
    raise InvalidAnswer("not_an_option")
