"""Who may see which case: checked on the server for every case, conversation and export.

- a worker sees the cases assigned to them;
- a manager sees their team's cases, and any case that belongs to no team yet (the Unassigned list
  every manager sees, so that nothing stored stays invisible);
- an admin manages accounts and sees no case (least privilege).
A case outside someone's reach is "not found", exactly like a case that does not exist, and the
attempt is written to the audit log.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from .. import db
from ..models import Case, Conversation, utcnow
from .models import AuditEvent, User

log = logging.getLogger(__name__)


def visible_cases(user: User):
    """A query for the cases this user may see."""
    query = select(Case)
    if user.role == "worker":
        return query.where(Case.worker_id == user.id)
    if user.role == "manager" and user.team_id is not None:
        return query.where((Case.team_id == user.team_id) | Case.team_id.is_(None))
    return query.where(Case.id.is_(None))  # nothing


def can_see(user: User, case: Case | None) -> bool:
    if case is None or user is None:
        return False
    if user.role == "worker":
        return case.worker_id == user.id
    if user.role == "manager":
        return user.team_id is not None and case.team_id in (user.team_id, None)
    return False


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
    conversation = db.session.get(Conversation, conversation_id) if isinstance(conversation_id, int) else None
    case = conversation.case if conversation is not None else None
    if conversation is None or not can_see(user, case):
        audit(user, "refused", case.id if case else None, action)
        return None
    audit(user, action, case.id)
    return conversation


def record(user: User | None, action: str, case_id: int | None = None, detail: str | None = None) -> None:
    """Add one audit event to the current transaction: it is saved with the change it records."""
    db.session.add(
        AuditEvent(at=utcnow(), user_id=user.id if user else None, action=action, case_id=case_id,
                   detail=(detail or "")[:200] or None)
    )  # fmt: skip


def audit(user: User | None, action: str, case_id: int | None = None, detail: str | None = None) -> None:
    """Write one audit event, committed at once (an audit entry must not wait on anything else)."""
    record(user, action, case_id, detail)
    db.session.commit()
