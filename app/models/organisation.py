"""The organisation's perspective: the national return's decisions a worker confirms, the case-file
audit (samples, each case's audit, and agreed actions), and supervision of a worker's reflection."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import db
from ..clock import utcnow
from ..crypto import EncryptedText

# Safeguarding Adults Collection, table SG4a: was the person (or their representative) asked about
# their desired outcomes; and, of those who expressed some, were they achieved.
SG4A_ASKED = ("expressed", "none_expressed", "no", "dont_know", "not_recorded")
SG4A_ACHIEVED = ("fully", "partially", "not")


class SacDecision(db.Model):
    """A worker's confirmation of a case's SG4a figures where the conversations cannot decide them
    (for example the person's and the worker's views of an outcome differ). The latest stands."""

    __tablename__ = "sac_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    asked: Mapped[str] = mapped_column(String(24))
    achieved: Mapped[str | None] = mapped_column(String(16))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditSample(db.Model):
    """A manager's random sample of a team's cases closed in a period, for case-file audit."""

    __tablename__ = "audit_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(8))  # "2026Q4"
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseFileAudit(db.Model):
    """One sampled case's audit, by an auditor who is neither its worker nor their manager; the audit
    itself is a staff conversation through the audit dialogue (``conversation_id``)."""

    __tablename__ = "case_file_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("audit_sample.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Supervision(db.Model):
    """A manager's record of discussing a worker's reflection in supervision (one-to-one)."""

    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(primary_key=True)
    reflection_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    discussed_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Where an agreed action comes from.
ACTION_SOURCES = ("case_file_audit", "supervision")


class AgreedAction(db.Model):
    """A finding's or a supervision's agreed action, tracked to done."""

    __tablename__ = "agreed_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(24))
    case_file_audit_id: Mapped[int | None] = mapped_column(ForeignKey("case_file_audit.id"), index=True)
    supervision_id: Mapped[int | None] = mapped_column(ForeignKey("supervision.id"), index=True)
    text: Mapped[str] = mapped_column(EncryptedText)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
