"""A case, the invitations made for it, and the decisions about approaching the person for Part 2."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import db
from ..clock import utcnow
from ..crypto import EncryptedText

if TYPE_CHECKING:
    from .conversations import Conversation
    from .staff import User


class Case(db.Model):
    """A safeguarding enquiry about one person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    # What a person typed or a worker wrote about them is encrypted at rest (app/crypto.py).
    preferred_name: Mapped[str | None] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(16), default="en")
    communication_needs: Mapped[str | None] = mapped_column(EncryptedText)
    team: Mapped[str | None] = mapped_column(String(64))  # unused since 0004: see team_id
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # open (enquiry open), concluding, closed
    stage: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Wales only: the Active Offer of Welsh, made without being asked. "offered" when an invitation
    # or first page offered it, then "accepted" or "declined" by the person's choice; and when.
    welsh_offer: Mapped[str | None] = mapped_column(String(16))
    welsh_offer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the case last became "closed": RETENTION_MONTHS count from here (None while open).
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # A legal hold keeps the case's conversations past RETENTION_MONTHS and refuses their erasure:
    # set and lifted by a manager with a reason (audited).
    legal_hold_reason: Mapped[str | None] = mapped_column(EncryptedText)
    legal_hold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    legal_hold_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The last hold lifted: when, by which manager and why (lifting makes the case erasable again).
    legal_hold_lifted_reason: Mapped[str | None] = mapped_column(EncryptedText)
    legal_hold_lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    legal_hold_lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The case's conversations were erased on request: when, by which manager and why (the reason
    # is for managers; nothing of what was erased is kept).
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    erasure_reason: Mapped[str | None] = mapped_column(EncryptedText)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="case")


class Invitation(db.Model):
    """An access code for one conversation; only its hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    part: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the worker said when inviting: who will answer, and the person's preferred name. The
    # conversation skips the questions these answer; the answers given later never change them.
    respondent: Mapped[str | None] = mapped_column(String(32))
    person_name: Mapped[str | None] = mapped_column(EncryptedText)
    # The name of the representative invited to answer, when the worker gives it: checked against
    # the person's own "do not tell" answer before the invitation is made.
    representative_name: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[Case] = relationship()
    conversation: Mapped[Conversation] = relationship(back_populates="invitation")


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
    reason_text: Mapped[str | None] = mapped_column(EncryptedText)
    representative_name: Mapped[str | None] = mapped_column(EncryptedText)
    representative_role: Mapped[str | None] = mapped_column(String(32))
    # A typed name, from before decisions were agreed by a manager's own account: shown, never relied on.
    agreed_with: Mapped[str | None] = mapped_column(EncryptedText)
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
