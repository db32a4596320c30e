"""The outbox: who hears each signal, what the email says, and a sender any process can run.

- ``notify_signal`` writes one row per recipient in the caller's transaction (the same one as the
  signal), so a signal is never saved without its notifications, nor a notification without it.
- ``deliver_due`` claims due rows and sends them. On PostgreSQL rows are claimed with
  ``FOR UPDATE SKIP LOCKED``, and on every database a claim is a conditional update of a lease, so
  two processes never send the same row. A failure is retried with back-off capped at
  ``OUTBOX_MAX_BACKOFF_SECONDS``: a mail server that is down for ten minutes gets everything
  within a minute of coming back.
Escalation (``followups.escalate_due``) writes its notifications here too; ``app/worker.py`` runs
both in every server process.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import db
from ..clock import aware, utcnow
from ..events import after_commit
from ..models import Case, FollowUp, Notification, Team, User
from . import mail

log = logging.getLogger(__name__)
_wake = threading.Event()


@dataclass(frozen=True)
class Recipient:
    audience: str  # worker, duty or manager
    email: str


# -- who hears what --------------------------------------------------------------------------------


def _active(user: User | None) -> bool:
    return user is not None and user.active and user.role in ("worker", "manager")


def _managers(case: Case) -> list[User]:
    """The case's team's managers; every manager for a case that has no team yet (Unassigned)."""
    query = select(User).where(User.role == "manager", User.active)
    if case.team_id is not None:
        query = query.where(User.team_id == case.team_id)
    return list(db.session.scalars(query.order_by(User.email)))


def recipients(case: Case, kind: str) -> list[Recipient]:
    """Who is emailed: an urgent signal goes to the worker and the duty inbox; a follow-up to the
    worker; an escalation to the managers and the duty inbox. A case with no active worker (in the
    Unassigned list) is heard by the team's managers instead of the worker."""
    worker = db.session.get(User, case.worker_id) if case.worker_id else None
    team = db.session.get(Team, case.team_id) if case.team_id else None
    found: list[Recipient] = []
    if kind in ("urgent", "follow_up"):
        if _active(worker):
            found.append(Recipient("worker", worker.email))
        else:
            found += [Recipient("manager", m.email) for m in _managers(case)]
    if kind == "escalation":
        found += [Recipient("manager", m.email) for m in _managers(case)]
    if kind in ("urgent", "escalation") and team is not None and team.duty_email:
        found.append(Recipient("duty", team.duty_email))
    unique: dict[str, Recipient] = {}
    for r in found:
        unique.setdefault(r.email.lower(), r)
    return list(unique.values())


# -- what the email says: never a name, an answer or free text ---------------------------------------


def compose(kind: str, label: str, case: Case, raised_at: datetime) -> tuple[str, str]:
    """Subject and body for a signal: its kind, when, the case reference and a link."""
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/staff/cases/{case.id}"
    when = aware(raised_at).strftime("%H:%M UTC on %d %B %Y")
    if kind == "escalation":
        subject = f"Not yet acknowledged: {label} (case {case.reference})"
        first = (
            f"An urgent signal on case {case.reference} ({label}, raised at {when}) has not been "
            f"acknowledged by anyone. Please make sure someone is dealing with it now."
        )
    elif kind == "urgent":
        subject = f"Urgent: {label} (case {case.reference})"
        first = f"An urgent signal was raised on case {case.reference} at {when}: {label}."
    else:
        subject = f"Follow-up: {label} (case {case.reference})"
        first = f"A follow-up was raised on case {case.reference} at {when}: {label}."
    lines = [first, "", f"Open the case (sign in first): {link}", ""]
    if kind in ("urgent", "escalation"):
        lines += [
            'If you are dealing with it, press "I am dealing with this" on the case page, so '
            "that the team knows.",
            "",
        ]
    lines.append("This email holds no personal details on purpose. Sign in to read more.")
    return subject, "\n".join(lines)


def notify_signal(case: Case, follow_up: FollowUp, kind: str, label: str, now: datetime) -> int:
    """Write the notifications for one signal in the current transaction; returns how many."""
    subject, body = compose(kind, label, case, follow_up.raised_at or now)
    made = 0
    for r in recipients(case, kind):
        db.session.add(
            Notification(
                case_id=case.id,
                follow_up_id=follow_up.id,
                kind=kind,
                audience=r.audience,
                recipient=r.email,
                subject=subject,
                body=body,
                state="waiting",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
        made += 1
    if made:
        after_commit(db.session(), wake)
    return made


# -- sending ---------------------------------------------------------------------------------------


def wake() -> None:
    """Tell this process's sender there is something to send (after a commit)."""
    _wake.set()


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, 40 s, then every minute at most."""
    cap = current_app.config["OUTBOX_MAX_BACKOFF_SECONDS"]
    return timedelta(seconds=min(cap, 5 * 2 ** max(0, attempts - 1)))


def _claim(now: datetime, limit: int) -> tuple[str, list[int]]:
    token = secrets.token_hex(8)
    due = (
        select(Notification.id)
        .where(Notification.state != "sent", Notification.next_attempt_at <= now)
        .where((Notification.claimed_until.is_(None)) | (Notification.claimed_until < now))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    lease = now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    for nid in db.session.scalars(due).all():
        # The claim itself is a compare-and-set, so it holds on SQLite too.
        done = db.session.execute(
            update(Notification)
            .where(Notification.id == nid, Notification.state != "sent")
            .where((Notification.claimed_until.is_(None)) | (Notification.claimed_until < now))
            .values(claimed_until=lease, claim=token)
        )
        if done.rowcount == 1:
            claimed.append(nid)
    db.session.commit()
    return token, claimed


def deliver_due(limit: int | None = None) -> int:
    """Send what is due now; returns how many were sent. Safe to run in several processes at once."""
    token, ids = _claim(utcnow(), limit or current_app.config["OUTBOX_BATCH"])
    sent = 0
    for nid in ids:
        row = db.session.get(Notification, nid)
        error = None
        try:
            mail.send(current_app.config, row.recipient, row.subject, row.body)
        except mail.MailError as exc:
            error = str(exc)[:300]
        now = utcnow()
        values = {"claimed_until": None, "claim": None, "last_tried_at": now, "attempts": row.attempts + 1}
        if error is None:
            values.update(state="sent", sent_at=now, last_error=None)
            sent += 1
        else:
            values.update(state="failing", last_error=error, next_attempt_at=now + backoff(row.attempts + 1))
            log.warning("notification %s not sent (attempt %s)", nid, row.attempts + 1)
        db.session.execute(
            update(Notification).where(Notification.id == nid, Notification.claim == token).values(**values)
        )
        db.session.commit()
    return sent


def sleep(timeout: float) -> None:
    """Wait until something new is waiting to be sent (``wake``), or for ``timeout`` seconds."""
    _wake.wait(timeout)
    _wake.clear()
