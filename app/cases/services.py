"""Create invitations and export what a case's conversations hold.

The CLI and (later) the staff pages both call these, so an invitation is the same thing either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import db
from ..conversation import codes
from ..conversation.services import aware, dialogue_for, facts_for
from ..dialogue.conditions import REPRESENTATIVE_ROLES
from ..models import Answer, Case, Conversation, Invitation, utcnow
from ..staff.models import User

PARTS = {1: "part1", 2: "part2"}
RESPONDENTS = ("self", "representative", *REPRESENTATIVE_ROLES)


class InvitationError(ValueError):
    """The invitation cannot be made as asked; the message says why."""


@dataclass
class NewInvitation:
    """A freshly made invitation; ``code`` exists only here, never in the database."""

    invitation: Invitation
    conversation: Conversation
    code: str

    @property
    def url(self) -> str:
        return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/s/{self.code}"


def find_case(reference: str) -> Case | None:
    return db.session.scalars(select(Case).where(Case.reference == reference.strip())).first()


def accountable_worker(email: str | None) -> User:
    """The active worker or manager a new case is given to; their team must have a duty inbox,
    where urgent signals go when the worker may be away."""
    from ..staff.auth import find_user

    if not email:
        raise InvitationError("a new case needs an accountable worker: give --worker EMAIL")
    user = find_user(email)
    if user is None or user.role not in ("worker", "manager"):
        raise InvitationError(f"no worker or manager has the email {email.strip()!r}")
    if not user.active:
        raise InvitationError(f"the account {user.email} is deactivated: give an active worker")
    if user.team is None:
        raise InvitationError(f"{user.email} belongs to no team")
    if not user.team.duty_email:
        raise InvitationError(
            f"the team {user.team.name!r} has no duty inbox: set one first "
            f"(flask --app app edit-team {user.team.name!r} --duty-email ADDRESS, or the Teams page)"
        )
    return user


def agreeing_manager(email: str, team_id: int | None) -> User:
    """A manager of the case's team, by their own account."""
    from ..staff.auth import find_user

    user = find_user(email or "")
    if user is None or user.role != "manager" or not user.active:
        raise InvitationError(f"no active manager has the email {email!r}")
    if team_id is None or user.team_id != team_id:
        raise InvitationError(f"{user.email} is not a manager of this case's team")
    return user


def latest_eligibility(case: Case | None):
    """The case's newest decision about Part 2 (the one in force), or None."""
    from ..staff.models import Eligibility

    if case is None or case.id is None:
        return None
    return db.session.scalars(
        select(Eligibility).where(Eligibility.case_id == case.id).order_by(Eligibility.id.desc())
    ).first()


def part2_block(case: Case | None) -> str | None:
    """Why a Part 2 invitation cannot be made for this case, or None if it can: the same rule on the
    staff pages and the command line."""
    latest = latest_eligibility(case)
    if latest is None:
        return (
            "Part 2 needs a decision, agreed by a manager of the case's team, that the person or a "
            "representative can be approached."
        )
    if latest.status == "proposed":
        return "The decision about approaching the person for Part 2 is waiting for a manager to agree it."
    if latest.status == "declined":
        return "A manager declined the proposed decision about Part 2: record a new one."
    if not latest.allows_part2:
        return "The person is not to be approached for Part 2 (see the decision on the case page)."
    return None


def create_invitation(
    reference: str,
    part: int,
    language: str | None = None,
    respondent: str | None = None,
    name: str | None = None,
    worker: str | None = None,
    eligible_agreed_by: str | None = None,
) -> NewInvitation:
    """Make an invitation and its conversation for a case, committed, and return its code.

    A new case needs ``worker``, the email of its accountable worker (the case's team is theirs); an
    existing case keeps its worker. Part 2 needs eligibility agreed by a manager, or
    ``eligible_agreed_by``: the email of the manager who agreed it in the council's own case system
    (recorded as imported, and audited). Everything is checked before anything is written.
    """
    from ..staff.access import record
    from ..staff.models import Eligibility

    if part not in PARTS:
        raise InvitationError("part must be 1 or 2")
    languages = current_app.config["LANGUAGES"]
    if language is not None and language not in languages:
        raise InvitationError(f"language must be one of {', '.join(languages)}")
    if respondent is not None and respondent not in RESPONDENTS:
        raise InvitationError(f"respondent must be one of {', '.join(RESPONDENTS)}")
    reference = (reference or "").strip()
    if not reference or len(reference) > 64:
        raise InvitationError("a case reference is 1 to 64 characters")
    case = find_case(reference)
    owner = accountable_worker(worker) if case is None else None
    team_id = owner.team_id if owner else case.team_id
    manager = agreeing_manager(eligible_agreed_by, team_id) if eligible_agreed_by else None
    if manager is not None and part != 2:
        raise InvitationError("--eligible-agreed-by is for Part 2 invitations")
    if part == 2 and manager is None:
        block = part2_block(case)
        if block:
            raise InvitationError(block)

    now = utcnow()
    if case is None:
        case = Case(
            reference=reference,
            language=language or "en",
            team_id=owner.team_id,
            worker_id=owner.id,
            stage="open",
        )
        db.session.add(case)
    if name:
        case.preferred_name = name.strip()[:120]
    db.session.flush()
    if manager is not None:
        db.session.add(
            Eligibility(
                case_id=case.id,
                decision="yes",
                status="approved",
                source="cli",
                recorded_by_id=manager.id,
                agreed_by_id=manager.id,
                recorded_at=now,
                decided_at=now,
            )
        )
        record(manager, "eligibility_imported", case.id, "agreed in the council's case system (CLI)")
    if part == 2:
        latest = latest_eligibility(case)
        if latest is not None and latest.decision == "representative":
            # The decision names who may be approached: the invitation is for them.
            respondent = latest.representative_role
            name = name or case.preferred_name
    code = codes.new_code()
    invitation = Invitation(
        case=case,
        part=part,
        code_hash=codes.hash_code(code),
        respondent=respondent,
        person_name=name,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    conversation = Conversation(
        case=case,
        invitation=invitation,
        dialogue_id=PARTS[part],
        dialogue_version=0,
        state="",
        language=language or case.language or "en",
        respondent=respondent,
        person_name=name,
        started_at=now,
        updated_at=now,
    )
    dialogue = dialogue_for(conversation)
    conversation.dialogue_version = dialogue.spec.version
    db.session.add_all([invitation, conversation])
    db.session.flush()
    conversation.state = dialogue.first_key(facts_for(conversation))
    db.session.commit()
    return NewInvitation(invitation, conversation, code)


def export_case(reference: str) -> dict | None:
    """A case's conversations as plain data: every answer as given, whose view, when."""
    case = db.session.scalars(select(Case).where(Case.reference == reference)).first()
    if case is None:
        return None
    conversations = db.session.scalars(
        select(Conversation)
        .where(Conversation.case_id == case.id, Conversation.invitation_id.is_not(None))
        .order_by(Conversation.id)
    ).all()
    return {
        "case": case.reference,
        "conversations": [_export_conversation(c) for c in conversations],
    }


def _export_conversation(conversation: Conversation) -> dict:
    dialogue = dialogue_for(conversation)
    route = set(dialogue.walk(facts_for(conversation)))
    answers, earlier = [], []
    for answer in conversation.answers:
        counted = answer.superseded_at is None and answer.step in route
        (answers if counted else earlier).append(_export_answer(answer))
    return {
        "part": int(conversation.dialogue_id.removeprefix("part")),
        "dialogue": conversation.dialogue_id,
        "dialogue_version": conversation.dialogue_version,
        "language": conversation.language,
        "respondent": conversation.respondent,
        "respondent_role": _role(conversation.respondent),
        "state": conversation.state,
        "started_at": aware(conversation.started_at).isoformat(),
        "finished_at": aware(conversation.finished_at).isoformat() if conversation.finished_at else None,
        "answers": answers,
        "earlier_answers": earlier,
    }


def _role(respondent: str | None) -> str | None:
    if respondent in REPRESENTATIVE_ROLES:
        return respondent
    return "self" if respondent == "self" else None


def _export_answer(answer: Answer) -> dict:
    return {
        "step": answer.step,
        "value": answer.value,
        "about": answer.about,
        "view": answer.view,
        "respondent": answer.respondent,
        "language": answer.language,
        "answered_at": aware(answer.answered_at).isoformat(),
        "superseded_at": aware(answer.superseded_at).isoformat() if answer.superseded_at else None,
    }
