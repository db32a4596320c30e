"""A person's (or a member of staff's) run through one dialogue, and every answer as given."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import db
from ..clock import utcnow
from ..crypto import EncryptedJSON, EncryptedText

if TYPE_CHECKING:
    from .cases import Case, Invitation


class Conversation(db.Model):
    """One person's (or representative's) run through one dialogue.

    ``state`` is the key of the current step. ``version`` guards against two processes moving the same
    conversation at once: SQLAlchemy refuses a stale update (optimistic concurrency).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    # A person's conversation comes from an invitation; a worker's reflection or a manager's review
    # belongs to that member of staff instead.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    dialogue_id: Mapped[str] = mapped_column(String(32))
    dialogue_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(64))
    # Set while the person changes an answer from "check your answers": we return them there.
    changing: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(16), default="en")
    respondent: Mapped[str | None] = mapped_column(String(32))
    person_name: Mapped[str | None] = mapped_column(EncryptedText)
    view: Mapped[str | None] = mapped_column(String(32))
    # What the person chose at the opening, after being told what answering means: "yes", "not_now"
    # or "talk_first" (the latest choice), and when. None: not asked yet (or a staff dialogue).
    consent: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a representative answers: the worker's record of the person's capacity, in the
    # Safeguarding Adults Collection's terms (table SG3a; CAPACITY below), and whether an advocate,
    # family member or friend supported them (SUPPORT); who recorded it, and when.
    capacity: Mapped[str | None] = mapped_column(String(16))
    capacity_support: Mapped[str | None] = mapped_column(String(16))
    capacity_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    capacity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How the person likes to read: kept here so every device and page shows it the same way.
    easy_read: Mapped[bool] = mapped_column(Boolean, default=False)
    text_size: Mapped[str] = mapped_column(String(8), default="normal")
    high_contrast: Mapped[bool] = mapped_column(Boolean, default=False)
    # "I need help now" was pressed: the worker sees this first.
    urgent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The browser session opened by the code: "Exit this page" and idle time-out clear it, which
    # ends the session on every device and in every server process at once.
    session_token: Mapped[str | None] = mapped_column(String(64))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship(back_populates="conversations")
    invitation: Mapped[Invitation | None] = relationship(back_populates="conversation")
    answers: Mapped[list[Answer]] = relationship(back_populates="conversation", order_by="Answer.id")


class Answer(db.Model):
    """One answer as given. A changed answer is superseded, never overwritten."""

    __table_args__ = (UniqueConstraint("conversation_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    # Encrypted at rest, a chosen option as well as the person's own words (app/crypto.py).
    value: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    # The item read back when the step repeats over a list (e.g. a Part 1 outcome), as shown.
    about: Mapped[str | None] = mapped_column(EncryptedText)
    view: Mapped[str] = mapped_column(String(32))
    respondent: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    conversation: Mapped[Conversation] = relationship(back_populates="answers")
