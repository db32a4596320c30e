"""Case-file audit results for the reports. A period holds the sampled cases that closed in it
(samples are drawn by the quarter cases closed in, so a quarter's report shows its own samples): how
many were audited, what the auditors chose at each of the audit dialogue's choice steps, and the
actions agreed from those audits, open or done.

Counts only, as ``(key, title, labels, counts, of)`` for ``figures`` to make breakdowns of (each
adds up to its whole, so the small-number rule applies to them like any other). No free text: the
auditors' notes and findings stay on the audit's own page."""

from __future__ import annotations

from collections import Counter

from flask import current_app
from sqlalchemy import select

from .. import db
from ..models import AgreedAction, Case, CaseFileAudit, Conversation, Team
from .periods import Period

DIALOGUE = "case_audit"
# The audit dialogue's choice steps counted, with the heading each is reported under.
STEPS = {
    "outcomes_recorded": "Case-file audits: quality of the recorded outcomes",
    "voice_heard": "Case-file audits: was the person's voice heard?",
    "follow_ups_acted": "Case-file audits: were follow-ups acted on?",
}
NOT_ANSWERED = ("not_answered", "Not answered by the auditor")


def _labels() -> dict[str, dict[str, str]]:
    dialogue = current_app.extensions["dialogues"].get(DIALOGUE)
    if dialogue is None:
        return {}
    return {
        sid: {o.value: o.label for o in step.options}
        for sid, step in dialogue.spec.steps.items()
        if sid in STEPS
    }


def results(period: Period, team: Team | None) -> list[tuple[str, str, dict, dict, str]]:
    """The period's case-file audit counts, for one team (``None``: every team)."""
    query = (
        select(CaseFileAudit)
        .join(Case, CaseFileAudit.case_id == Case.id)
        .where(Case.closed_at >= period.start, Case.closed_at < period.end)
        .order_by(CaseFileAudit.id)
    )
    if team is not None:
        query = query.where(Case.team_id == team.id)
    sampled = list(db.session.scalars(query))
    finished = [a for a in sampled if a.finished_at is not None and a.conversation_id is not None]
    found = [
        (
            "audits",
            "Case-file audits: sampled cases closed in the period, by whether they were audited",
            {"audited": "Audited", "not_yet": "Not audited yet"},
            {"audited": len(finished), "not_yet": len(sampled) - len(finished)},
            "sampled cases",
        )
    ]
    chosen: dict[str, Counter] = {sid: Counter() for sid in STEPS}
    for audit in finished:
        conversation = db.session.get(Conversation, audit.conversation_id)
        given = {a.step: a.value for a in conversation.answers if a.superseded_at is None}
        for sid in STEPS:
            value = given.get(sid)
            chosen[sid][value if isinstance(value, str) else NOT_ANSWERED[0]] += 1
    labels = _labels()
    for sid, title in STEPS.items():
        options = {**labels.get(sid, {}), NOT_ANSWERED[0]: NOT_ANSWERED[1]}
        found.append((f"audit_{sid}", title, options, {k: chosen[sid][k] for k in options}, "audits"))
    ids = [a.id for a in finished]
    actions = (
        list(
            db.session.scalars(
                select(AgreedAction).where(
                    AgreedAction.source == "case_file_audit", AgreedAction.case_file_audit_id.in_(ids)
                )
            )
        )
        if ids
        else []
    )
    done = sum(1 for a in actions if a.done_at is not None)
    found.append(
        (
            "audit_actions",
            "Case-file audits: actions agreed from the findings, by whether they are done",
            {"done": "Done", "open": "Not done yet"},
            {"done": done, "open": len(actions) - done},
            "actions",
        )
    )
    return found
