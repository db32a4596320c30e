"""What the staff pages do beyond the case services: new cases from the page, the case's emails,
and the staff's own dialogues. Access is checked by the caller (``app.access``)."""

from __future__ import annotations

from sqlalchemy import select

from .. import access, db
from ..cases import CaseError
from ..cases import services as cases
from ..clock import utcnow
from ..languages import language
from ..models import Case, Conversation, Notification, User
from .teams import team_workers

STAFF_DIALOGUES = {"reflection": "worker", "review": "manager"}


def create_case(
    user: User,
    reference: str | None,
    preferred_name: str | None,
    lang: str | None,
    needs: str | None,
    worker_id: int | None,
) -> Case:
    """A case made on the staff pages: the worker's own, or given by a manager to a worker of the team."""
    if user.team is None or not user.team.duty_email:
        raise CaseError(
            "Your team has no duty inbox for urgent signals yet: ask your administrator to set one."
        )
    worker = user
    if user.role == "manager":
        worker = next((w for w in team_workers(user) if w.id == worker_id), None)
        if worker is None:
            raise CaseError("Choose a worker from your team.")
    case = cases.open_case(reference, worker, lang or "en", preferred_name, needs)
    access.record(user, "create_case", case.id)
    db.session.commit()
    return case


def qr_svg(url: str) -> str:
    """The link as a QR code, an SVG data URI (scanned by the person's own phone or tablet)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#0b0c0c")


def language_name(code: str) -> str:
    """A language's name in English, for staff."""
    return language(code).english


# -- the emails a case's signals made --------------------------------------------------------------


def notifications_for(case: Case) -> list[Notification]:
    """Every email this case's signals made, newest first, with its state."""
    return list(
        db.session.scalars(
            select(Notification).where(Notification.case_id == case.id).order_by(Notification.id.desc())
        )
    )


def failing_notifications(manager: User) -> list[Notification]:
    """Emails on the team's cases that are not getting through (a duty inbox the server rejects)."""
    if manager.role != "manager":
        return []
    return list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.case_id.in_(access.visible_case_ids(manager)), Notification.state == "failing"
            )
            .order_by(Notification.id.desc())
            .limit(50)
        )
    )


# -- the staff's own dialogues ---------------------------------------------------------------------


def staff_conversation(user: User, case: Case, dialogue_id: str) -> Conversation:
    """The worker's reflection or the manager's review of this case, made the first time."""
    if STAFF_DIALOGUES.get(dialogue_id) != user.role:
        raise CaseError("This is not yours to fill in.")
    found = db.session.scalars(
        select(Conversation).where(
            Conversation.case_id == case.id,
            Conversation.dialogue_id == dialogue_id,
            Conversation.staff_user_id == user.id,
        )
    ).first()
    if found is not None:
        return found
    conversation = cases.start_conversation(
        case, dialogue_id, utcnow(), invitation=None, staff_user_id=user.id, language="en", respondent="staff"
    )
    db.session.commit()
    return conversation
