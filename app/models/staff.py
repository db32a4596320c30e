"""Teams, staff accounts and their sign-ins, and the audit log of every staff view."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import db
from ..clock import utcnow

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


class SignInThrottle(db.Model):
    """Failed sign-ins to one account from one address, and until when that address is refused for
    it. Kept in the database (not a process's memory) so that every process sees the same count; an
    attacker's address is locked out, the account's owner elsewhere is not (see ``auth.py``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    address: Mapped[str] = mapped_column(String(64))  # the client's IP address, as the limiter sees it
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("user_id", "address"),)


class AuditEvent(db.Model):
    """Who looked at or exported what, and refused attempts. Never the answers themselves."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer)  # kept even for refused ids
    detail: Mapped[str | None] = mapped_column(String(500))
    # "web" (a staff page), "cli" (a command: detail is its command line, personal values masked)
    # or "system" (the server itself, e.g. the daily retention run); and, for a command, the
    # operating-system user who ran it.
    via: Mapped[str] = mapped_column(String(16), default="web")
    os_user: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()
