"""What a person may change about how the conversation speaks to them, and asking for help.

Each function commits before returning, like every answer: a refresh, another device or another
server process sees the change at once.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import council, db
from ..models import Case, Conversation, utcnow
from ..notify.mail import configured as mail_configured
from .rows import keep
from .services import Result, is_open, load, save

log = logging.getLogger(__name__)

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
    save(conversation, language=lang)
    db.session.commit()
    return Result(True)


# Wales: what the person did with the Active Offer of Welsh, as the case records it ("offered" is
# recorded when an invitation makes the offer, before the person has answered it).
WELSH_OFFER_ANSWERS = ("accepted", "declined")


def welsh_offer_pending(conversation) -> bool:
    """Wales: Welsh is still to be offered to the person (nobody has answered the offer for the case)."""
    return council.in_wales() and conversation.case.welsh_offer not in WELSH_OFFER_ANSWERS


def answer_welsh_offer(conversation_id: int, lang: Any) -> Result:
    """Wales: the person's answer to the offer of Welsh. Welsh is "accepted"; any other language
    chosen instead "declined". The conversation speaks the language chosen from now on.

    The case keeps the first answer and when it was given (a later answer, from another device or
    another part, only changes this conversation's language), and, Welsh accepted, Welsh as its
    language, so the next invitation is in Welsh too."""
    conversation = load(conversation_id)
    if not is_open(conversation):
        return Result(False, "closed")
    if not isinstance(lang, str) or lang not in current_app.config["LANGUAGES"]:
        return Result(False, "not_a_language")
    if not council.in_wales():
        return Result(False, "not_offered")  # England: no offer is made, none is recorded
    save(conversation, language=lang)
    case = conversation.case
    if case.welsh_offer not in WELSH_OFFER_ANSWERS:
        offer = {"welsh_offer": "accepted" if lang == "cy" else "declined", "welsh_offer_at": utcnow()}
        if lang == "cy" or case.language == "cy":
            offer["language"] = lang
        db.session.execute(update(Case).where(Case.id == case.id).values(**offer))
        keep(case, **offer)
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
    save(conversation, **changes)
    db.session.commit()
    return Result(True)


def ask_for_help(conversation_id: int) -> Result:
    """Record that the person asked for help now: an urgent signal and its emails (to the case's
    worker and the team's duty inbox), committed together before the person is told anything."""
    conversation = load(conversation_id)
    if conversation is None:
        return Result(False, "closed")
    from .. import followups
    from ..models import Notification

    try:
        if conversation.urgent_at is None:
            # A plain UPDATE that leaves the row's version alone (as ``sessions.touch`` does): asking
            # for help must never be refused because an answer was being saved at that moment from
            # another tab (the version check would fail one of them).
            now = utcnow()
            db.session.execute(
                update(Conversation)
                .where(Conversation.id == conversation.id, Conversation.urgent_at.is_(None))
                .values(urgent_at=now)
            )
            keep(conversation, urgent_at=now)
        signal = followups.asked_for_help(conversation)
        notified = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.follow_up_id == signal.id)
        )
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("help request not saved: %s", type(exc).__name__)
        return Result(False, "unavailable")
    return Result(True, notified=notified)


def help_notice(result: Result | None, easy_read: bool = False) -> list[str]:
    """What the person is told after "I need help now": only what is true.

    A message is promised only once the request and its notification are committed and mail really
    leaves this server; in the demo (mail printed to the console) no message is promised at all."""
    danger = gettext("If you are in danger now, call 999.")
    if result is None:
        return []
    if not result.ok:
        return [
            gettext("We could not save that you asked for help. Please call one of the numbers below."),
            danger,
        ]
    if not mail_configured(current_app.config):
        return [gettext("This is a demonstration, so no message is sent to anyone."), danger]
    if not result.notified:
        # Saved, but the case has nobody to email (no active worker, no manager, no duty inbox).
        return [
            gettext(
                "We have saved that you asked for help, but we could not send a message to the "
                "team. Please call one of the numbers below."
            ),
            danger,
        ]
    if easy_read:
        return [
            gettext("We are sending a message to the safeguarding team."),
            gettext("It tells them that you asked for help."),
            gettext("They may not read it straight away."),
            danger,
        ]
    return [
        gettext(
            "We are sending a message to the safeguarding team to say that you asked for help. "
            "They may not read it straight away."
        ),
        danger,
    ]


def help_contacts() -> list[dict]:
    """The contacts to show, from the council's help contacts file (``app.council``) for the
    jurisdiction in force, labelled in the current language. The demo's council numbers are
    placeholders, and say so."""
    config = current_app.config
    example = gettext("Example only, not a real number") if config["HELP_NUMBERS_ARE_EXAMPLES"] else None
    shown = []
    for contact in council.contacts():
        number = contact.number or config.get(contact.setting)
        if not number:
            continue  # a development copy without a council number shows none rather than a wrong one
        item = {"kind": contact.kind, "label": council.label(contact), "number": number}
        if contact.setting and example:
            item["example"] = example
        shown.append(item)
    return shown
