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

import getpass
import logging
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

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

# Where an entry came from: a staff page, a command (its os_user is who ran it), the server itself.
VIA = ("web", "cli", "system")
# The operating-system user of the command running in this context, if one is (``command_running``):
# what the services audit meanwhile (a team made, a decision imported) is the command's doing.
_command_user: ContextVar[str | None] = ContextVar("msp_command_user", default=None)


@contextmanager
def command_running(os_user: str):
    """While a command runs: entries recorded without a ``via`` are the command line's, by ``os_user``.
    (Threads start with a context of their own: a server's requests stay "web".)"""
    token = _command_user.set(os_user)
    try:
        yield
    finally:
        _command_user.reset(token)


def record(
    user: User | None,
    action: str,
    case_id: int | None = None,
    detail: str | None = None,
    *,
    via: str | None = None,
    os_user: str | None = None,
) -> None:
    """Add one audit event to the current transaction: it is saved with the change it records.
    ``via``: one of ``VIA``; by default "web", or "cli" while a command runs (``command_running``).
    ``os_user``: the operating-system account that ran a command (by default the running one's)."""
    running = _command_user.get()
    if via is None:
        via = "cli" if running is not None else "web"
    if via == "cli" and os_user is None:
        os_user = running
    if via not in VIA:
        raise ValueError(f"an audit entry comes from one of {', '.join(VIA)}, not {via!r}")
    event = AuditEvent(
        at=utcnow(),
        user_id=user.id if user else None,
        action=action,
        case_id=case_id,
        detail=(detail or "")[:500] or None,
        via=via,
        os_user=(os_user or "")[:64] or None,
    )
    db.session.add(event)


def audit(
    user: User | None,
    action: str,
    case_id: int | None = None,
    detail: str | None = None,
    *,
    via: str | None = None,
    os_user: str | None = None,
) -> None:
    """Write one audit event, committed at once (an audit entry must not wait on anything else)."""
    record(user, action, case_id, detail, via=via, os_user=os_user)
    db.session.commit()


def os_user() -> str:
    """Who ran the command on this machine: getpass's answer (the login name), and the account
    of the process's user id too when that differs (the login name comes from the environment)."""
    uid = os.geteuid()
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name and no account for the uid
        return f"uid {uid}"
    try:
        import pwd

        account = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        account = None
    return name if account in (None, name) else f"{name} (uid {uid} {account})"


def _readable_by(manager: User):
    """What a manager may read of the log: what their team did, and everything about their cases."""
    team_users = select(User.id).where(User.team_id == manager.team_id)
    return AuditEvent.user_id.in_(team_users) | AuditEvent.case_id.in_(visible_case_ids(manager))


def audit_log(manager: User) -> list[AuditEvent]:
    """What a manager may read of the log: what their team did, and everything about their cases."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(_readable_by(manager))
            .order_by(AuditEvent.id.desc())
            .limit(AUDIT_PAGE_LIMIT)
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    """Which entries of the log to show: each given part narrows it (ids and UTC days only, so
    that a filter names no one and can sit in a URL). ``since`` and ``until`` are whole days,
    both included."""

    case_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    via: str | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list:
        found = []
        if self.case_id is not None:
            found.append(AuditEvent.case_id == self.case_id)
        if self.user_id is not None:
            found.append(AuditEvent.user_id == self.user_id)
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.via:
            found.append(AuditEvent.via == self.via)
        if self.since is not None:
            found.append(AuditEvent.at >= datetime.combine(self.since, time.min, UTC))
        if self.until is not None:
            found.append(AuditEvent.at < datetime.combine(self.until + timedelta(days=1), time.min, UTC))
        return found

    def describe(self) -> str:
        """The filter as the audit entry of a view or an export records it."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("case_id", self.case_id),
                ("user_id", self.user_id),
                ("action", self.action),
                ("via", self.via),
                ("from", self.since),
                ("to", self.until),
            )
            if value not in (None, "")
        ]
        return " ".join(parts) or "no filter"


def audit_events(manager: User, where: AuditFilter = AuditFilter()):
    """A query for the entries this manager may read that match ``where``, newest first."""
    return select(AuditEvent).where(_readable_by(manager), *where.conditions()).order_by(AuditEvent.id.desc())


def audit_count(manager: User, where: AuditFilter = AuditFilter()) -> int:
    """How many entries this manager may read match ``where``."""
    query = select(func.count()).select_from(AuditEvent).where(_readable_by(manager), *where.conditions())
    return db.session.scalar(query) or 0


def audit_page(
    manager: User, where: AuditFilter = AuditFilter(), page: int = 1, per_page: int = 100
) -> tuple[list[AuditEvent], int]:
    """One page of ``audit_events`` (pages count from 1) and how many match in all."""
    total = audit_count(manager, where)
    query = audit_events(manager, where).options(joinedload(AuditEvent.user))
    events = db.session.scalars(query.offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(events), total


def audit_actions(manager: User) -> list[str]:
    """The actions that occur in what this manager may read of the log, in order."""
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(_readable_by(manager)).distinct().order_by(AuditEvent.action)
        )
    )


def audit_people(manager: User) -> list[User]:
    """The staff who appear in what this manager may read of the log, by email."""
    ids = select(AuditEvent.user_id).where(_readable_by(manager), AuditEvent.user_id.is_not(None))
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.email)))


def case_references(manager: User, case_ids) -> dict[int, str]:
    """The references of those of these cases this manager may see (a case outside their reach,
    or gone, keeps only its id on their pages)."""
    wanted = sorted({i for i in case_ids if i is not None})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):  # a bounded IN list, however many rows are exported
        chunk = wanted[start : start + 500]
        rows = db.session.execute(
            visible_cases(manager).with_only_columns(Case.id, Case.reference).where(Case.id.in_(chunk))
        )
        found.update({case_id: reference for case_id, reference in rows})
    return found
