"""Signals: what a person said that someone must act on, raised as the answer is saved.

The rules live in the dialogue files (``follow_ups:``), so a safeguarding lead can read and change
them; "I need help now" raises an urgent one by itself. Each is written in the same transaction as
the answer that raised it, together with its notifications (the outbox), so a signal is never lost
and never raised for an answer that was not saved. Staff pages hear of it after the commit.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from . import db, socketio
from .events import after_commit
from .models import Case, Conversation, utcnow
from .staff.models import FollowUp

WITHDRAWN = "Withdrawn automatically: the person changed the answer that raised this."
HELP_NOW = "help_now"
HELP_NOW_LABEL = "Asked for help now"
STAFF_NAMESPACE = "/staff"


def label(kind: str) -> str:
    """What staff read for a kind of signal (from the dialogue files, where a lead can change it)."""
    if kind == HELP_NOW:
        return HELP_NOW_LABEL
    for dialogue in current_app.extensions["dialogues"].values():
        rule = dialogue.follow_up_rule(kind)
        if rule is not None:
            return rule.label
    return kind.replace("_", " ").capitalize()


def labels() -> dict[str, str]:
    """Every kind's label, for the staff pages."""
    found = {HELP_NOW: HELP_NOW_LABEL}
    for dialogue in current_app.extensions["dialogues"].values():
        for rule in dialogue.spec.follow_ups:
            found.setdefault(rule.kind, rule.label)
    return found


def sync(conversation: Conversation, dialogue, holding: set[str]) -> None:
    """Raise follow-ups that now hold; withdraw untouched ones whose answer was changed."""
    open_ones = {
        f.kind: f
        for f in db.session.scalars(
            select(FollowUp).where(FollowUp.conversation_id == conversation.id, FollowUp.done_at.is_(None))
        )
    }
    now = utcnow()
    for kind in sorted(holding - set(open_ones)):
        rule = dialogue.follow_up_rule(kind)
        raise_one(conversation, kind, urgent=bool(rule and rule.urgent), now=now)
    for kind, follow_up in open_ones.items():
        # An urgent signal someone is already dealing with stays: the person said it, and it was heard.
        if kind != HELP_NOW and kind not in holding and follow_up.acknowledged_at is None:
            follow_up.done_at, follow_up.note = now, WITHDRAWN
            _after(follow_up, "withdrawn")


def raise_one(conversation: Conversation, kind: str, urgent: bool = False, now=None) -> FollowUp:
    """Write one signal and its notifications in the current transaction."""
    from .notify.outbox import notify_signal

    now = now or utcnow()
    follow_up = FollowUp(
        case_id=conversation.case_id,
        conversation_id=conversation.id,
        kind=kind,
        urgent=urgent,
        raised_at=now,
    )
    db.session.add(follow_up)
    db.session.flush()  # its id, for the notifications and the push
    case = db.session.get(Case, conversation.case_id)
    notify_signal(case, follow_up, "urgent" if urgent else "follow_up", label(kind), now)
    _after(follow_up, "raised")
    return follow_up


def asked_for_help(conversation: Conversation) -> FollowUp:
    """ "I need help now": a new urgent signal unless one is still waiting for someone to act."""
    waiting = db.session.scalars(
        select(FollowUp).where(
            FollowUp.conversation_id == conversation.id,
            FollowUp.kind == HELP_NOW,
            FollowUp.done_at.is_(None),
            FollowUp.acknowledged_at.is_(None),
        )
    ).first()
    return waiting or raise_one(conversation, HELP_NOW, urgent=True)


# -- telling staff pages, after the commit ---------------------------------------------------------


def rooms_for(case: Case) -> list[str]:
    """The /staff socket rooms that may hear about this case: one per live sign-in of its worker and
    of its team's managers (every manager for a case with no team). A sign-in that ended, or an
    account switched off, hears nothing more, even from a socket that stayed open."""
    from datetime import timedelta

    from .staff.auth import staff_room
    from .staff.models import StaffSession, User

    may_see = User.role == "manager"
    if case.team_id is not None:
        may_see = may_see & (User.team_id == case.team_id)
    if case.worker_id is not None:
        may_see = may_see | (User.id == case.worker_id)
    from .conversation.services import aware

    idle = utcnow() - timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    live = db.session.execute(
        select(StaffSession.id, StaffSession.seen_at)
        .join(User, StaffSession.user_id == User.id)
        .where(may_see, User.active, StaffSession.ended_at.is_(None))
    )
    return [staff_room(sid) for sid, seen in live if aware(seen) >= idle]


def push(follow_up: FollowUp, event: str) -> None:
    """Tell the staff pages that can see this case, once the transaction commits."""
    _after(follow_up, event)


def _after(follow_up: FollowUp, event: str) -> None:
    case = db.session.get(Case, follow_up.case_id)
    payload = {
        "event": event,
        "id": follow_up.id,
        "case_id": case.id,
        "reference": case.reference,
        "kind": follow_up.kind,
        "label": label(follow_up.kind),
        "urgent": bool(follow_up.urgent),
        "raised_at": follow_up.raised_at.isoformat() if follow_up.raised_at else None,
    }
    rooms = rooms_for(case)

    def send() -> None:
        if rooms:
            socketio.emit("signal", payload, namespace=STAFF_NAMESPACE, to=rooms)

    after_commit(db.session(), send)
