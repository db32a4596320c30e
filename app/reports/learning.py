"""A team's learning themes for a period: what staff wrote at the steps of the reflections and
reviews finished then that say what could have been done better and what training is needed, and
the learning actions agreed in supervision then. One source for the reports' page and the
supervision service (``app.staff.supervision.team_learning``).

Only the words staff wrote, with no worker, case or date beside them, sorted alphabetically so the
order follows neither who wrote them nor when. Free text: internal only, never in anything shared.
A reflection and a supervision count for the team the worker is in now (the managers who may read
them in supervision); a review for the case's team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import db
from ..models import AgreedAction, Conversation, Supervision, User

BETTER = "What could have been done better"
TRAINING = "Training needs"
SUPERVISION = "Learning actions agreed in supervision"
# The steps whose free text is a learning theme: (dialogue, step) -> the heading it is listed under.
THEME_STEPS = {
    ("reflection", "differently"): BETTER,
    ("reflection", "avoided_why"): BETTER,
    ("review", "better"): BETTER,
    ("review", "training_what"): TRAINING,
}


def _team_of(conversation: Conversation) -> int | None:
    if conversation.dialogue_id == "reflection":
        author = db.session.get(User, conversation.staff_user_id) if conversation.staff_user_id else None
        return author.team_id if author is not None else None
    return conversation.case.team_id


def themes(start: datetime, end: datetime, team_id: int | None) -> dict[str, list[str]]:
    """Heading -> the texts, for one team (``None``: every team), ``start`` inclusive and ``end``
    exclusive (aware, UTC)."""
    found: dict[str, list[str]] = {BETTER: [], TRAINING: [], SUPERVISION: []}
    staff = db.session.scalars(
        select(Conversation).where(
            Conversation.dialogue_id.in_({d for d, _ in THEME_STEPS}),
            Conversation.finished_at >= start,
            Conversation.finished_at < end,
        )
    )
    for conversation in staff:
        if team_id is not None and _team_of(conversation) != team_id:
            continue
        for answer in conversation.answers:
            heading = THEME_STEPS.get((conversation.dialogue_id, answer.step))
            if (
                heading
                and answer.superseded_at is None
                and isinstance(answer.value, str)
                and answer.value.strip()
            ):
                found[heading].append(answer.value.strip())
    supervisions = select(Supervision.id)
    if team_id is not None:
        supervisions = supervisions.where(
            Supervision.worker_id.in_(select(User.id).where(User.team_id == team_id))
        )
    for action in db.session.scalars(
        select(AgreedAction).where(
            AgreedAction.source == "supervision",
            AgreedAction.supervision_id.in_(supervisions),
            AgreedAction.created_at >= start,
            AgreedAction.created_at < end,
        )
    ):
        if action.text and action.text.strip():
            found[SUPERVISION].append(action.text.strip())
    return {heading: sorted(texts, key=str.casefold) for heading, texts in found.items()}
