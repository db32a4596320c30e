"""Signals: what a person said that someone must act on, from raised to done.

The rules live in the dialogue files (``follow_ups:``), so a safeguarding lead can read and change
them; "I need help now" raises an urgent one by itself. Each is written in the same transaction as
the answer that raised it, together with its notifications (the outbox), so a signal is never lost
and never raised for an answer that was not saved. An urgent one stays at the top of the staff pages
until someone says they are dealing with it, and is escalated once if nobody does in time. Staff pages
hear of every change after the commit (``events.emit_after_commit``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update

from . import access, db
from .clock import aware, utcnow
from .events import STAFF_NAMESPACE, emit_after_commit, staff_room
from .models import Case, Conversation, FollowUp, StaffSession, User
from .notify.outbox import notify_signal

WITHDRAWN = "Withdrawn automatically: the person changed the answer that raised this."
HELP_NOW = "help_now"
HELP_NOW_LABEL = "Asked for help now"


class FollowUpError(ValueError):
    """The follow-up cannot be changed as asked; nothing was written, and the message says why."""


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


# -- raised by what the person said ----------------------------------------------------------------


# Built once: it runs after every answer (building it and its cache key cost more than running it).
# On the table's columns, not the mapped attributes: a plain Core statement, without the ORM's
# execution and row handling around it (25 us a run here, from 49).
_FOLLOW_UPS = FollowUp.__table__
_OPEN_ONES = select(_FOLLOW_UPS.c.kind, _FOLLOW_UPS.c.id, _FOLLOW_UPS.c.acknowledged_at).where(
    _FOLLOW_UPS.c.conversation_id == bindparam("conversation_id"), _FOLLOW_UPS.c.done_at.is_(None)
)


def sync(conversation: Conversation, dialogue, holding: set[str]) -> None:
    """Raise follow-ups that now hold; withdraw untouched ones whose answer was changed.

    Runs after every answer of a dialogue with rules, and almost always changes nothing: the open
    ones are read as plain rows (kind, id, whether acknowledged), and only one to withdraw is loaded
    as an object."""
    open_ones = {
        row.kind: row for row in db.session.execute(_OPEN_ONES, {"conversation_id": conversation.id})
    }
    now = utcnow()
    for kind in sorted(holding - set(open_ones)):
        rule = dialogue.follow_up_rule(kind)
        raise_one(conversation, kind, urgent=bool(rule and rule.urgent), now=now)
    for kind, row in open_ones.items():
        # An urgent signal someone is already dealing with stays: the person said it, and it was heard.
        if kind != HELP_NOW and kind not in holding and row.acknowledged_at is None:
            follow_up = db.session.get(FollowUp, row.id)
            follow_up.done_at, follow_up.note = now, WITHDRAWN
            push(follow_up, "withdrawn")


def raise_one(conversation: Conversation, kind: str, urgent: bool = False, now=None) -> FollowUp:
    """Write one signal and its notifications in the current transaction."""
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
    push(follow_up, "raised")
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


# -- what staff see and do -------------------------------------------------------------------------


def follow_ups_for(user: User, open_only: bool = True, case: Case | None = None) -> list[FollowUp]:
    """The signals on the cases this user can see: urgent ones first, then oldest first."""
    query = select(FollowUp).where(FollowUp.case_id.in_(access.visible_case_ids(user)))
    if case is not None:
        query = query.where(FollowUp.case_id == case.id)
    if open_only:
        query = query.where(FollowUp.done_at.is_(None))
    return list(db.session.scalars(query.order_by(FollowUp.urgent.is_(False), FollowUp.raised_at)))


def urgent_waiting(user: User, case: Case | None = None) -> list[FollowUp]:
    """Urgent signals nobody has said they are dealing with: the top of the worker's and team's pages."""
    return [f for f in follow_ups_for(user, case=case) if f.urgent and f.acknowledged_at is None]


def count_by_kind(items: list[FollowUp]) -> dict[str, int]:
    """How many of each kind, in the order first seen (the summary on the follow-ups page)."""
    summary: dict[str, int] = {}
    for item in items:
        summary[item.kind] = summary.get(item.kind, 0) + 1
    return summary


def acknowledge(user: User, follow_up: FollowUp) -> bool:
    """ "I am dealing with this": recorded (who, when) and audited; stops the escalation. False if
    someone already had (and nothing is written)."""
    if follow_up.acknowledged_at is not None:
        return False
    follow_up.acknowledged_at, follow_up.acknowledged_by_id = utcnow(), user.id
    access.record(user, "acknowledge", follow_up.case_id, f"follow-up {follow_up.id}")
    push(follow_up, "acknowledged")
    db.session.commit()
    return True


def mark_done(user: User, follow_up: FollowUp, note: str | None) -> None:
    """Done, with a note of what was done, audited in the same transaction. An urgent signal done is
    also acknowledged. A refusal writes nothing: the log holds only what was done."""
    note = (note or "").strip()
    if not note:
        raise FollowUpError("Write a short note of what you did.")
    if follow_up.done_at is not None:
        raise FollowUpError("This follow-up was already done or withdrawn.")
    now = utcnow()
    follow_up.done_at, follow_up.done_by_id, follow_up.note = now, user.id, note[:2000]
    if follow_up.urgent and follow_up.acknowledged_at is None:
        follow_up.acknowledged_at, follow_up.acknowledged_by_id = now, user.id
        push(follow_up, "acknowledged")  # other open pages take it off their urgent list
    access.record(user, "follow_up_done", follow_up.case_id, f"follow-up {follow_up.id}")
    db.session.commit()


# -- escalation ------------------------------------------------------------------------------------


def escalate_due(now: datetime | None = None) -> int:
    """Escalate, once, every urgent signal nobody acknowledged in time; returns how many. The same
    check runs in every process, and escalates once."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["URGENT_ACK_SECONDS"])
    waiting = db.session.scalars(
        select(FollowUp.id).where(
            FollowUp.urgent,
            FollowUp.acknowledged_at.is_(None),
            FollowUp.done_at.is_(None),
            FollowUp.escalated_at.is_(None),
            FollowUp.raised_at <= cutoff,
        )
    ).all()
    escalated = 0
    for fid in waiting:
        # Whoever sets escalated_at first escalates; every other process finds it set.
        won = db.session.execute(
            update(FollowUp)
            .where(FollowUp.id == fid, FollowUp.escalated_at.is_(None), FollowUp.acknowledged_at.is_(None))
            .values(escalated_at=now)
        )
        if won.rowcount != 1:
            db.session.rollback()
            continue
        item = db.session.get(FollowUp, fid)
        notify_signal(item.case, item, "escalation", label(item.kind), utcnow())
        push(item, "escalated")
        db.session.commit()
        escalated += 1
    return escalated


# -- telling staff pages, after the commit ---------------------------------------------------------


def rooms_for(case: Case) -> list[str]:
    """The /staff socket rooms that may hear about this case: one per live sign-in of its worker and
    of its team's managers (every manager for a case with no team). A sign-in that ended, or an
    account switched off, hears nothing more, even from a socket that stayed open."""
    may_see = User.role == "manager"
    if case.team_id is not None:
        may_see = may_see & (User.team_id == case.team_id)
    if case.worker_id is not None:
        may_see = may_see | (User.id == case.worker_id)
    idle = utcnow() - timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    live = db.session.execute(
        select(StaffSession.id, StaffSession.seen_at)
        .join(User, StaffSession.user_id == User.id)
        .where(may_see, User.active, StaffSession.ended_at.is_(None))
    )
    return [staff_room(sid) for sid, seen in live if aware(seen) >= idle]


def push(follow_up: FollowUp, event: str) -> None:
    """Tell the staff pages that can see this case, once the transaction commits."""
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
    emit_after_commit("signal", payload, STAFF_NAMESPACE, rooms_for(case))
