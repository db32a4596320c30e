"""On what basis each conversation holds what it holds: the person's consent at the opening, who
answered (the person, with help, or a representative in a role, and why), and, when a representative
answered, the worker's record of the person's capacity and support in the Safeguarding Adults
Collection's terms (SG3a). Shown on the case page and carried in every export."""

from __future__ import annotations

from flask import current_app

from .. import access, db
from ..clock import utcnow
from ..models import CAPACITY, SUPPORT, Conversation, User
from ..records import RecordsError
from . import reading

CONSENT = {
    "yes": "Agreed to answer",
    "not_now": "Said not now",
    "talk_first": "Wants to talk to someone first",
}
# The collection's own words (NHS England, SAC guidance: SG3a).
CAPACITY_LABELS = {
    "lacked": "Yes, they lacked capacity",
    "not_lacked": "No, they did not lack capacity",
    "dont_know": "Don't know",
    "not_recorded": "Not recorded",
}
SUPPORT_LABELS = {
    "yes": "Yes, supported by an advocate, family member or friend",
    "no": "No",
    "dont_know": "Don't know",
    "not_recorded": "Not recorded",
}


def answered_by_representative(conversation: Conversation) -> bool:
    """A representative answered (or was invited to): the worker's capacity record belongs here."""
    return conversation.respondent not in (None, "self", "self_helped")


def answered_as(conversation: Conversation) -> str:
    """Who answered, as the staff pages and exports say it."""
    respondent = conversation.respondent
    if respondent is None:
        return "Not known yet (asked at the start)"
    if respondent == "self":
        return "The person"
    if respondent == "self_helped":
        return "The person, with someone helping them"
    role = current_app.extensions["dialogues"].roles().get(respondent)
    return f"A representative: {role}" if role else "A representative (role not given)"


def basis(conversation: Conversation) -> dict:
    """Consent, who answered and why, and capacity, for one conversation: plain data."""
    said = reading.what_was_said(conversation)
    why = next((s.answer for s in said if s.step == "why_representative"), None)
    recorded_by = db.session.get(User, conversation.capacity_by_id) if conversation.capacity_by_id else None
    return {
        "consent": conversation.consent,
        "consent_label": CONSENT.get(conversation.consent, "Not asked yet"),
        "consent_at": conversation.consent_at,
        "respondent": conversation.respondent,
        "answered_as": answered_as(conversation),
        "why_representative": why,
        "representative": answered_by_representative(conversation),
        "capacity": conversation.capacity,
        "capacity_label": CAPACITY_LABELS.get(conversation.capacity, "Not recorded yet"),
        "capacity_support": conversation.capacity_support,
        "capacity_support_label": SUPPORT_LABELS.get(conversation.capacity_support),
        "capacity_by": recorded_by.email if recorded_by else None,
        "capacity_at": conversation.capacity_at,
    }


def record_capacity(user: User, conversation: Conversation, capacity: str | None, support: str | None):
    """The worker's record of capacity (and, where it was lacking, of support by an advocate, family
    member or friend) for a conversation a representative answered. Audited; the latest stands."""
    if not answered_by_representative(conversation):
        raise RecordsError("Capacity is recorded when a representative answers for the person.")
    if capacity not in CAPACITY:
        raise RecordsError("Choose whether the person lacked capacity, from the list.")
    if capacity == "lacked":
        if support not in SUPPORT:
            raise RecordsError("Choose whether an advocate, family member or friend supported the person.")
    else:
        support = None  # the collection asks about support only where capacity was lacking
    conversation.capacity, conversation.capacity_support = capacity, support
    conversation.capacity_by_id, conversation.capacity_at = user.id, utcnow()
    access.record(user, "record_capacity", conversation.case_id, f"{conversation.dialogue_id}: {capacity}")
    db.session.commit()
