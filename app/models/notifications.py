"""The outbox: one row per email to one recipient, written in the same transaction as the signal it
reports, so that nothing is lost between the person's answer and the member of staff's inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .. import db
from ..clock import utcnow

# What a notification reports: an urgent signal, a follow-up, or an urgent signal nobody acknowledged.
KINDS = ("urgent", "follow_up", "escalation")
# Who it goes to: the case's worker, the team's duty inbox, or a manager.
AUDIENCES = ("worker", "duty", "manager")
STATES = ("waiting", "sent", "failing")


class Notification(db.Model):
    """One email to one address. It carries no personal data: the kind of signal, when, the case
    reference and a link; staff sign in to read more."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # A sender holds a row while it sends it; another process skips it until the lease runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim: Mapped[str | None] = mapped_column(String(32))
    last_tried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
