"""Cases and their invitations, and the conversations started on them; export of what they hold.

The CLI and the staff pages both come here, so a case, an invitation or a conversation is the same
thing whichever way it was made. Functions take plain arguments, raise ``CaseError`` (or its
``InvitationError``) before writing anything, and commit what they change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import council, db
from ..access import find_user
from ..clock import aware, utcnow
from ..conversation import codes
from ..conversation.services import dialogue_for, facts_for
from ..models import Answer, Case, Conversation, Invitation, User
from . import CaseError, eligibility

PARTS = {1: "part1", 2: "part2"}
STAGES = ("open", "concluding", "closed")


class InvitationError(CaseError):
    """The invitation cannot be made as asked; the message says why."""


class DoNotTellError(InvitationError):
    """The representative named is someone the person asked not to be told: no invitation is made."""


def respondents() -> tuple[str, ...]:
    """Who may be named as answering: "self", "representative", then each role the dialogues know."""
    return current_app.extensions["dialogues"].respondents()


@dataclass
class NewInvitation:
    """A freshly made invitation; ``code`` exists only here, never in the database."""

    invitation: Invitation
    conversation: Conversation
    code: str

    @property
    def url(self) -> str:
        """The link the person opens (it carries the code: never logged)."""
        return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/s/{self.code}"


# -- cases -----------------------------------------------------------------------------------------


def find_case(reference: str) -> Case | None:
    """The case with this reference, or None."""
    return db.session.scalars(select(Case).where(Case.reference == (reference or "").strip())).first()


def open_case(
    reference: str,
    worker: User,
    language: str = "en",
    preferred_name: str | None = None,
    communication_needs: str | None = None,
) -> Case:
    """A new case given to ``worker`` (its team is theirs), added to the current transaction. Every
    new case is made here, from the staff pages and the command line alike."""
    reference = check_reference(reference)
    if find_case(reference) is not None:
        raise CaseError("A case with this reference already exists.")
    if language not in current_app.config["LANGUAGES"]:
        raise CaseError("Choose a language from the list.")
    case = Case(
        reference=reference,
        preferred_name=(preferred_name or "").strip()[:120] or None,
        language=language,
        communication_needs=(communication_needs or "").strip()[:2000] or None,
        team_id=worker.team_id,
        worker_id=worker.id,
        stage="open",
    )
    db.session.add(case)
    db.session.flush()
    return case


def check_reference(reference: str | None) -> str:
    """A case reference, stripped; 1 to 64 characters."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 64:
        raise CaseError("Give a case reference of 1 to 64 characters.")
    return reference


def set_stage(case: Case, stage: str | None) -> None:
    """Move the case to another stage of the enquiry."""
    if stage not in STAGES:
        raise CaseError("Choose a stage from the list.")
    if stage == "closed" and case.stage != "closed":
        case.closed_at = utcnow()  # RETENTION_MONTHS count from here
    elif stage != "closed":
        case.closed_at = None  # reopened: kept until it closes again
    case.stage = stage
    db.session.commit()


def accountable_worker(email: str | None) -> User:
    """The active worker or manager a new case is given to; their team must have a duty inbox,
    where urgent signals go when the worker may be away."""
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
    user = find_user(email or "")
    if user is None or user.role != "manager" or not user.active:
        raise InvitationError(f"no active manager has the email {email!r}")
    if team_id is None or user.team_id != team_id:
        raise InvitationError(f"{user.email} is not a manager of this case's team")
    return user


# -- conversations ---------------------------------------------------------------------------------


def start_conversation(case: Case, dialogue_id: str, now: datetime, **fields) -> Conversation:
    """A new conversation on a case, on its dialogue's current version and at its first step, added to
    the current transaction: a person's (``invitation=``) or a member of staff's (``staff_user_id=``)."""
    conversation = Conversation(
        case=case,
        dialogue_id=dialogue_id,
        dialogue_version=0,
        state="",
        started_at=now,
        updated_at=now,
        **fields,
    )
    dialogue = dialogue_for(conversation)
    conversation.dialogue_version = dialogue.spec.version
    db.session.add(conversation)
    db.session.flush()
    conversation.state = dialogue.first_key(facts_for(conversation))
    return conversation


# -- invitations -----------------------------------------------------------------------------------


def create_invitation(
    reference: str,
    part: int,
    language: str | None = None,
    respondent: str | None = None,
    name: str | None = None,
    worker: str | None = None,
    eligible_agreed_by: str | None = None,
    representative_name: str | None = None,
) -> NewInvitation:
    """Make an invitation and its conversation for a case, committed, and return its code.

    A new case needs ``worker``, the email of its accountable worker (the case's team is theirs); an
    existing case keeps its worker. Part 2 needs eligibility agreed by a manager, or
    ``eligible_agreed_by``: the email of the manager who agreed it in the council's own case system
    (recorded as imported, and audited). ``representative_name``: who is invited to answer for the
    person, if the worker names them. It, and for Part 2 the representative a manager agreed, is
    checked against the person's own Part 1 answer about who must not be told (``DoNotTellError``).
    Everything is checked before anything is written.
    """
    if part not in PARTS:
        raise InvitationError("part must be 1 or 2")
    languages = current_app.config["LANGUAGES"]
    if language is not None and language not in languages:
        raise InvitationError(f"language must be one of {', '.join(languages)}")
    if respondent is not None and respondent not in respondents():
        raise InvitationError(f"respondent must be one of {', '.join(respondents())}")
    reference = check_reference(reference)
    case = find_case(reference)
    owner = accountable_worker(worker) if case is None else None
    team_id = owner.team_id if owner else case.team_id
    manager = agreeing_manager(eligible_agreed_by, team_id) if eligible_agreed_by else None
    if manager is not None and part != 2:
        raise InvitationError("--eligible-agreed-by is for Part 2 invitations")
    if part == 2 and manager is None:
        block = eligibility.part2_block(case)
        if block:
            raise InvitationError(block)
    representative_name = " ".join((representative_name or "").split())[:120] or None
    named = [representative_name]
    if part == 2 and case is not None:
        agreed = eligibility.latest_eligibility(case)
        if agreed is not None and agreed.decision == "representative":
            named.append(agreed.representative_name)
    for who in filter(None, named):
        stop = do_not_tell(case, who)
        if stop:
            raise DoNotTellError(stop)

    now = utcnow()
    if case is None:
        case = open_case(reference, owner, language or "en")
    if name:
        case.preferred_name = name.strip()[:120]
    if manager is not None:
        eligibility.import_agreed(manager, case, now)
    if part == 2:
        latest = eligibility.latest_eligibility(case)
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
        representative_name=representative_name,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    conversation = start_conversation(
        case,
        PARTS[part],
        now,
        invitation=invitation,
        language=language or case.language or "en",
        respondent=respondent,
        person_name=name,
    )
    if council.in_wales() and case.welsh_offer is None:
        # The invitation offers Welsh (it is given in Welsh first, then English, and the person is
        # asked before the first question): offered, until the person answers.
        case.welsh_offer, case.welsh_offer_at = "offered", now
    db.session.commit()
    return NewInvitation(invitation, conversation, code)


# -- who must not be told --------------------------------------------------------------------------

# Part 1's question "Is there anyone you do not want to be told about this?": free text, in the
# person's words ("my son Darren, and Mrs Patel next door").
DO_NOT_TELL_STEP = "people_not_told"
# Words of a name that say nothing of who someone is.
TITLES = frozenset("mr mrs ms miss mx dr prof sir dame lady lord rev revd fr sr".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _plain(text: str) -> str:
    """Casefolded, one space between words, one kind of apostrophe: how two spellings are compared."""
    return " ".join(text.replace("’", "'").casefold().split())


def do_not_tell_answer(case: Case | None) -> str | None:
    """The person's latest Part 1 answer about who must not be told, as they wrote it (a skipped
    question, or a conversation of staff, is no answer)."""
    if case is None:
        return None
    answers = db.session.scalars(
        select(Answer)
        .join(Conversation, Answer.conversation_id == Conversation.id)
        .where(
            Conversation.case_id == case.id,
            Conversation.dialogue_id == PARTS[1],
            Conversation.invitation_id.is_not(None),
            Answer.step == DO_NOT_TELL_STEP,
            Answer.superseded_at.is_(None),
        )
        .order_by(Answer.answered_at.desc(), Answer.id.desc())
    )
    for answer in answers:
        if isinstance(answer.value, str) and answer.value.strip():
            return answer.value
    return None


def do_not_tell(case: Case | None, name: str) -> str | None:
    """Why ``name`` must not be invited, said to the worker, or None.

    The whole name (any case, any spacing) as words of the person's answer stops it: "Darren" in
    "my son Darren, and Mrs Patel next door". So does a word of the name (not a title) that the person
    wrote as a name, with a capital: "Darren Smith" when they wrote "Darren", since the person may
    well not have given a surname; the message then says only that it may be the same person."""
    said = do_not_tell_answer(case)
    if not said:
        return None
    then = "No invitation was made. Talk to the person or your manager before inviting them."
    whole = _plain(name)
    if re.search(rf"(?<!\w){re.escape(whole)}(?!\w)", _plain(said)):
        return f"{name} is someone the person asked not to be told about this. {then}"
    capitalised = {_plain(w) for w in _WORD.findall(said) if w[0].isupper()}
    for word in _WORD.findall(name):
        if len(word) > 1 and _plain(word) not in TITLES and _plain(word) in capitalised:
            return (
                f'The person named "{_their_words(said, word)}" as someone not to be told about '
                f"this, and {name} may be the same person. {then}"
            )
    return None


def _their_words(said: str, word: str) -> str:
    """The name as the person wrote it around ``word``: the run of capitalised words it is in."""
    runs, run = [], []
    for w in _WORD.findall(said):
        if w[0].isupper():
            run.append(w)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    for run in runs:
        if any(_plain(w) == _plain(word) for w in run):
            return " ".join(run)
    return word


def invitations(case: Case) -> list[Invitation]:
    """The case's invitations, newest first."""
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.case_id == case.id).order_by(Invitation.id.desc())
        )
    )


def revoke(invitation: Invitation) -> None:
    """Stop an invitation's code from opening anything again."""
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.commit()


# -- export ----------------------------------------------------------------------------------------


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
        # The opening's "Shall we start?": "yes", "not_now" or "talk_first" (the latest), and when.
        "consent": conversation.consent,
        "consent_at": aware(conversation.consent_at).isoformat() if conversation.consent_at else None,
        # When a representative answered: the worker's record of capacity (SAC SG3a: lacked,
        # not_lacked, dont_know, not_recorded) and of support where it was lacking; why the person
        # did not answer is the answer to "why_representative", with the others.
        "capacity": conversation.capacity,
        "capacity_support": conversation.capacity_support,
        "capacity_at": aware(conversation.capacity_at).isoformat() if conversation.capacity_at else None,
        "started_at": aware(conversation.started_at).isoformat(),
        "finished_at": aware(conversation.finished_at).isoformat() if conversation.finished_at else None,
        "answers": answers,
        "earlier_answers": earlier,
    }


def _role(respondent: str | None) -> str | None:
    """The role of whoever answered: "self", a representative's named role, or None if not known."""
    if respondent in ("self", "self_helped"):
        return respondent
    if respondent in current_app.extensions["dialogues"].roles():
        return respondent
    return None


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
