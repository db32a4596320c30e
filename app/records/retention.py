"""Retention: a case's conversations are kept RETENTION_MONTHS (calendar months) after the case
closed, then erased with the case itself (``erasure.erase_after_retention``), one case per
transaction, unless a manager has put the case under a legal hold. ``flask --app app retention``
runs it (``--dry-run`` lists what would go, and why), and every server process runs it daily
(``app.worker``). A run stopped part way (killed) leaves each case untouched or erased in full; the
next run finishes the rest."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import access, db
from ..clock import aware, utcnow
from ..database import BUSY
from ..models import Case, User
from . import RecordsError, erasure

# -- calendar months -------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months later (or earlier), on the month's last day
    when it is shorter: 31 August + 6 months is 28 (or 29) February."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_between(start: datetime, end: datetime) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 if ``end`` is not later)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def retention_months() -> int:
    months = current_app.config.get("RETENTION_MONTHS")
    if not months or months < 1:
        raise RecordsError("RETENTION_MONTHS is not set: nothing is erased until it says how long to keep.")
    return int(months)


def erase_on(case: Case) -> datetime | None:
    """When the case's conversations are due to be erased: RETENTION_MONTHS after it closed (None
    while it is open). A legal hold keeps them past it."""
    if case.closed_at is None:
        return None
    return add_months(aware(case.closed_at), retention_months())


def is_due(case: Case, now: datetime) -> bool:
    """Closed at least RETENTION_MONTHS ago (a hold is checked apart)."""
    when = erase_on(case)
    return case.stage == "closed" and when is not None and when <= now


# -- what is due -----------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A case past its retention, with why (no name, nothing the person said)."""

    case_id: int
    reference: str
    closed_at: datetime
    months: int
    held: str | None  # the day a legal hold was set, if one keeps the case
    why: str


def past_retention(now: datetime | None = None) -> list[Candidate]:
    """Every closed case whose retention has run out, held ones too (``held``), oldest first."""
    now = now or utcnow()
    keep = retention_months()
    # Month ends make "RETENTION_MONTHS before now" a day or three out: fetch with room to spare,
    # then decide each case by calendar months.
    roughly = add_months(now, -keep) + timedelta(days=4)
    cases = db.session.scalars(
        select(Case)
        .where(Case.stage == "closed", Case.closed_at.is_not(None), Case.closed_at <= roughly)
        .order_by(Case.closed_at, Case.id)
    )
    found = []
    for case in cases:
        if not is_due(case, now):
            continue
        closed = aware(case.closed_at)
        months = months_between(closed, now)
        why = f"closed {closed:%Y-%m-%d}, {months} months ago; kept {keep} months"
        held = f"{aware(case.legal_hold_at):%Y-%m-%d}" if erasure.is_held(case) else None
        found.append(Candidate(case.id, case.reference, closed, months, held, why))
    return found


def due(now: datetime | None = None) -> list[Candidate]:
    """The cases to erase now: past their retention and not held."""
    return [c for c in past_retention(now) if not c.held]


# -- a run -----------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a run did (or, dry, would do)."""

    dry_run: bool
    erased: list[tuple[Candidate, erasure.Erased]] = field(default_factory=list)
    due: list[Candidate] = field(default_factory=list)  # a dry run's list
    held: list[Candidate] = field(default_factory=list)
    # Left for the next run: the database was busy, or the case changed meanwhile (and why).
    skipped: list[tuple[Candidate, str]] = field(default_factory=list)

    def line(self) -> str:
        held = f"{len(self.held)} kept under a legal hold"
        if self.dry_run:
            return f"Dry run: {_cases(len(self.due))} would be erased, {held}. Nothing was changed."
        skipped = f", {len(self.skipped)} left for the next run" if self.skipped else ""
        return f"Retention: {_cases(len(self.erased))} erased, {held}{skipped}."


def _cases(n: int) -> str:
    return f"{n} case{'' if n == 1 else 's'}"


def run(
    now: datetime | None = None,
    dry_run: bool = False,
    via: str = "system",
    os_user: str | None = None,
    report: Callable[[str, Candidate, str], None] | None = None,
) -> Summary:
    """Erase every case due, one per transaction, and return what was done. ``report(outcome,
    candidate, words)`` hears each case as it is done ("erased", "would_erase", "held",
    "skipped"), so a command can show its progress. A dry run changes nothing (its listing is
    audited)."""
    now = now or utcnow()
    summary = Summary(dry_run=dry_run)
    told = report or (lambda *_: None)
    for candidate in past_retention(now):
        if candidate.held:
            summary.held.append(candidate)
            told("held", candidate, f"kept: legal hold (since {candidate.held})")
        elif dry_run:
            summary.due.append(candidate)
            told("would_erase", candidate, "would be erased")
        else:
            _erase_one(candidate, now, via, os_user, summary, told)
    db.session.rollback()  # what the listing read is let go before the next writer
    if dry_run:
        _audit_listing(summary, via, os_user)
    elif summary.erased:
        erasure.checkpoint()
    return summary


def _erase_one(candidate: Candidate, now, via, os_user, summary: Summary, told) -> None:
    try:
        erased = erasure.erase_after_retention(
            candidate.case_id, lambda case: is_due(case, now), now=now, via=via, os_user=os_user
        )
    except BUSY as exc:
        db.session.rollback()
        why = f"left for the next run: the database was busy ({type(exc).__name__})"
        summary.skipped.append((candidate, why))
        told("skipped", candidate, why)
        return
    if erased is None:
        why = "left: erased by another process, reopened or held meanwhile"
        summary.skipped.append((candidate, why))
        told("skipped", candidate, why)
        return
    summary.erased.append((candidate, erased))
    told("erased", candidate, f"erased ({erased.summary()})")


def _audit_listing(summary: Summary, via: str, os_user: str | None) -> None:
    """A dry run showed which cases are due (their references, to an operator): audited, counts only."""
    detail = f"{_cases(len(summary.due))} due, {len(summary.held)} held"
    access.record(None, "retention_dry_run", None, detail, via=via, os_user=os_user)
    db.session.commit()


# -- the case page's panel -------------------------------------------------------------------------


@dataclass
class Keeping:
    """What the case page says about keeping a case's records."""

    closed_at: datetime | None
    erase_on: datetime | None
    months: int | None  # None: RETENTION_MONTHS is not set, and nothing is erased
    held: bool
    hold_reason: str | None
    hold_at: datetime | None
    hold_by: User | None
    lifted_reason: str | None
    lifted_at: datetime | None
    lifted_by: User | None
    erased_at: datetime | None
    erased_by: User | None
    erasure_reason: str | None


def keeping(case: Case) -> Keeping:
    """The dates, the hold and any erasure on request, for the case page (managers read it all;
    workers the dates and whether a hold keeps the case)."""

    def user(user_id):
        return db.session.get(User, user_id) if user_id else None

    months = current_app.config.get("RETENTION_MONTHS") or None
    return Keeping(
        closed_at=aware(case.closed_at),
        erase_on=erase_on(case) if months else None,
        months=months,
        held=erasure.is_held(case),
        hold_reason=case.legal_hold_reason,
        hold_at=aware(case.legal_hold_at),
        hold_by=user(case.legal_hold_by_id),
        lifted_reason=case.legal_hold_lifted_reason,
        lifted_at=aware(case.legal_hold_lifted_at),
        lifted_by=user(case.legal_hold_lifted_by_id),
        erased_at=aware(case.erased_at),
        erased_by=user(case.erased_by_id),
        erasure_reason=case.erasure_reason,
    )
