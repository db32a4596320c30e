"""What a person may change about how the conversation speaks to them, and asking for help.

Each function commits before returning, like every answer: a refresh, another device or another
server process sees the change at once.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext

from .. import db
from ..models import utcnow
from .services import Result, is_open, load

TEXT_SIZES = ("normal", "large", "larger")
SETTINGS = {
    "easy_read": lambda v: isinstance(v, bool),
    "text_size": lambda v: v in TEXT_SIZES,
    "high_contrast": lambda v: isinstance(v, bool),
}


def set_language(conversation_id: int, lang: Any) -> Result:
    """Speak another language from now on. Answers already given keep the language they were in."""
    conversation = load(conversation_id)
    if not is_open(conversation):
        return Result(False, "closed")
    if not isinstance(lang, str) or lang not in current_app.config["LANGUAGES"]:
        return Result(False, "not_a_language")
    conversation.language = lang
    db.session.commit()
    return Result(True)


def change_settings(conversation_id: int, changes: Any) -> Result:
    """Change any of Easy Read, text size and high contrast; anything else changes nothing."""
    conversation = load(conversation_id)
    if not is_open(conversation):
        return Result(False, "closed")
    if not isinstance(changes, dict) or not changes:
        return Result(False, "malformed")
    for key, value in changes.items():
        if key not in SETTINGS or not SETTINGS[key](value):
            return Result(False, "malformed")
    for key, value in changes.items():
        setattr(conversation, key, value)
    db.session.commit()
    return Result(True)


def ask_for_help(conversation_id: int) -> Result:
    """Record that the person asked for help now, for the worker to see first."""
    conversation = load(conversation_id)
    if conversation is None:
        return Result(False, "closed")
    from .. import followups

    if conversation.urgent_at is None:
        conversation.urgent_at = utcnow()
    if not followups.has_open(conversation, "help_now"):
        followups.raise_one(conversation, "help_now")
    db.session.commit()
    return Result(True)


def help_contacts() -> list[dict]:
    """The contacts to show, from config, labelled in the current language."""
    labels = {
        "emergency": gettext("If you are in danger now, call the police on"),
        "council": gettext("Adult social care at the council, in office hours"),
        "council_out_of_hours": gettext("The council's emergency duty team, evenings and weekends"),
        "domestic_abuse": gettext("National Domestic Abuse Helpline, free, day and night"),
        "samaritans": gettext("Samaritans, to talk to someone, free, day and night"),
    }
    return [
        {"kind": c["kind"], "label": labels.get(c["kind"], c.get("label", "")), "number": c["number"]}
        for c in current_app.config["HELP_CONTACTS"]
    ]
