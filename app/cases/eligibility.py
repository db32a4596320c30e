"""Whether a person can be approached for Part 2: proposed by the worker, agreed by a manager of the
case's team with their own account (or imported as agreed in the council's own case system). The
staff pages and the command line read the same rule, ``part2_block``."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from .. import access, db
from ..clock import utcnow
from ..models import ELIGIBILITY, NOT_APPROACHED_REASONS, Case, Eligibility, User
from . import CaseError


class EligibilityError(CaseError):
    """The decision cannot be recorded as asked; nothing was written, and the message says why."""


def latest_eligibility(case: Case | None) -> Eligibility | None:
    """The case's newest decision about Part 2 (the one in force), or None."""
    if case is None or case.id is None:
        return None
    return db.session.scalars(
        select(Eligibility).where(Eligibility.case_id == case.id).order_by(Eligibility.id.desc())
    ).first()


def part2_block(case: Case | None) -> str | None:
    """Why a Part 2 invitation cannot be made for this case, or None if it can: the same rule on the
    staff pages and the command line."""
    latest = latest_eligibility(case)
    if latest is None:
        return (
            "Part 2 needs a decision, agreed by a manager of the case's team, that the person or a "
            "representative can be approached."
        )
    if latest.status == "proposed":
        return "The decision about approaching the person for Part 2 is waiting for a manager to agree it."
    if latest.status == "declined":
        return "A manager declined the proposed decision about Part 2: record a new one."
    if not latest.allows_part2:
        return "The person is not to be approached for Part 2 (see the decision on the case page)."
    return None


def record_eligibility(
    user: User,
    case: Case,
    decision: str | None,
    reason: str | None = None,
    reason_text: str | None = None,
    representative_name: str | None = None,
    representative_role: str | None = None,
) -> Eligibility:
    """Whether the person can be approached for Part 2. A worker's record is a proposal that a
    manager of the team agrees or declines with their own account; a manager's is agreed by them."""
    if decision not in ELIGIBILITY:
        raise EligibilityError("Choose whether the person can be approached.")
    now = utcnow()
    record = Eligibility(
        case_id=case.id,
        decision=decision,
        recorded_by_id=user.id,
        recorded_at=now,
        status="proposed",
        source="app",
    )
    if decision == "representative":
        record.representative_name = (representative_name or "").strip()[:120] or None
        record.representative_role = representative_role
        roles = current_app.extensions["dialogues"].roles()
        if not record.representative_name or record.representative_role not in roles:
            raise EligibilityError("Give the representative's name and role.")
    if decision == "not_approached":
        record.reason = reason
        if record.reason not in NOT_APPROACHED_REASONS:
            raise EligibilityError("Choose the reason the person is not approached.")
        record.reason_text = (reason_text or "").strip()[:2000] or None
        if record.reason == "other" and not record.reason_text:
            raise EligibilityError("Write down the other reason.")
    if user.role == "manager":
        record.status, record.agreed_by_id, record.decided_at = "approved", user.id, now
    db.session.add(record)
    db.session.flush()
    action = "eligibility_" + ("agreed" if user.role == "manager" else "proposed")
    access.record(user, action, case.id, f"eligibility {record.id}: {decision}")
    db.session.commit()
    return record


def decide_eligibility(manager: User, case: Case, eligibility_id: int | None, approve: bool) -> Eligibility:
    """A manager of the case's team agrees or declines the worker's proposal (audited)."""
    latest = latest_eligibility(case)
    if manager.role != "manager" or not access.can_see(manager, case):
        raise EligibilityError("Only a manager of this case's team can agree this.")
    if latest is None or latest.id != eligibility_id or latest.status != "proposed":
        raise EligibilityError("This proposal has changed or was already decided: look at the latest one.")
    latest.status = "approved" if approve else "declined"
    latest.agreed_by_id, latest.decided_at = manager.id, utcnow()
    access.record(manager, "eligibility_" + latest.status, case.id, f"eligibility {latest.id}")
    db.session.commit()
    return latest


def import_agreed(manager: User, case: Case, now: datetime) -> Eligibility:
    """A decision agreed in the council's own case system, added to the current transaction (audited)."""
    record = Eligibility(
        case_id=case.id,
        decision="yes",
        status="approved",
        source="cli",
        recorded_by_id=manager.id,
        agreed_by_id=manager.id,
        recorded_at=now,
        decided_at=now,
    )
    db.session.add(record)
    access.record(manager, "eligibility_imported", case.id, "agreed in the council's case system (CLI)")
    return record


def waiting_for_agreement(manager: User) -> list[Eligibility]:
    """Proposals about Part 2 waiting for this manager (or another of the team) to decide."""
    if manager.role != "manager":
        return []
    rows = db.session.scalars(
        select(Eligibility)
        .where(Eligibility.case_id.in_(access.visible_case_ids(manager)))
        .order_by(Eligibility.id.desc())
    ).all()
    latest: dict[int, Eligibility] = {}
    for row in rows:
        latest.setdefault(row.case_id, row)
    return [row for row in latest.values() if row.status == "proposed"]
