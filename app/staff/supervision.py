"""Supervision: a worker's finished reflection read, in a one-to-one, by a manager of the worker's own
team, who records the discussion and the learning actions agreed; the worker and the manager mark an
action done. ``team_learning`` gives a team's learning themes for a period without names or cases.

Who may read a reflection here is decided by ``may_read`` and nowhere else: an active manager whose
team is the worker's team now (``User.team_id``; there is no line-manager field, so every manager of
the team). The case's own access rules grant nothing here: a manager who sees the case (their team's
or an unassigned one) but is not a manager of the worker's team is refused, like anyone else. A
refusal is "not found" and audited; every view and change is audited, by case id only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from .. import access, db
from ..clock import utcnow
from ..models import AgreedAction, Case, Conversation, Supervision, User
from ..records import RecordsError
from ..reports import learning
from . import reading

DIALOGUE = "reflection"
NOTES_LIMIT = 5000
ACTION_LIMIT = 500


@dataclass
class ReflectionRow:
    """One finished reflection on a manager's supervision list."""

    reflection: Conversation
    worker: User
    case: Case
    discussions: int
    open_actions: int


def may_read(user: User | None, reflection: Conversation | None) -> bool:
    """Whether this member of staff may read this reflection in supervision: an active manager of the
    team the reflection's worker is in, once the worker has finished it."""
    if user is None or reflection is None or reflection.dialogue_id != DIALOGUE:
        return False
    if user.role != "manager" or not user.active or user.team_id is None:
        return False
    if reflection.finished_at is None or reflection.staff_user_id is None:
        return False
    worker = db.session.get(User, reflection.staff_user_id)
    return worker is not None and worker.id != user.id and worker.team_id == user.team_id


def worker_of(reflection: Conversation) -> User | None:
    """The worker who wrote this reflection."""
    return db.session.get(User, reflection.staff_user_id) if reflection.staff_user_id else None


def reflection_of(action: AgreedAction) -> Conversation | None:
    """The reflection a supervision's learning action was agreed against."""
    found = db.session.get(Supervision, action.supervision_id) if action.supervision_id else None
    return db.session.get(Conversation, found.reflection_id) if found else None


def readers(worker: User) -> list[User]:
    """Who may read this worker's reflections in supervision: the active managers of their team."""
    if worker.team_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.team_id == worker.team_id, User.role == "manager", User.active.is_(True))
            .order_by(User.email)
        )
    )


def reflection_for(
    user: User, reflection_id, action: str = "view_reflection_supervision"
) -> Conversation | None:
    """The reflection if this user may read it in supervision (the view audited); None, audited as
    refused, if not."""
    reflection = db.session.get(Conversation, reflection_id) if isinstance(reflection_id, int) else None
    case_id = reflection.case_id if reflection is not None else None
    if not may_read(user, reflection):
        access.audit(user, "refused", case_id, action)
        return None
    access.audit(user, action, case_id, f"reflection {reflection.id}")
    return reflection


def team_reflections(manager: User) -> list[ReflectionRow]:
    """The finished reflections of the workers of this manager's team, newest first (the list view is
    audited: it names workers and cases)."""
    if manager.role != "manager" or manager.team_id is None:
        return []
    workers = select(User.id).where(User.team_id == manager.team_id, User.id != manager.id)
    found = db.session.scalars(
        select(Conversation)
        .where(
            Conversation.dialogue_id == DIALOGUE,
            Conversation.staff_user_id.in_(workers),
            Conversation.finished_at.is_not(None),
        )
        .order_by(Conversation.finished_at.desc(), Conversation.id.desc())
    ).all()
    rows = []
    for reflection in found:
        if not may_read(manager, reflection):
            continue
        held = discussions(reflection)
        rows.append(
            ReflectionRow(
                reflection,
                db.session.get(User, reflection.staff_user_id),
                reflection.case,
                len(held),
                sum(1 for s in held for a in actions_of(s) if a.done_at is None),
            )
        )
    access.audit(manager, "view_supervision_list", None, f"{len(rows)} reflections")
    return rows


def answers(reflection: Conversation) -> list[reading.Said]:
    """The reflection's answers in force, each with its question, as the case page shows answers."""
    return reading.what_was_said(reflection)


def discussions(reflection: Conversation) -> list[Supervision]:
    """The supervisions recorded against this reflection, oldest first."""
    return list(
        db.session.scalars(
            select(Supervision)
            .where(Supervision.reflection_id == reflection.id)
            .order_by(Supervision.discussed_on, Supervision.id)
        )
    )


def actions_of(supervision: Supervision) -> list[AgreedAction]:
    """The learning actions agreed in this supervision, in the order they were agreed."""
    return list(
        db.session.scalars(
            select(AgreedAction)
            .where(AgreedAction.source == "supervision", AgreedAction.supervision_id == supervision.id)
            .order_by(AgreedAction.id)
        )
    )


def parse_day(text: str | date | None, what: str, required: bool) -> date | None:
    if isinstance(text, date):
        return text
    given = (text or "").strip()
    if not given:
        if required:
            raise RecordsError(f"Give the {what} as a date, for example 2026-12-03.")
        return None
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise RecordsError(
            f"The {what} is not a date: write it as year-month-day, for example 2026-12-03."
        ) from None


def record_supervision(
    manager: User, reflection_id: int, discussed_on: str | date | None, notes: str | None
) -> Supervision:
    """Record that this reflection was discussed in supervision on a day, with the manager's notes."""
    reflection = db.session.get(Conversation, reflection_id) if isinstance(reflection_id, int) else None
    if not may_read(manager, reflection):
        access.audit(manager, "refused", reflection.case_id if reflection else None, "supervision_recorded")
        raise RecordsError("Only a manager of the worker's team can record supervision of their reflection.")
    day = parse_day(discussed_on, "day of the supervision", required=True)
    if day > utcnow().date():
        raise RecordsError("The supervision's day is in the future: record it on or after the day you meet.")
    notes = (notes or "").strip() or None
    if notes and len(notes) > NOTES_LIMIT:
        raise RecordsError(f"The notes are longer than {NOTES_LIMIT} characters: shorten them.")
    supervision = Supervision(
        reflection_id=reflection.id,
        worker_id=reflection.staff_user_id,
        manager_id=manager.id,
        discussed_on=day,
        notes=notes,
    )
    db.session.add(supervision)
    db.session.flush()
    access.record(manager, "supervision_recorded", reflection.case_id, f"supervision {supervision.id}")
    db.session.commit()
    return supervision


def supervision_for(user: User, supervision_id, action: str) -> Supervision | None:
    """The supervision if this user may read its reflection; None, audited as refused, if not."""
    found = db.session.get(Supervision, supervision_id) if isinstance(supervision_id, int) else None
    reflection = db.session.get(Conversation, found.reflection_id) if found else None
    if not may_read(user, reflection):
        access.audit(user, "refused", reflection.case_id if reflection else None, action)
        return None
    return found


def add_action(
    manager: User,
    supervision_id: int,
    text: str | None,
    owner_id: int | None = None,
    due_on: str | date | None = None,
) -> AgreedAction:
    """Add a learning action agreed in this supervision: its owner is the worker unless the manager
    takes it on themselves; a due day is optional."""
    supervision = supervision_for(manager, supervision_id, "learning_action_added")
    if supervision is None:
        raise RecordsError(
            "Only a manager of the worker's team can add learning actions to this supervision."
        )
    text = (text or "").strip()
    if not text:
        raise RecordsError("Say what the learning action is.")
    if len(text) > ACTION_LIMIT:
        raise RecordsError(f"The learning action is longer than {ACTION_LIMIT} characters: shorten it.")
    owner_id = owner_id or supervision.worker_id
    if owner_id not in (supervision.worker_id, manager.id):
        raise RecordsError("A learning action belongs to the worker or to you.")
    action = AgreedAction(
        source="supervision",
        supervision_id=supervision.id,
        text=text,
        owner_id=owner_id,
        due_on=parse_day(due_on, "due day", required=False),
        created_by_id=manager.id,
    )
    db.session.add(action)
    db.session.flush()
    case_id = db.session.get(Conversation, supervision.reflection_id).case_id
    access.record(manager, "learning_action_added", case_id, f"action {action.id}")
    db.session.commit()
    return action


def mark_done(user: User, action_id: int) -> AgreedAction:
    """Mark a supervision's learning action done: by the worker it was agreed with, its owner, or a
    manager of the worker's team. Done once; marking it again changes nothing."""
    action = db.session.get(AgreedAction, action_id) if isinstance(action_id, int) else None
    supervision = (
        db.session.get(Supervision, action.supervision_id) if action and action.supervision_id else None
    )
    reflection = db.session.get(Conversation, supervision.reflection_id) if supervision else None
    allowed = (
        action is not None
        and action.source == "supervision"
        and supervision is not None
        and (user.id in (supervision.worker_id, action.owner_id) or may_read(user, reflection))
    )
    if not allowed:
        access.audit(user, "refused", reflection.case_id if reflection else None, "learning_action_done")
        raise RecordsError("This learning action is not yours to mark done.")
    if action.done_at is None:
        action.done_at, action.done_by_id = utcnow(), user.id
        access.record(user, "learning_action_done", reflection.case_id, f"action {action.id}")
        db.session.commit()
    return action


def actions_for(worker: User) -> list[AgreedAction]:
    """The learning actions from this worker's supervisions, and any they own: open ones first, then
    by due day."""
    mine = select(Supervision.id).where(Supervision.worker_id == worker.id)
    found = db.session.scalars(
        select(AgreedAction).where(
            AgreedAction.source == "supervision",
            AgreedAction.supervision_id.in_(mine) | (AgreedAction.owner_id == worker.id),
        )
    ).all()
    return sorted(found, key=lambda a: (a.done_at is not None, a.due_on or date.max, a.id))


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, UTC)


def team_learning(team_id: int, start: date | datetime, end: date | datetime) -> list[str]:
    """A team's learning themes in a period (``start`` inclusive, ``end`` exclusive, UTC), as the
    reports list them (``app.reports.learning``): the learning actions agreed in supervision, and what
    the reflections and reviews finished then say could have been done better or needs training. Only
    the words staff wrote, with no worker, case or date beside them, sorted alphabetically."""
    found = learning.themes(_moment(start), _moment(end), team_id)
    return sorted((text for texts in found.values() for text in texts), key=str.casefold)
