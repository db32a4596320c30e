"""Erasing a case's conversations, and the legal hold that stops it.

Two ways in: on request (a manager, with a reason; the case stays, its enquiry goes on) and after
RETENTION_MONTHS (``retention``; the case goes too, since its reference is a way back to the person).
Either way one case is erased in ONE transaction: a process killed part way leaves the case as it
was, or erased in full, never half. Before the rows go, what the organisation's reports need is added
to ``RetainedCount``: counts of chosen options and of who answered, never words, names or dates. The
audit log records that it happened and how much ("2 conversations, 41 answers"), never what.

The case row is written first, inside the transaction, and read again after: on SQLite that write
takes the one writer's lock, on PostgreSQL it locks the row, so two processes erasing at once (two
servers' daily sweeps) erase and count a case once, and a hold set meanwhile is seen.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, update

from .. import access, db, followups
from ..clock import aware, utcnow
from ..database import BUSY
from ..dialogue import split_key
from ..models import (
    CAPACITY,
    SUPPORT,
    AgreedAction,
    Answer,
    Case,
    CaseFileAudit,
    Conversation,
    Eligibility,
    FollowUp,
    Invitation,
    Notification,
    RetainedCount,
    SacDecision,
    SubjectAccessRequest,
    Supervision,
    User,
)
from . import RecordsError

log = logging.getLogger(__name__)
MAX_REASON = 500
# The lengths RetainedCount's columns take: a longer measure or value is not counted (none is now).
MAX_MEASURE, MAX_VALUE = 96, 64


@dataclass
class Erased:
    """What one erasure removed, as numbers (the audit entry's detail)."""

    case_id: int
    conversations: int = 0
    answers: int = 0
    follow_ups: int = 0
    invitations: int = 0
    notifications: int = 0
    access_requests: int = 0
    case_removed: bool = False
    counted: dict[tuple[str, str], int] = field(default_factory=dict)

    def summary(self) -> str:
        """ "2 conversations, 41 answers, 1 follow-up, 2 invitations" (and the case, by retention)."""
        parts = [_many(self.conversations, "conversation"), _many(self.answers, "answer")]
        for n, word in (
            (self.follow_ups, "follow-up"),
            (self.invitations, "invitation"),
            (self.notifications, "email record"),
            (self.access_requests, "subject access request"),
        ):
            if n:
                parts.append(_many(n, word))
        if self.case_removed:
            parts.append("the case record")
        return ", ".join(parts)


def _many(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- legal hold ------------------------------------------------------------------------------------


def is_held(case: Case) -> bool:
    """Whether a legal hold keeps this case (its reason is encrypted: the time says it is on)."""
    return case.legal_hold_at is not None


def hold_words(case: Case) -> str:
    """The hold as a manager reads it: when, by whom, why."""
    by = db.session.get(User, case.legal_hold_by_id) if case.legal_hold_by_id else None
    when = aware(case.legal_hold_at).strftime("%d %b %Y")
    return f"set on {when} by {by.email if by else 'a former manager'}: {case.legal_hold_reason}"


def place_hold(manager: User, case: Case, reason: str | None, now: datetime | None = None) -> None:
    """Put the case under a legal hold (a manager, with a reason; audited). Its conversations are
    then kept past RETENTION_MONTHS, and their erasure is refused, until a manager lifts it."""
    _must_be_manager(manager, "put a case under a legal hold")
    reason = _reason(reason, "Say why the case is held (for example, the proceedings it is kept for).")
    case = _locked_or_gone(case.id)
    if is_held(case):
        db.session.rollback()
        raise RecordsError(f"This case is already under a legal hold ({hold_words(case)}).")
    case.legal_hold_reason, case.legal_hold_at, case.legal_hold_by_id = reason, now or utcnow(), manager.id
    access.record(manager, "legal_hold_set", case.id, "legal hold set; the reason is on the case")
    db.session.commit()


def lift_hold(manager: User, case: Case, reason: str | None, now: datetime | None = None) -> None:
    """Lift the case's legal hold (a manager, with a reason; audited). Its conversations may then be
    erased: at once by the next retention run if the case closed more than RETENTION_MONTHS ago."""
    _must_be_manager(manager, "lift a legal hold")
    reason = _reason(reason, "Say why the hold is lifted (for example, the proceedings have ended).")
    case = _locked_or_gone(case.id)
    if not is_held(case):
        db.session.rollback()
        raise RecordsError("This case is not under a legal hold: there is nothing to lift.")
    case.legal_hold_lifted_reason, case.legal_hold_lifted_at = reason, now or utcnow()
    case.legal_hold_lifted_by_id = manager.id
    case.legal_hold_reason = case.legal_hold_at = case.legal_hold_by_id = None
    access.record(manager, "legal_hold_lifted", case.id, "legal hold lifted; the reason is on the case")
    db.session.commit()


# -- what would go ---------------------------------------------------------------------------------


def what_would_go(case: Case) -> Erased:
    """What erasing this case's conversations now would remove, counted (nothing is changed)."""
    ids = _conversation_ids(case.id)
    return Erased(
        case_id=case.id,
        conversations=len(ids),
        answers=_count(Answer, Answer.conversation_id.in_(ids)),
        follow_ups=_count(FollowUp, FollowUp.case_id == case.id),
        invitations=_count(Invitation, Invitation.case_id == case.id),
        notifications=_count(Notification, Notification.case_id == case.id),
        access_requests=_count(SubjectAccessRequest, SubjectAccessRequest.case_id == case.id),
    )


def _count(model, where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(where)) or 0


def _conversation_ids(case_id: int) -> list[int]:
    return list(db.session.scalars(select(Conversation.id).where(Conversation.case_id == case_id)))


# -- erasing ---------------------------------------------------------------------------------------


def erase_on_request(manager: User, case: Case, reason: str | None, now: datetime | None = None) -> Erased:
    """Erase the case's conversations at a manager's request, with a reason (audited): the person's
    Part 1 and Part 2, staff reflections and reviews of the case, every answer, follow-up, email
    record, invitation and subject access request. The case stays, with when, by whom and why; nothing
    else of it changes. Refused, naming the hold, while the case is under a legal hold."""
    _must_be_manager(manager, "erase a person's conversations")
    reason = _reason(reason, "Say why the conversations are erased (for example, the person asked).")
    now = now or utcnow()

    def refusal(locked: Case) -> str | None:
        if is_held(locked):
            return (
                f"This case is under a legal hold ({hold_words(locked)}). Its conversations cannot be "
                "erased while the hold is on: nothing was erased. A manager can lift the hold, with a "
                "reason, first."
            )
        if not _conversation_ids(locked.id):
            return "This case has no conversations: there is nothing to erase."
        return None

    erased = _erase(case.id, now, keep_case=True, refusal=refusal, by=manager)
    if isinstance(erased, str):
        raise RecordsError(erased)
    if erased is None:
        raise RecordsError("This case no longer exists: nothing was erased.")
    locked = db.session.get(Case, case.id)
    locked.erased_at, locked.erased_by_id, locked.erasure_reason = now, manager.id, reason
    access.record(manager, "erased_on_request", case.id, erased.summary())
    db.session.commit()
    checkpoint()
    return erased


def erase_after_retention(
    case_id: int,
    still_due: Callable[[Case], bool],
    now: datetime | None = None,
    via: str = "system",
    os_user: str | None = None,
) -> Erased | None:
    """Erase a case whose retention has run out: its conversations and everything of them, its
    eligibility decisions and the case itself (its reference is a way back to the person). Checked
    again once the case is locked (``still_due``, and no hold): None, and nothing changed, when
    another process erased it first, or it was reopened or held meanwhile."""
    now = now or utcnow()

    def refusal(locked: Case) -> str | None:
        return "held" if is_held(locked) else (None if still_due(locked) else "not due")

    erased = _erase(case_id, now, keep_case=False, refusal=refusal, by=None)
    if not isinstance(erased, Erased):
        return None
    access.record(None, "retention_erased", case_id, erased.summary(), via=via, os_user=os_user)
    db.session.commit()
    return erased


def _erase(
    case_id: int, now: datetime, keep_case: bool, refusal: Callable[[Case], str | None], by: User | None
) -> Erased | str | None:
    """The deletions and counts of one erasure, in the current transaction (the caller adds its
    audit entry and commits). None if the case is gone; the refusal's words if it refuses (rolled
    back then)."""
    case = _lock(case_id)
    if case is None:
        db.session.rollback()
        return None
    refused = refusal(case)
    if refused:
        db.session.rollback()
        return refused
    conversations = list(
        db.session.scalars(
            select(Conversation).where(Conversation.case_id == case_id).order_by(Conversation.id)
        )
    )
    ids = [c.id for c in conversations]
    raised = list(db.session.scalars(select(FollowUp).where(FollowUp.case_id == case_id)))
    counted = _measures(
        case, conversations, raised, "erased_on_request" if keep_case else "erased_by_retention"
    )
    _add_counts(_period(case.closed_at), case.team_id, counted)

    erased = Erased(case_id=case_id, counted=dict(counted))
    erased.notifications = _delete(Notification, Notification.case_id == case_id)
    erased.follow_ups = _delete(FollowUp, FollowUp.case_id == case_id)
    if ids:
        erased.follow_ups += _delete(FollowUp, FollowUp.conversation_id.in_(ids))
        erased.answers = _delete(Answer, Answer.conversation_id.in_(ids))
    erased.access_requests = _delete(SubjectAccessRequest, SubjectAccessRequest.case_id == case_id)
    # The case-file audits and the supervision of reflections on this case go with the
    # conversations they are (or discuss), and their agreed actions with them.
    audits = select(CaseFileAudit.id).where(CaseFileAudit.case_id == case_id)
    supervised = select(Supervision.id).where(Supervision.reflection_id.in_(ids or [-1]))
    _delete(
        AgreedAction,
        AgreedAction.case_file_audit_id.in_(audits) | AgreedAction.supervision_id.in_(supervised),
    )
    _delete(Supervision, Supervision.reflection_id.in_(ids or [-1]))
    _delete(CaseFileAudit, CaseFileAudit.case_id == case_id)
    erased.conversations = _delete(Conversation, Conversation.case_id == case_id)
    erased.invitations = _delete(Invitation, Invitation.case_id == case_id)
    if not keep_case:
        _delete(SacDecision, SacDecision.case_id == case_id)
        _delete(Eligibility, Eligibility.case_id == case_id)
        _delete(Case, Case.id == case_id)
        erased.case_removed = True
    # The loaded rows are gone from the database: the session must not write them back, nor serve
    # them from its identity map.
    answers = [a for c in conversations for a in c.answers]
    for row in (*answers, *conversations, *raised):
        db.session.expunge(row)
    if keep_case:
        db.session.expire(case, ["conversations"])
    else:
        db.session.expunge(case)
    return erased


def checkpoint() -> None:
    """SQLite in WAL mode keeps the pages a transaction changed in the -wal file until a checkpoint,
    older copies of them too: copy them into the database (where secure_delete has zeroed what was
    deleted) and empty the file. If readers are busy it does what it can; the next run tries again."""
    if db.engine.dialect.name != "sqlite":
        return
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except BUSY as exc:
        log.info("checkpoint after an erasure left for later (%s)", type(exc).__name__)


def _locked_or_gone(case_id: int) -> Case:
    case = _lock(case_id)
    if case is None:
        db.session.rollback()
        raise RecordsError("This case no longer exists: nothing was changed.")
    return case


def _delete(model, where) -> int:
    result = db.session.execute(delete(model).where(where).execution_options(synchronize_session=False))
    return result.rowcount or 0


def _lock(case_id: int) -> Case | None:
    """The case, fresh, with this transaction holding it: a write first (SQLite takes its writer's
    lock only at a write, and reads nothing stale after it), then FOR UPDATE (PostgreSQL)."""
    db.session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(stage=Case.stage)
        .execution_options(synchronize_session=False)
    )
    return db.session.scalars(
        select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    ).first()


# -- the counts that stay --------------------------------------------------------------------------


def _period(closed_at: datetime | None) -> str:
    """The quarter the case closed ("2026Q4"), or "unknown" for a case never closed."""
    if closed_at is None:
        return "unknown"
    closed = aware(closed_at)
    return f"{closed.year}Q{(closed.month - 1) // 3 + 1}"


def _measures(case: Case, conversations: list[Conversation], raised: list[FollowUp], how: str) -> Counter:
    """(measure, value) -> how many, for one case. Every value is a key the app or a dialogue file
    defines (a chosen option, a language code, a role), checked against that list: a value that is
    not one (free text, a name) is never counted."""
    registry = current_app.extensions["dialogues"]
    respondents = set(registry.respondents())
    languages = set(current_app.config["LANGUAGES"])
    counts: Counter = Counter({("cases", how): 1})
    for conversation in conversations:
        dialogue = registry.get(conversation.dialogue_id)
        name = conversation.dialogue_id if dialogue is not None else "other"
        counts[(f"conversations:{name}", "finished" if conversation.finished_at else "unfinished")] += 1
        if dialogue is None:
            continue
        if conversation.invitation_id is not None:
            person = {
                "respondent": _known(conversation.respondent, respondents | _set_by(dialogue, "respondent")),
                "language": _known(conversation.language, languages),
                "consent": _known(conversation.consent, _set_by(dialogue, "consent"), "not_asked"),
                "view": _known(conversation.view, _set_by(dialogue, "view"), None),
                "capacity": _known(conversation.capacity, set(CAPACITY), None),
                "capacity_support": _known(conversation.capacity_support, set(SUPPORT), None),
                "easy_read": "yes" if conversation.easy_read else "no",
                "help_now": "yes" if conversation.urgent_at else None,
            }
            for measure, value in person.items():
                if value is not None:
                    counts[(f"{measure}:{name}", value)] += 1
        for answer in conversation.answers:
            if answer.superseded_at is not None:
                continue
            sid, _index = split_key(answer.step)
            step = dialogue.spec.steps.get(sid)
            if step is None or step.kind not in ("choice", "multi"):
                continue  # own words are never counted, nor anything else typed
            values = answer.value if isinstance(answer.value, list) else [answer.value]
            for value in values:
                if isinstance(value, str) and step.option(value) is not None:
                    counts[(f"answer:{name}:{sid}", value)] += 1
    kinds = set(followups.labels())
    for item in raised:
        if item.note != followups.WITHDRAWN:
            counts[("follow_up", _known(item.kind, kinds, "other"))] += 1
    return Counter(
        {(m, v): n for (m, v), n in counts.items() if len(m) <= MAX_MEASURE and len(v) <= MAX_VALUE}
    )


def _set_by(dialogue, what: str) -> set[str]:
    """The option keys of the dialogue's steps that set ``what`` (respondent, consent, view)."""
    return {o.value for step in dialogue.spec.steps.values() if step.sets == what for o in step.options}


def _known(value: str | None, allowed: set[str], missing: str | None = "not_known") -> str | None:
    if value is None:
        return missing
    return value if value in allowed else "other"


def _add_counts(period: str, team_id: int | None, counts: Counter) -> None:
    """Add to the retained counts, in this transaction: increments in SQL, never a value read and
    written back (two processes would overwrite each other's). With a team, one upsert (INSERT … ON
    CONFLICT DO UPDATE: two processes adding the first row of a key at once both count). Without
    one (NULLs are never equal, so the unique key cannot catch a duplicate) each key's first row is
    incremented, or a row added: a duplicate row made by a race still sums right."""
    if not counts:
        return
    table = RetainedCount.__table__
    rows = [
        {"period": period, "team_id": team_id, "measure": m, "value": v, "count": n}
        for (m, v), n in sorted(counts.items())
    ]
    upsert = _upsert_for(db.engine.dialect.name)
    if team_id is not None and upsert is not None:
        statement = upsert(table).values(rows)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["period", "team_id", "measure", "value"],
                set_={"count": table.c.count + statement.excluded["count"]},
            )
        )
        return
    same_team = table.c.team_id.is_(None) if team_id is None else table.c.team_id == team_id
    first: dict[tuple[str, str], int] = {}
    for row_id, measure, value in db.session.execute(
        select(table.c.id, table.c.measure, table.c.value)
        .where(table.c.period == period, same_team)
        .order_by(table.c.id.desc())
    ):
        first[(measure, value)] = row_id  # the lowest id comes last, and stays
    more = [
        {"row": first[(r["measure"], r["value"])], "n": r["count"]}
        for r in rows
        if (r["measure"], r["value"]) in first
    ]
    new = [r for r in rows if (r["measure"], r["value"]) not in first]
    if more:
        db.session.execute(
            update(table).where(table.c.id == bindparam("row")).values(count=table.c.count + bindparam("n")),
            more,
        )
    if new:
        db.session.execute(insert(table), new)


def _upsert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:
        return None
    return upsert


# -- checks ----------------------------------------------------------------------------------------


def _must_be_manager(user: User | None, what: str) -> None:
    if user is None or user.role != "manager":
        raise RecordsError(f"Only a manager can {what}.")


def _reason(reason: str | None, ask: str) -> str:
    words = " ".join((reason or "").split())
    if not words:
        raise RecordsError(f"Give a reason. {ask}")
    if len(words) > MAX_REASON:
        raise RecordsError(f"Keep the reason to {MAX_REASON} characters (it has {len(words)}).")
    return words
