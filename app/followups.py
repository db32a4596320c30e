"""Follow-ups: what a person said that a worker must act on, raised as the answer is saved.

The rules live in the dialogue files (``follow_ups:``), so a safeguarding lead can read and change
them. "I need help now" raises one too. Each is written in the same transaction as the answer that
raised it, so a follow-up is never lost and never raised for an answer that was not saved.
"""

from __future__ import annotations

from sqlalchemy import select

from . import db
from .models import Conversation, utcnow
from .staff.models import FollowUp

WITHDRAWN = "Withdrawn automatically: the person changed the answer that raised this."


def sync(conversation: Conversation, holding: set[str]) -> None:
    """Raise follow-ups that now hold; withdraw untouched ones whose answer was changed."""
    open_ones = {
        f.kind: f
        for f in db.session.scalars(
            select(FollowUp).where(
                FollowUp.conversation_id == conversation.id, FollowUp.done_at.is_(None)
            )
        )
    }
    now = utcnow()
    for kind in holding - set(open_ones):
        raise_one(conversation, kind, now)
    for kind, follow_up in open_ones.items():
        if kind != "help_now" and kind not in holding:
            follow_up.done_at, follow_up.note = now, WITHDRAWN


def raise_one(conversation: Conversation, kind: str, now=None) -> None:
    db.session.add(
        FollowUp(
            case_id=conversation.case_id,
            conversation_id=conversation.id,
            kind=kind,
            raised_at=now or utcnow(),
        )
    )


def has_open(conversation: Conversation, kind: str) -> bool:
    return (
        db.session.scalar(
            select(FollowUp.id).where(
                FollowUp.conversation_id == conversation.id,
                FollowUp.kind == kind,
                FollowUp.done_at.is_(None),
            )
        )
        is not None
    )
