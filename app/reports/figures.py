"""The managers' reports: for a period and a team, what happened to the invitations, what people said
in Part 2 about their experience, who answered and in which language, the follow-ups raised and how
fast they were dealt with, and the learning themes staff wrote in reflections and reviews.

Which records a period holds (all dates UTC): invitations made in it (and what became of each
one's conversation: consent, finishing, the answers in force); eligibility decisions "not approached"
agreed in it; follow-ups raised in it; reflections and reviews finished in it. Anonymous counts kept
after conversations were erased (``RetainedCount``) are added to the matching figures: those are
filed by the quarter the case closed, the only date they keep, so the report says how many it used.

Each breakdown is a set of counts that add up to a whole, so that ``suppression.shared`` can suppress
it for anything shared outside the team (``csv_rows``, ``shared_json``, the print view). Themes are
free text: they are on the internal page only, never in anything shared.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from .. import db, followups
from ..clock import aware
from ..dialogue import split_key
from ..languages import KNOWN as LANGUAGES
from ..models import NOT_APPROACHED_REASONS, Case, Conversation, Eligibility, FollowUp, Invitation, Team
from ..models.records import RetainedCount
from . import ReportError, audits, learning
from .periods import Period
from .suppression import NOTE, SUPPRESSED, SharedRow, Shown, rounded, shared

INTERNAL = "Internal: exact figures, not for sharing"
EXPERIENCE = {
    "listened": "Did people listen to you?",
    "informed": "Were you kept informed?",
    "safer": "Do you feel safer?",
    "happy": "Are you happy with how the enquiry went?",
}
REASON_LABELS = {
    "danger": "It would put the person in danger",
    "further_risk": "It would put someone at further risk",
    "not_ethical": "It would not be ethical",
    "other": "Another reason",
}
WHO_LABELS = {
    "self": "The person",
    "self_helped": "The person, with help",
    "representative": "A representative",
}
FEWEST_TIMED = 5  # a time shared from fewer follow-ups than this would describe one person's case


@dataclass
class Breakdown:
    """Counts that add up to a whole (``total``): e.g. the Part 2 invitations made, by what became
    of them."""

    key: str
    title: str
    labels: dict[str, str]
    counts: dict[str, int]
    retained: int = 0  # how much of the total came from counts kept after erasure
    of: str = "total"  # what the total is ("invitations made", "answers")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percentages(self) -> dict[str, int]:
        total = self.total
        return {k: round(100 * n / total) if total else 0 for k, n in self.counts.items()}

    def shared(self) -> SharedRow:
        return shared(self.counts)


@dataclass
class Timing:
    """How long follow-ups took to be acknowledged or done, in hours."""

    key: str
    title: str
    hours: list[float]

    @property
    def count(self) -> int:
        return len(self.hours)

    @property
    def median(self) -> float | None:
        return round(statistics.median(self.hours), 1) if self.hours else None

    @property
    def p90(self) -> float | None:
        if not self.hours:
            return None
        if len(self.hours) == 1:
            return round(self.hours[0], 1)
        return round(statistics.quantiles(self.hours, n=10, method="inclusive")[8], 1)

    def shared(self) -> dict[str, Shown]:
        """As it may be shared: the number rounded, the times only from enough follow-ups."""
        enough = self.count >= FEWEST_TIMED
        return {
            "count": rounded(self.count),
            "median_hours": self.median if enough else SUPPRESSED,
            "p90_hours": self.p90 if enough else SUPPRESSED,
        }


@dataclass
class Report:
    period: Period
    team: str | None  # None: every team
    breakdowns: list[Breakdown] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)
    themes: dict[str, list[str]] = field(default_factory=dict)
    retained: int = 0  # the anonymous counts kept after erasure that were added in

    @property
    def empty(self) -> bool:
        return (
            not any(b.total for b in self.breakdowns)
            and not any(t.count for t in self.timings)
            and not any(self.themes.values())
        )

    @property
    def explanation(self) -> str | None:
        """Why there is nothing to show, for an empty report."""
        if not self.empty:
            return None
        who = f"team {self.team}" if self.team else "any team"
        return (
            f"Nothing happened in {self.period.label} for {who}: no invitations were made, no decisions "
            "not to approach anyone were agreed, no follow-ups were raised, no reflections or reviews "
            "were finished and no case closed then was sampled for case-file audit. Choose another period."
        )

    @property
    def retained_note(self) -> str | None:
        if not self.retained:
            return None
        return (
            f"Includes {self.retained} answers and choices counted from conversations since erased "
            "(kept as anonymous counts, filed by the quarter their case closed)."
        )

    def breakdown(self, key: str) -> Breakdown:
        return next(b for b in self.breakdowns if b.key == key)


# -- whose figures -------------------------------------------------------------------------------


def team_named(name: str | None) -> Team:
    """The team with this name; ``ReportError`` naming the teams there are if none is."""
    wanted = (name or "").strip()
    team = db.session.scalars(select(Team).where(Team.name == wanted)).first() if wanted else None
    if team is None:
        names = ", ".join(db.session.scalars(select(Team.name).order_by(Team.name))) or "none yet"
        raise ReportError(f"There is no team called {wanted[:64]!r}. The teams are: {names}.")
    return team


def for_manager(user, period: Period) -> Report:
    """The report a manager may see: their own team's."""
    if user.role != "manager" or user.team_id is None:
        raise ReportError("Reports are for the managers of a team: ask an administrator to put you in one.")
    return report(period, db.session.get(Team, user.team_id))


# -- the figures ---------------------------------------------------------------------------------


def report(period: Period, team: Team | None) -> Report:
    """Every figure for the period, for one team (``None``: every team)."""

    def of_team(query):
        return query.where(Case.team_id == team.id) if team is not None else query

    found = Report(period, team.name if team else None)
    invitations = list(
        db.session.scalars(
            of_team(
                select(Invitation)
                .join(Case, Invitation.case_id == Case.id)
                .where(Invitation.created_at >= period.start, Invitation.created_at < period.end)
                .order_by(Invitation.id)
            )
        )
    )
    conversations = [i.conversation for i in invitations if i.conversation is not None]
    kept = _retained(period, team)
    found.retained = sum(kept.values())

    for part in (1, 2):
        name = f"part{part}"
        mine = [i for i in invitations if i.part == part]
        states = Counter(_consent_state(i.conversation) for i in mine)
        invited = {k: states[k] for k in ("accepted", "declined", "not_answered")}
        extra = {
            "accepted": kept[(f"consent:{name}", "yes")],
            "declined": kept[(f"consent:{name}", "not_now")] + kept[(f"consent:{name}", "talk_first")],
            "not_answered": kept[(f"consent:{name}", "not_asked")],
        }
        found.breakdowns.append(
            _with(
                Breakdown(
                    f"invitations_{name}",
                    f"Part {part} invitations made, by what the person chose",
                    {
                        "accepted": "Accepted (said yes)",
                        "declined": "Declined (not now, or talk first)",
                        "not_answered": "Not answered yet",
                    },
                    invited,
                    of="invitations made",
                ),
                extra,
            )
        )
        accepted = [i.conversation for i in mine if _consent_state(i.conversation) == "accepted"]
        finished = sum(1 for c in accepted if c.finished_at is not None)
        kept_finished = min(kept[(f"conversations:{name}", "finished")], extra["accepted"])
        found.breakdowns.append(
            _with(
                Breakdown(
                    f"completed_{name}",
                    f"Part {part} invitations accepted, by whether the conversation was completed",
                    {"completed": "Completed", "not_completed": "Not completed"},
                    {"completed": finished, "not_completed": len(accepted) - finished},
                    of="accepted",
                ),
                {"completed": kept_finished, "not_completed": extra["accepted"] - kept_finished},
            )
        )

    found.breakdowns.append(_not_eligible(period, of_team))

    part2 = [c for c in conversations if c.dialogue_id == "part2"]
    steps = _part2_steps()
    for sid, title in EXPERIENCE.items():
        labels = steps.get(sid, {})
        counts = Counter(v for c in part2 for v in _chosen(c, sid) if v in labels)
        found.breakdowns.append(
            _with(
                Breakdown(
                    f"experience_{sid}", title, dict(labels), {k: counts[k] for k in labels}, of="answers"
                ),
                {k: kept[(f"answer:part2:{sid}", k)] for k in labels},
            )
        )
    labels = steps.get("outcome_met", {})
    met = Counter(v for c in part2 for v in _chosen(c, "outcome_met") if v in labels)
    found.breakdowns.append(
        _with(
            Breakdown(
                "outcomes_met",
                "Were the outcomes the person wanted met? (one answer per outcome)",
                dict(labels),
                {k: met[k] for k in labels},
                of="outcomes",
            ),
            {k: kept[("answer:part2:outcome_met", k)] for k in labels},
        )
    )

    who = Counter(_who(c.respondent) for c in conversations if c.consent == "yes")
    who_kept: Counter = Counter()
    for (measure, value), n in kept.items():
        if measure in ("respondent:part1", "respondent:part2") and _who(value):
            who_kept[_who(value)] += n
    found.breakdowns.append(
        _with(
            Breakdown(
                "who",
                "Who answered (conversations the person agreed to)",
                dict(WHO_LABELS),
                {k: who[k] for k in WHO_LABELS},
                of="conversations",
            ),
            {k: who_kept[k] for k in WHO_LABELS},
        )
    )

    codes = list(current_app.config["LANGUAGES"])
    spoken = Counter(c.language for c in conversations)
    spoken_kept = Counter()
    for (measure, value), n in kept.items():
        if measure in ("language:part1", "language:part2"):
            spoken_kept[value] += n
    for code in [*spoken, *spoken_kept]:
        if code not in codes:
            codes.append(code)
    found.breakdowns.append(
        _with(
            Breakdown(
                "languages",
                "Languages of the conversations",
                {c: LANGUAGES[c].english if c in LANGUAGES else c for c in codes},
                {c: spoken[c] for c in codes},
                of="conversations",
            ),
            {c: spoken_kept[c] for c in codes},
        )
    )

    raised = [
        f
        for f in db.session.scalars(
            of_team(
                select(FollowUp)
                .join(Case, FollowUp.case_id == Case.id)
                .where(FollowUp.raised_at >= period.start, FollowUp.raised_at < period.end)
                .order_by(FollowUp.id)
            )
        )
        if f.note != followups.WITHDRAWN
    ]
    kinds = followups.labels()
    counted = Counter(f.kind for f in raised)
    kinds_kept = Counter({v: n for (m, v), n in kept.items() if m == "follow_up"})
    for kind in [*counted, *kinds_kept]:
        kinds.setdefault(kind, followups.label(kind))
    found.breakdowns.append(
        _with(
            Breakdown(
                "follow_ups",
                "Follow-ups raised, by kind",
                kinds,
                {k: counted[k] for k in kinds},
                of="follow-ups",
            ),
            {k: kinds_kept[k] for k in kinds},
        )
    )
    found.timings = [
        Timing(
            "acknowledged",
            "Urgent follow-ups: time until someone said they were dealing with it",
            [_hours(f.raised_at, f.acknowledged_at) for f in raised if f.urgent and f.acknowledged_at],
        ),
        Timing(
            "done",
            "Follow-ups: time until done",
            [_hours(f.raised_at, f.done_at) for f in raised if f.done_at],
        ),
    ]
    for key, title, labels, counts, of in audits.results(period, team):
        found.breakdowns.append(Breakdown(key, title, labels, counts, of=of))
    found.themes = _themes(period, team)
    return found


def _with(breakdown: Breakdown, kept: dict[str, int]) -> Breakdown:
    """The breakdown with the retained counts added to its cells."""
    for key, n in kept.items():
        if n > 0:
            breakdown.counts[key] = breakdown.counts.get(key, 0) + n
            breakdown.retained += n
    return breakdown


def _consent_state(conversation: Conversation | None) -> str:
    consent = conversation.consent if conversation is not None else None
    if consent == "yes":
        return "accepted"
    if consent in ("not_now", "talk_first"):
        return "declined"
    return "not_answered"


def _who(respondent: str | None) -> str | None:
    if respondent in (None, "not_known", "staff"):
        return None
    return respondent if respondent in ("self", "self_helped") else "representative"


def _chosen(conversation: Conversation, sid: str) -> list[str]:
    """The options in force at step ``sid`` (each repeat of a repeated step)."""
    found = []
    for answer in conversation.answers:
        if answer.superseded_at is None and split_key(answer.step)[0] == sid:
            values = answer.value if isinstance(answer.value, list) else [answer.value]
            found.extend(v for v in values if isinstance(v, str))
    return found


def _part2_steps() -> dict[str, dict[str, str]]:
    """The Part 2 choice steps' options: step -> {value: label}, as the dialogue file words them."""
    dialogue = current_app.extensions["dialogues"].get("part2")
    if dialogue is None:
        return {}
    return {
        sid: {o.value: o.label for o in step.options}
        for sid, step in dialogue.spec.steps.items()
        if step.kind in ("choice", "multi")
    }


def _not_eligible(period: Period, of_team) -> Breakdown:
    """The latest agreed eligibility decision of each case, where it was "not approached" and agreed
    in the period, by reason."""
    decisions = db.session.scalars(
        of_team(
            select(Eligibility)
            .join(Case, Eligibility.case_id == Case.id)
            .where(Eligibility.status == "approved")
            .order_by(Eligibility.id)
        )
    )
    latest: dict[int, Eligibility] = {}
    for decision in decisions:
        latest[decision.case_id] = decision
    reasons: Counter = Counter()
    for decision in latest.values():
        when = aware(decision.decided_at or decision.recorded_at)
        if decision.decision == "not_approached" and when in period:
            reasons[decision.reason if decision.reason in NOT_APPROACHED_REASONS else "other"] += 1
    return Breakdown(
        "not_eligible",
        "Not approached for Part 2, by reason",
        {r: REASON_LABELS.get(r, r) for r in NOT_APPROACHED_REASONS},
        {r: reasons[r] for r in NOT_APPROACHED_REASONS},
        of="cases",
    )


def _themes(period: Period, team: Team | None) -> dict[str, list[str]]:
    """The learning themes staff wrote in the period (``learning.themes``): internal only."""
    return learning.themes(period.start, period.end, team.id if team is not None else None)


def _retained(period: Period, team: Team | None) -> Counter:
    """(measure, value) -> count kept after erasure, for the quarters the period covers."""
    quarters = []
    year, month = period.start.year, period.start.month
    while (year, month) < (period.end.year, period.end.month):
        quarters.append(f"{year}Q{(month - 1) // 3 + 1}")
        month += 3
        if month > 12:
            year, month = year + 1, month - 12
    query = select(RetainedCount).where(RetainedCount.period.in_(quarters))
    if team is not None:
        query = query.where(RetainedCount.team_id == team.id)
    found: Counter = Counter()
    for row in db.session.scalars(query):
        found[(row.measure, row.value)] += row.count
    return found


def _hours(start, end) -> float:
    return (aware(end) - aware(start)).total_seconds() / 3600


# -- what may be shared ----------------------------------------------------------------------------


def csv_rows(found: Report) -> list[list]:
    """The shared report as CSV rows: every count suppressed and rounded, no free text."""
    rows: list[list] = [
        ["Report", "My Safeguarding Experience: reports for managers"],
        ["Period", found.period.label],
        ["Team", found.team or "All teams"],
        ["Note", NOTE],
    ]
    if found.retained_note:
        rows.append(["Note", found.retained_note])
    if found.empty:
        rows.append(["Note", found.explanation])
        return rows  # zeros would all read "[c]": nothing to hide, and nothing to show
    rows.append([])
    rows.append(["Breakdown", "Category", "Count", "Percentage"])
    for breakdown in found.breakdowns:
        row = breakdown.shared()
        for key, label in breakdown.labels.items():
            rows.append([breakdown.title, label, row.cells[key], row.percentages[key]])
        rows.append(
            [breakdown.title, f"Total ({breakdown.of})", row.total, "" if row.total == SUPPRESSED else 100]
        )
    rows.append([])
    rows.append(["Timing", "Follow-ups", "Median (hours)", "90th percentile (hours)"])
    for timing in found.timings:
        shown = timing.shared()
        rows.append([timing.title, shown["count"], _blank(shown["median_hours"]), _blank(shown["p90_hours"])])
    return rows


def shared_json(found: Report) -> dict:
    """The shared report as JSON: the same figures as ``csv_rows``."""
    breakdowns = []
    for breakdown in [] if found.empty else found.breakdowns:
        row = breakdown.shared()
        breakdowns.append(
            {
                "key": breakdown.key,
                "title": breakdown.title,
                "cells": {
                    key: {"label": label, "count": row.cells[key], "percentage": row.percentages[key]}
                    for key, label in breakdown.labels.items()
                },
                "total": row.total,
                "of": breakdown.of,
            }
        )
    return {
        "period": found.period.label,
        "team": found.team,
        "note": NOTE,
        "retained_note": found.retained_note,
        "empty": found.empty,
        "explanation": found.explanation,
        "breakdowns": breakdowns,
        "timings": []
        if found.empty
        else [{"key": t.key, "title": t.title, **t.shared()} for t in found.timings],
    }


def _blank(value):
    return "" if value is None else value
