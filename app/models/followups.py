"""A signal: something a person said that a member of staff must act on."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import db
from ..clock import utcnow
from ..crypto import EncryptedText

if TYPE_CHECKING:
    from .cases import Case
    from .staff import User


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
    note: Mapped[str | None] = mapped_column(EncryptedText)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    case: Mapped[Case] = relationship()
