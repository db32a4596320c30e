"""Who is who, who may see which case, and the audit log of what staff did: checked on the server
for every case, conversation and export.

- a worker sees the cases assigned to them;
- a manager sees their team's cases, and any case that belongs to no team yet (the Unassigned list
  every manager sees, so that nothing stored stays invisible);
- an admin manages accounts and sees no case (least privilege).
A case outside someone's reach is "not found", exactly like a case that does not exist, and the
attempt is written to the audit log.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from . import db
from .clock import utcnow
from .models import AuditEvent, Case, Conversation, FollowUp, Invitation, User

log = logging.getLogger(__name__)
AUDIT_PAGE_LIMIT = 500


def find_user(email: str | None) -> User | None:
    """The staff account with this email (in any case), or None."""
    email = (email or "").strip().lower()
    return db.session.scalars(select(User).where(func.lower(User.email) == email)).first()


def visible_cases(user: User):
    """A query for the cases this user may see."""
    query = select(Case)
    if user.role == "worker":
        return query.where(Case.worker_id == user.id)
    if user.role == "manager" and user.team_id is not None:
        return query.where((Case.team_id == user.team_id) | Case.team_id.is_(None))
    return query.where(Case.id.is_(None))  # nothing


def visible_case_ids(user: User):
    """The ids of the cases this user may see, as a subquery."""
    return visible_cases(user).with_only_columns(Case.id)


def can_see(user: User | None, case: Case | None) -> bool:
    """Whether this member of staff may see this case."""
    if case is None or user is None:
        return False
    if user.role == "worker":
        return case.worker_id == user.id
    if user.role == "manager":
        return user.team_id is not None and case.team_id in (user.team_id, None)
    return False


def cases_of(user: User) -> list[Case]:
    """The cases this user may see, by reference."""
    return list(db.session.scalars(visible_cases(user).order_by(Case.reference)))


def case_for(user: User, case_id, action: str = "view_case") -> Case | None:
    """The case if this user may see it (the view is audited); None, audited as refused, if not."""
    case = db.session.get(Case, case_id) if isinstance(case_id, int) else None
    if not can_see(user, case):
        audit(user, "refused", case_id if isinstance(case_id, int) else None, action)
        log.warning("refused %s on case id %s for user %s", action, case_id, user.id)
        return None
    audit(user, action, case.id)
    return case


def conversation_for(user: User, conversation_id, action: str = "view_conversation"):
    """The conversation if this user may see its case (audited); None, audited as refused, if not."""
    conversation = db.session.get(Conversation, conversation_id) if isinstance(conversation_id, int) else None
    case = conversation.case if conversation is not None else None
    if conversation is None or not can_see(user, case):
        audit(user, "refused", case.id if case else None, action)
        return None
    audit(user, action, case.id)
    return conversation


def invitation_for(user: User, invitation_id, action: str) -> Invitation | None:
    """The invitation if this user may see its case (audited); None, audited as refused, if not."""
    invitation = db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    case = invitation.case if invitation else None
    if not can_see(user, case):
        audit(user, "refused", case.id if case else None, action)
        return None
    audit(user, action, case.id)
    return invitation


def follow_up_for(user: User, follow_up_id, action: str) -> FollowUp | None:
    """The follow-up if this user may see its case; None, audited as refused, if not. What is done
    with it is audited by the service that does it, with the change."""
    item = db.session.get(FollowUp, follow_up_id) if isinstance(follow_up_id, int) else None
    if item is None or not can_see(user, item.case):
        audit(user, "refused", item.case_id if item else None, action)
        return None
    return item


# -- the audit log ---------------------------------------------------------------------------------


def record(user: User | None, action: str, case_id: int | None = None, detail: str | None = None) -> None:
    """Add one audit event to the current transaction: it is saved with the change it records."""
    event = AuditEvent(
        at=utcnow(),
        user_id=user.id if user else None,
        action=action,
        case_id=case_id,
        detail=(detail or "")[:500] or None,
    )
    db.session.add(event)


def audit(user: User | None, action: str, case_id: int | None = None, detail: str | None = None) -> None:
    """Write one audit event, committed at once (an audit entry must not wait on anything else)."""
    record(user, action, case_id, detail)
    db.session.commit()


def audit_log(manager: User) -> list[AuditEvent]:
    """What a manager may read of the log: what their team did, and everything about their cases."""
    team_users = select(User.id).where(User.team_id == manager.team_id)
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.user_id.in_(team_users) | AuditEvent.case_id.in_(visible_case_ids(manager)))
            .order_by(AuditEvent.id.desc())
            .limit(AUDIT_PAGE_LIMIT)
        )
    )
