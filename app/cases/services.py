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


def get_or_create_case(reference: str, name: str | None = None, language: str | None = None) -> Case:
    """The case with this reference, made if new; a given name or language updates it."""
    reference = reference.strip()
    if not reference or len(reference) > 64:
        raise InvitationError("a case reference is 1 to 64 characters")
    case = db.session.scalars(select(Case).where(Case.reference == reference)).first()
    if case is None:
        case = Case(reference=reference, language=language or "en")
        db.session.add(case)
        if language:
            case.language = language  # a new case starts in the invitation's language
    if name:
        case.preferred_name = name.strip()[:120]
    return case


def create_invitation(
    reference: str,
    part: int,
    language: str | None = None,
    respondent: str | None = None,
    name: str | None = None,
) -> NewInvitation:
    """Make an invitation and its conversation for a case, committed, and return its code."""
    if part not in PARTS:
        raise InvitationError("part must be 1 or 2")
    languages = current_app.config["LANGUAGES"]
    if language is not None and language not in languages:
        raise InvitationError(f"language must be one of {', '.join(languages)}")
    if respondent is not None and respondent not in RESPONDENTS:
        raise InvitationError(f"respondent must be one of {', '.join(RESPONDENTS)}")
    case = get_or_create_case(reference, name, language)
    code = codes.new_code()
    now = utcnow()
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
