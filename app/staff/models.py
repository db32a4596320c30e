"""The practitioner side: teams, staff accounts and their sessions, eligibility for Part 2,
follow-ups raised by what people said, and the audit log of every staff view."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import db
from ..models import utcnow

if TYPE_CHECKING:
    from ..models import Case

ROLES = ("worker", "manager", "admin")


class Team(db.Model):
    """A safeguarding team. Its duty inbox hears every urgent signal on the team's cases, beside
    the case's own worker, because a worker may be away."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    duty_email: Mapped[str | None] = mapped_column(String(254))


class User(UserMixin, db.Model):
    """A member of staff. ``get_id`` is the current sign-in's session token, not the user id, so
    that ending the session on the server ends it in every process (see ``auth.py``)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    team: Mapped[Team | None] = relationship()

    def get_id(self) -> str | None:
        # Not a column: the loader sets it on the instance for this request.
        return self.__dict__.get("session_token")

    @property
    def is_active(self) -> bool:
        return bool(self.active)


class StaffSession(db.Model):
    """One sign-in. Signing out or idling ends it here, for every process at once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


# Why a person is not approached for Part 2: the reasons the source document names.
NOT_APPROACHED_REASONS = ("danger", "further_risk", "not_ethical", "other")
ELIGIBILITY = ("yes", "representative", "not_approached")
# A worker proposes; a manager of the team approves or declines with their own account. A decision
# made by a manager, or imported with --eligible-agreed-by, is approved when it is recorded.
ELIGIBILITY_STATUSES = ("proposed", "approved", "declined")


class Eligibility(db.Model):
    """Whether the person can be approached for Part 2: proposed by the worker, agreed by a manager."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    reason_text: Mapped[str | None] = mapped_column(Text)
    representative_name: Mapped[str | None] = mapped_column(String(120))
    representative_role: Mapped[str | None] = mapped_column(String(32))
    # A typed name, from before decisions were agreed by a manager's own account: shown, never relied on.
    agreed_with: Mapped[str | None] = mapped_column(String(120))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # "app" (the staff pages) or "cli" (imported from the council's own case system).
    source: Mapped[str] = mapped_column(String(16), default="app")

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    agreed_by: Mapped[User | None] = relationship(foreign_keys=[agreed_by_id])

    @property
    def allows_part2(self) -> bool:
        """A Part 2 invitation may be made: agreed by a manager, and the person (or someone for
        them) may be approached."""
        return self.status == "approved" and self.decision in ("yes", "representative")


class FollowUp(db.Model):
    """Something a person said that needs a worker to act. An urgent one ("I need help now", feeling
    less safe) stays at the top of the pages until someone says they are dealing with it, and is
    escalated to the team's managers and duty inbox if nobody does in time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    case: Mapped[Case] = relationship()


class AuditEvent(db.Model):
    """Who looked at or exported what, and refused attempts. Never the answers themselves."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer)  # kept even for refused ids
    detail: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User | None] = relationship()
