"""Teams, accounts and who is accountable for each case: no case belongs to nobody.

- A team has a duty inbox, where urgent signals go beside the case's own worker.
- A deactivated worker's cases go to their team's Unassigned list, which every manager of the team
  sees at the top of their page until each case is reassigned (audited).
The command line and the admin pages both come here.
"""

from __future__ import annotations

from sqlalchemy import select

from .. import db
from ..access import find_user, record
from ..models import ROLES, Case, Team, User
from . import auth


class TeamError(ValueError):
    """The change cannot be made as asked; nothing was written, and the message says why."""


def _email(value: str | None, what: str) -> str:
    value = (value or "").strip()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or len(value) > 254 or any(c.isspace() for c in value):
        raise TeamError(f"Give a valid email address for {what}.")
    return value


def find_team(name: str) -> Team | None:
    """The team with this name, or None."""
    return db.session.scalars(select(Team).where(Team.name == (name or "").strip())).first()


def create_team(name: str, duty_email: str, by: User | None = None) -> Team:
    """A new team with its duty inbox."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise TeamError("Give a team name of 1 to 64 characters.")
    duty = _email(duty_email, "the duty inbox")
    if find_team(name) is not None:
        raise TeamError(f"There is already a team called {name!r}.")
    team = Team(name=name, duty_email=duty)
    db.session.add(team)
    db.session.flush()
    record(by, "create_team", None, f"team {team.id}")
    db.session.commit()
    return team


def edit_team(
    team: Team, name: str | None = None, duty_email: str | None = None, by: User | None = None
) -> Team:
    """Rename a team or change its duty inbox."""
    if name is not None:
        name = name.strip()
        if not name or len(name) > 64:
            raise TeamError("Give a team name of 1 to 64 characters.")
        other = find_team(name)
        if other is not None and other.id != team.id:
            raise TeamError(f"There is already a team called {name!r}.")
    duty = _email(duty_email, "the duty inbox") if duty_email is not None else None
    if name is not None:
        team.name = name
    if duty is not None:
        team.duty_email = duty
    record(by, "edit_team", None, f"team {team.id}")
    db.session.commit()
    return team


def team_by_id(team_id: int) -> Team | None:
    """The team with this id, or None."""
    return db.session.get(Team, team_id)


def team_of(case: Case) -> Team | None:
    """The team a case belongs to, if any."""
    return team_by_id(case.team_id) if case.team_id else None


def user_by_id(user_id: int) -> User | None:
    """The account with this id, or None."""
    return db.session.get(User, user_id)


def worker_of(case: Case) -> User | None:
    """The case's accountable worker, if it has one."""
    return user_by_id(case.worker_id) if case.worker_id else None


def users() -> list[User]:
    """Every account, by email (the admin's page)."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def teams() -> list[Team]:
    """Every team, by name."""
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def create_user(email: str, role: str, team: str, password: str, by: User | None = None) -> User:
    """Make an account (the CLI and the admin page both come here). A worker or manager joins a
    team that exists already: teams are made with their duty inbox (``create-team``)."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise TeamError("Give a valid email address.")
    if role not in ROLES:
        raise TeamError(f"The role is one of {', '.join(ROLES)}.")
    if len(password or "") < 12:
        raise TeamError("The password needs at least 12 characters.")
    if find_user(email) is not None:
        raise TeamError("There is already an account with this email.")
    team_row = None
    if team:
        team_row = find_team(team)
        if team_row is None:
            raise TeamError(
                f"There is no team called {team.strip()!r}: create it first, with its duty inbox "
                "(flask --app app create-team NAME --duty-email ADDRESS)."
            )
    elif role in ("worker", "manager"):
        raise TeamError("A worker or manager belongs to a team: give --team.")
    user = User(email=email, password_hash=auth.hash_password(password), role=role, team=team_row)
    db.session.add(user)
    db.session.flush()
    record(by, "create_user", None, f"user {user.id}")
    db.session.commit()
    return user


def reset_password(user: User, password: str, by: User | None = None) -> None:
    """A new password for an account, which is unlocked (the demo's accounts, on every start)."""
    user.password_hash, user.failed_sign_ins, user.locked_until = auth.hash_password(password), 0, None
    record(by, "reset_password", None, f"user {user.id}")
    db.session.commit()


def set_active(user: User, active: bool, by: User | None = None) -> int:
    """Turn an account on or off. Turning off a worker ends their sign-ins and moves their cases to
    the team's Unassigned list; returns how many cases moved."""
    user.active = active
    moved = 0
    if not active:
        for case in db.session.scalars(select(Case).where(Case.worker_id == user.id)):
            case.worker_id = None
            if case.team_id is None:
                case.team_id = user.team_id
            record(by, "unassigned", case.id, f"worker {user.id} deactivated")
            moved += 1
    record(by, "set_active", None, f"user {user.id} {'on' if active else 'off'}")
    db.session.commit()  # an inactive account's sessions are refused from its next request on
    return moved


def unassigned(manager: User) -> list[Case]:
    """The cases with no accountable worker that this manager must reassign: their team's, and any
    that belong to no team at all."""
    if manager.role != "manager" or manager.team_id is None:
        return []
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.worker_id.is_(None))
            .where((Case.team_id == manager.team_id) | Case.team_id.is_(None))
            .order_by(Case.reference)
        )
    )


def team_workers(user: User) -> list[User]:
    """The active workers and managers a case of this team can be given to."""
    if user.team_id is None:
        return [user]
    return list(
        db.session.scalars(
            select(User)
            .where(User.team_id == user.team_id, User.role.in_(("worker", "manager")), User.active)
            .order_by(User.role != "worker", User.email)
        )
    )


def reassign(manager: User, case: Case, worker_id: int | None) -> User:
    """Give a case to a worker of the manager's team (audited); the case joins that team."""
    if manager.role != "manager":
        raise TeamError("Only a manager can reassign a case.")
    worker = next((w for w in team_workers(manager) if w.id == worker_id), None)
    if worker is None:
        raise TeamError("Choose an active worker from your team.")
    before = case.worker_id
    case.worker_id, case.team_id = worker.id, worker.team_id
    record(manager, "reassign", case.id, f"worker {before} -> {worker.id}")
    db.session.commit()
    return worker
