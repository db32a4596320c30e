"""Case-file audit: each quarter a manager draws a random sample of their team's closed cases; each
sampled case is audited by someone who is neither its worker nor a manager of its team, through the
case-file audit dialogue (``dialogues/case_audit.yaml``, run by the same engine as every other
conversation); the team's managers read the findings and agree actions, tracked to done.

Who may audit a case is decided by ``may_audit`` and nowhere else. The assigned auditor reads the case
file on the audit's own page (``case_file``: what the person said, the basis, the outcomes and the
follow-ups, read only); the case's access rules (``app.access``) grant them nothing else, so they
cannot open the case page, act on it or read the worker's reflection. Every view, change and refusal
is audited by case id; a refusal is "not found", as for a case.

Services: plain arguments in, results out, ``RecordsError`` saying calmly what cannot be done."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import access, db
from ..cases import services as cases
from ..clock import aware, utcnow
from ..models import AgreedAction, AuditSample, Case, CaseFileAudit, Conversation, FollowUp, User
from ..records import RecordsError
from ..reports import ReportError, periods
from . import basis as records_basis
from . import reading
from .supervision import ACTION_LIMIT, parse_day

DIALOGUE = "case_audit"
SAMPLE_LIMIT = 50  # one manager's quarter: more than this is a review, not a sample
# A sample is drawn by the operating system's randomness, so nobody can predict or steer it.
_RANDOM = random.SystemRandom()


@dataclass
class Drawn:
    """A sample just drawn, and how many cases it was drawn from (to say it when fewer were asked)."""

    sample: AuditSample
    available: int
    asked: int


# -- who may audit -------------------------------------------------------------------------------


def _is_manager_of(user: User, team_id: int | None) -> bool:
    return user.role == "manager" and team_id is not None and user.team_id == team_id


def why_not_auditor(user: User | None, case: Case) -> str | None:
    """Why this member of staff may not audit this case, or None if they may. Never the case's worker,
    nor a manager of the case's team or of the worker's team (the people whose work it checks)."""
    if user is None or not user.active or user.role not in ("worker", "manager"):
        return "only an active worker or manager can audit a case"
    if case.worker_id == user.id:
        return "they are the case's worker"
    if _is_manager_of(user, case.team_id):
        return "they are a manager of the case's team"
    worker = db.session.get(User, case.worker_id) if case.worker_id else None
    if worker is not None and _is_manager_of(user, worker.team_id):
        return "they are the worker's manager"
    return None


def may_audit(user: User | None, case: Case) -> bool:
    return why_not_auditor(user, case) is None


def eligible_auditors(case: Case) -> list[User]:
    """Everyone who may audit this case, by email."""
    staff = db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(("worker", "manager"))).order_by(User.email)
    )
    return [u for u in staff if may_audit(u, case)]


# -- samples -------------------------------------------------------------------------------------


def _managing(user: User) -> bool:
    return user.role == "manager" and user.active and user.team_id is not None


def quarter(text: str | None) -> periods.Period:
    """The quarter a sample is drawn for; ``RecordsError`` for anything else."""
    try:
        period = periods.parse(text)
    except ReportError as error:
        raise RecordsError(str(error)) from None
    if " Q" not in period.label:
        raise RecordsError("A sample is drawn for one quarter: give it as, for example, 2026Q4.")
    if period.start > utcnow():
        raise RecordsError(f"{period.label} has not started yet: no case has closed in it.")
    return period


def _candidates(team_id: int, period: periods.Period) -> list[int]:
    """The team's cases closed in the quarter and not in any sample yet."""
    sampled = select(CaseFileAudit.case_id)
    return list(
        db.session.scalars(
            select(Case.id)
            .where(
                Case.team_id == team_id,
                Case.closed_at >= period.start,
                Case.closed_at < period.end,
                Case.id.not_in(sampled),
            )
            .order_by(Case.id)
        )
    )


def draw_sample(manager: User, period_text: str | None, size) -> Drawn:
    """Draw a random sample of ``size`` of the team's cases closed in a quarter, none of them sampled
    before. Fewer cases than asked: all of them are drawn, and ``Drawn`` says so."""
    if not _managing(manager):
        access.audit(manager, "refused", None, "audit_sample_drawn")
        raise RecordsError("Only a manager of a team can draw a case-file audit sample.")
    period = quarter(period_text)
    if isinstance(size, str) and size.strip().isdigit():
        size = int(size.strip())
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= SAMPLE_LIMIT:
        raise RecordsError(f"Choose how many cases to sample: a whole number from 1 to {SAMPLE_LIMIT}.")
    available = _candidates(manager.team_id, period)
    if not available:
        raise RecordsError(
            f"No case of your team closed in {period.label} is left to sample: every one closed then is "
            "already in a sample, or none closed. Choose another quarter."
        )
    chosen = sorted(_RANDOM.sample(available, min(size, len(available))))
    sample = AuditSample(
        period=period.label.replace(" ", ""),
        team_id=manager.team_id,
        size=len(chosen),
        drawn_by_id=manager.id,
    )
    db.session.add(sample)
    db.session.flush()
    for case_id in chosen:
        db.session.add(CaseFileAudit(sample_id=sample.id, case_id=case_id))
        access.record(manager, "audit_sample_drawn", case_id, f"sample {sample.id}")
    db.session.commit()
    return Drawn(sample, len(available), size)


def samples_for(manager: User) -> list[AuditSample]:
    """The samples of this manager's team, newest first."""
    if not _managing(manager):
        return []
    return list(
        db.session.scalars(
            select(AuditSample)
            .where(AuditSample.team_id == manager.team_id)
            .order_by(AuditSample.drawn_at.desc(), AuditSample.id.desc())
        )
    )


def sample_for(manager: User, sample_id) -> AuditSample | None:
    """The sample if this user is a manager of its team (the view audited); None, audited, if not."""
    sample = db.session.get(AuditSample, sample_id) if isinstance(sample_id, int) else None
    if sample is None or not _managing(manager) or sample.team_id != manager.team_id:
        access.audit(manager, "refused", None, f"view_audit_sample {sample_id}")
        return None
    access.audit(manager, "view_audit_samples", None, f"sample {sample.id}")
    return sample


def audits_in(sample: AuditSample) -> list[CaseFileAudit]:
    return list(
        db.session.scalars(
            select(CaseFileAudit).where(CaseFileAudit.sample_id == sample.id).order_by(CaseFileAudit.id)
        )
    )


def case_of(audit: CaseFileAudit) -> Case:
    return db.session.get(Case, audit.case_id)


def auditor_of(audit: CaseFileAudit) -> User | None:
    return db.session.get(User, audit.auditor_id) if audit.auditor_id else None


def team_id_of(audit: CaseFileAudit) -> int:
    """The team whose sample the audit is in."""
    return db.session.get(AuditSample, audit.sample_id).team_id


def manages(user: User, audit: CaseFileAudit | None) -> bool:
    """Whether this user is an active manager of the team whose sample the audit is in."""
    return audit is not None and _managing(user) and team_id_of(audit) == user.team_id


def audit_managed(manager: User, audit_id, action: str) -> CaseFileAudit | None:
    """The audit if this user is a manager of its sample's team; None, audited as refused, if not."""
    audit = db.session.get(CaseFileAudit, audit_id) if isinstance(audit_id, int) else None
    if not manages(manager, audit):
        access.audit(manager, "refused", audit.case_id if audit else None, action)
        return None
    return audit


# -- assigning auditors --------------------------------------------------------------------------


def assign(manager: User, audit_id, auditor_id) -> CaseFileAudit:
    """Give a sampled case to an auditor: refused, saying why, for the case's worker or a manager of
    its team, and once the audit has been started while its auditor may still finish it (its
    answers are theirs)."""
    audit = audit_managed(manager, audit_id, "case_file_audit_assigned")
    if audit is None:
        raise RecordsError("Only a manager of the sample's team can assign its audits.")
    case = case_of(audit)
    if audit.conversation_id is not None and may_audit(auditor_of(audit), case):
        raise RecordsError("This audit has been started: it stays with the auditor who started it.")
    auditor = db.session.get(User, auditor_id) if isinstance(auditor_id, int) else None
    why = why_not_auditor(auditor, case)
    if auditor is None:
        raise RecordsError("Choose an auditor from the list.")
    if why:
        access.audit(manager, "refused", case.id, f"case_file_audit_assigned to staff {auditor.id}")
        raise RecordsError(f"{auditor.email} cannot audit case {case.reference}: {why}.")
    # An audit whose auditor can no longer audit (they left, or joined the case's team) starts again
    # with the new one; the first auditor's answers stay with the case, unused.
    audit.conversation_id = None
    audit.auditor_id, audit.assigned_at = auditor.id, utcnow()
    access.record(manager, "case_file_audit_assigned", case.id, f"audit {audit.id} to staff {auditor.id}")
    db.session.commit()
    return audit


def open_audits(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(CaseFileAudit)
        .where(CaseFileAudit.auditor_id == user.id, CaseFileAudit.finished_at.is_(None))
    )


def assign_automatically(manager: User, sample_id) -> tuple[int, list[str]]:
    """Give each unassigned case of the sample to the eligible auditor with the fewest audits still
    open (then by email): spreads the work, and never picks someone ``may_audit`` refuses. Returns
    how many were assigned and the references of cases nobody may audit."""
    sample = sample_for(manager, sample_id)
    if sample is None:
        raise RecordsError("Only a manager of the sample's team can assign its audits.")
    assigned, nobody = 0, []
    for audit in audits_in(sample):
        if audit.auditor_id is not None:
            continue
        case = case_of(audit)
        found = eligible_auditors(case)
        if not found:
            nobody.append(case.reference)
            continue
        auditor = min(found, key=lambda u: (open_audits(u), u.email))
        audit.auditor_id, audit.assigned_at = auditor.id, utcnow()
        access.record(manager, "case_file_audit_assigned", case.id, f"audit {audit.id} to staff {auditor.id}")
        db.session.flush()  # the next choice counts this one
        assigned += 1
    db.session.commit()
    return assigned, nobody


# -- the auditor's side --------------------------------------------------------------------------


def assigned_to(user: User) -> list[CaseFileAudit]:
    """The audits given to this member of staff: open ones first, then newest."""
    found = db.session.scalars(select(CaseFileAudit).where(CaseFileAudit.auditor_id == user.id)).all()
    return sorted(found, key=lambda a: (a.finished_at is not None, -(a.id or 0)))


def audit_for(user: User, audit_id, action: str = "open_case_file_audit") -> CaseFileAudit | None:
    """The audit if this user is its auditor and still may audit the case (the view audited); None,
    audited as refused, if not."""
    audit = db.session.get(CaseFileAudit, audit_id) if isinstance(audit_id, int) else None
    case = case_of(audit) if audit else None
    if audit is None or audit.auditor_id != user.id or not may_audit(user, case):
        access.audit(user, "refused", case.id if case else None, action)
        return None
    access.audit(user, action, case.id, f"audit {audit.id}")
    return audit


def case_file(audit: CaseFileAudit) -> dict:
    """What the auditor reads: the case's dates and stage, each part's basis and answers, the outcomes
    side by side and the follow-ups with what was done. No reflection, review or name of the person."""
    case = case_of(audit)
    found = reading.person_conversations(case)
    return {
        "case": case,
        "conversations": found,
        "said": {part: reading.what_was_said(c) for part, c in found.items()},
        "basis": {part: records_basis.basis(c) for part, c in found.items()},
        "outcomes": reading.outcomes_side_by_side(case),
        "follow_ups": list(
            db.session.scalars(
                select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.raised_at, FollowUp.id)
            )
        ),
    }


def conversation_of(auditor: User, audit: CaseFileAudit) -> Conversation:
    """The audit's conversation, started the first time its auditor opens it."""
    if audit.conversation_id is not None:
        return db.session.get(Conversation, audit.conversation_id)
    conversation = cases.start_conversation(
        case_of(audit),
        DIALOGUE,
        utcnow(),
        invitation=None,
        staff_user_id=auditor.id,
        language="en",
        respondent="staff",
    )
    audit.conversation_id = conversation.id
    db.session.commit()
    return conversation


def note_finished(auditor: User, audit: CaseFileAudit) -> None:
    """Once the audit's conversation has reached its end, the audit is finished (once, audited)."""
    conversation = db.session.get(Conversation, audit.conversation_id) if audit.conversation_id else None
    if conversation is not None and conversation.finished_at is not None and audit.finished_at is None:
        audit.finished_at = conversation.finished_at
        access.record(auditor, "case_file_audit_finished", audit.case_id, f"audit {audit.id}")
        db.session.commit()


# -- findings and agreed actions -----------------------------------------------------------------


def findings_for(manager: User, audit_id) -> CaseFileAudit | None:
    """A finished audit, for a manager of the sample's team (the view audited); None if not."""
    audit = audit_managed(manager, audit_id, "view_case_file_audit_results")
    if audit is None or audit.finished_at is None:
        if audit is not None:
            access.audit(manager, "refused", audit.case_id, "view_case_file_audit_results (not finished)")
        return None
    access.audit(manager, "view_case_file_audit_results", audit.case_id, f"audit {audit.id}")
    return audit


def answers(audit: CaseFileAudit) -> list[reading.Said]:
    conversation = db.session.get(Conversation, audit.conversation_id) if audit.conversation_id else None
    return reading.what_was_said(conversation) if conversation else []


def actions_of(audit: CaseFileAudit) -> list[AgreedAction]:
    return list(
        db.session.scalars(
            select(AgreedAction)
            .where(AgreedAction.source == "case_file_audit", AgreedAction.case_file_audit_id == audit.id)
            .order_by(AgreedAction.id)
        )
    )


def team_members(team_id: int) -> list[User]:
    """Who an agreed action can belong to: the active workers and managers of the team."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.team_id == team_id, User.active.is_(True), User.role.in_(("worker", "manager")))
            .order_by(User.email)
        )
    )


def add_action(
    manager: User, audit_id, text: str | None, owner_id: int | None = None, due_on: str | date | None = None
) -> AgreedAction:
    """An action agreed from a finished audit's findings: owned by a member of the team (the case's
    worker unless another is chosen), with an optional due day."""
    audit = audit_managed(manager, audit_id, "audit_action_added")
    if audit is None:
        raise RecordsError("Only a manager of the sample's team can agree actions from its audits.")
    if audit.finished_at is None:
        raise RecordsError("The audit is not finished yet: agree actions once its findings are in.")
    text = (text or "").strip()
    if not text:
        raise RecordsError("Say what the action is.")
    if len(text) > ACTION_LIMIT:
        raise RecordsError(f"The action is longer than {ACTION_LIMIT} characters: shorten it.")
    team_id = team_id_of(audit)
    owner_id = owner_id or case_of(audit).worker_id or manager.id
    if owner_id not in {u.id for u in team_members(team_id)}:
        raise RecordsError("An action belongs to someone in the team: choose them from the list.")
    action = AgreedAction(
        source="case_file_audit",
        case_file_audit_id=audit.id,
        text=text,
        owner_id=owner_id,
        due_on=parse_day(due_on, "due day", required=False),
        created_by_id=manager.id,
    )
    db.session.add(action)
    db.session.flush()
    access.record(manager, "audit_action_added", audit.case_id, f"action {action.id}")
    db.session.commit()
    return action


def mark_action_done(user: User, action_id) -> AgreedAction:
    """Mark an audit's agreed action done: by its owner or a manager of the sample's team. Once."""
    action = db.session.get(AgreedAction, action_id) if isinstance(action_id, int) else None
    audit = (
        db.session.get(CaseFileAudit, action.case_file_audit_id)
        if action is not None and action.source == "case_file_audit" and action.case_file_audit_id
        else None
    )
    sample = db.session.get(AuditSample, audit.sample_id) if audit else None
    allowed = sample is not None and (
        (user.active and action.owner_id == user.id) or (_managing(user) and sample.team_id == user.team_id)
    )
    if not allowed:
        access.audit(user, "refused", audit.case_id if audit else None, "audit_action_done")
        raise RecordsError("This action is not yours to mark done.")
    if action.done_at is None:
        action.done_at, action.done_by_id = utcnow(), user.id
        access.record(user, "audit_action_done", audit.case_id, f"action {action.id}")
        db.session.commit()
    return action


def audit_of(action: AgreedAction) -> CaseFileAudit | None:
    """The audit an action was agreed from."""
    return db.session.get(CaseFileAudit, action.case_file_audit_id) if action.case_file_audit_id else None


def actions_owned(user: User) -> list[AgreedAction]:
    """The audit actions this member of staff owns: open first, then by due day."""
    found = db.session.scalars(
        select(AgreedAction).where(AgreedAction.source == "case_file_audit", AgreedAction.owner_id == user.id)
    ).all()
    return sorted(found, key=lambda a: (a.done_at is not None, a.due_on or date.max, a.id))


def stuck(audit: CaseFileAudit) -> bool:
    """Started, unfinished, and its auditor can no longer audit the case: give it to someone else."""
    return (
        audit.conversation_id is not None
        and audit.finished_at is None
        and not may_audit(auditor_of(audit), case_of(audit))
    )


def status(audit: CaseFileAudit) -> str:
    """Where an audit is: "unassigned", "assigned", "started" or "finished"."""
    if audit.finished_at is not None:
        return "finished"
    if audit.conversation_id is not None:
        return "started"
    return "assigned" if audit.auditor_id else "unassigned"


def finished_on(audit: CaseFileAudit) -> date | None:
    return aware(audit.finished_at).date() if audit.finished_at else None
