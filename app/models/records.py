"""What the records side keeps: anonymous counts left when conversations are erased, and subject
access requests with what a worker redacted before release."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import db
from ..clock import utcnow
from ..crypto import EncryptedJSON

# A worker's record of capacity when a representative answers, in the Safeguarding Adults
# Collection's terms (SG3a): the person lacked capacity, did not, don't know, not recorded.
CAPACITY = ("lacked", "not_lacked", "dont_know", "not_recorded")
# Whether an advocate, family member or friend supported the person (SG3a, where capacity lacked).
SUPPORT = ("yes", "no", "dont_know", "not_recorded")


class RetainedCount(db.Model):
    """One count the organisation's reports still need after the conversations behind it were
    erased: in a quarter (when the case closed) and a team, how many conversations had a measure's
    value (e.g. ``answer:part2:safer`` = ``yes``). No case, person, date or words: no way back to
    anyone. Erasure adds to these in the same transaction as it deletes."""

    __tablename__ = "retained_count"
    __table_args__ = (UniqueConstraint("period", "team_id", "measure", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(8))  # "2026Q4"; "unknown" for a case never closed
    team_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: a team may go, the count stays
    measure: Mapped[str] = mapped_column(String(96))
    value: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)


class SubjectAccessRequest(db.Model):
    """A copy of everything the person said, prepared by a worker: what is redacted (words, such as
    the names the person asked not to be told, and answers marked as about a third party) is
    chosen on a review screen, then the copy is released (audited)."""

    __tablename__ = "subject_access_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # {"words": [...], "answers": [answer ids]}: encrypted, as the words are names.
    redactions: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
