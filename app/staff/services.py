"""What the staff pages do, without HTTP: cases, eligibility, invitations, reading what people said,
follow-ups, exports and the staff's own dialogues. Access is checked by the caller (``access.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from .. import db
from ..cases import services as cases
from ..conversation.services import dialogue_for, facts_for
from ..dialogue import render as rendering
from ..dialogue.conditions import REPRESENTATIVE_ROLES
from ..i18n import translating
from ..languages import language
from ..models import Case, Conversation, Invitation, utcnow
from .models import ELIGIBILITY, NOT_APPROACHED_REASONS, Eligibility, FollowUp, User

STAGES = ("open", "concluding", "closed")
STAFF_DIALOGUES = {"reflection": "worker", "review": "manager"}


class StaffError(ValueError):
    """A request that cannot be done as asked; the message is for the member of staff."""


# -- cases -----------------------------------------------------------------------------------------


def team_workers(user: User) -> list[User]:
    if user.team_id is None:
        return [user]
    return list(
        db.session.scalars(
            select(User).where(User.team_id == user.team_id, User.role == "worker", User.active)
            .order_by(User.email)
        )
    )  # fmt: skip


def create_case(user: User, reference: str, preferred_name: str, lang: str, needs: str,
                worker_id: int | None) -> Case:  # fmt: skip
    reference = (reference or "").strip()
    if not reference or len(reference) > 64:
        raise StaffError("Give a case reference of 1 to 64 characters.")
    if db.session.scalars(select(Case).where(Case.reference == reference)).first():
        raise StaffError("A case with this reference already exists.")
    if lang not in current_app.config["LANGUAGES"]:
        raise StaffError("Choose a language from the list.")
    worker = user
    if user.role == "manager":
        worker = next((w for w in team_workers(user) if w.id == worker_id), None)
        if worker is None:
            raise StaffError("Choose a worker from your team.")
    case = Case(
        reference=reference,
        preferred_name=(preferred_name or "").strip()[:120] or None,
        language=lang,
        communication_needs=(needs or "").strip()[:2000] or None,
        team_id=user.team_id,
        worker_id=worker.id,
        stage="open",
    )
    db.session.add(case)
    db.session.commit()
    return case


def set_stage(case: Case, stage: str) -> None:
    if stage not in STAGES:
        raise StaffError("Choose a stage from the list.")
    case.stage = stage
    db.session.commit()


# -- eligibility for Part 2 ------------------------------------------------------------------------


def latest_eligibility(case: Case) -> Eligibility | None:
    return db.session.scalars(
        select(Eligibility).where(Eligibility.case_id == case.id).order_by(Eligibility.id.desc())
    ).first()


def record_eligibility(user: User, case: Case, form) -> Eligibility:
    """Record, with the manager, whether the person can be approached for Part 2."""
    decision = form.get("decision")
    if decision not in ELIGIBILITY:
        raise StaffError("Choose whether the person can be approached.")
    record = Eligibility(
        case_id=case.id,
        decision=decision,
        agreed_with=(form.get("agreed_with") or "").strip()[:120] or None,
        recorded_by_id=user.id,
        recorded_at=utcnow(),
    )
    if not record.agreed_with and user.role != "manager":
        raise StaffError("Say which manager you agreed this with.")
    if decision == "representative":
        record.representative_name = (form.get("representative_name") or "").strip()[:120] or None
        record.representative_role = form.get("representative_role")
        if not record.representative_name or record.representative_role not in REPRESENTATIVE_ROLES:
            raise StaffError("Give the representative's name and role.")
    if decision == "not_approached":
        record.reason = form.get("reason")
        if record.reason not in NOT_APPROACHED_REASONS:
            raise StaffError("Choose the reason the person is not approached.")
        record.reason_text = (form.get("reason_text") or "").strip()[:2000] or None
        if record.reason == "other" and not record.reason_text:
            raise StaffError("Write down the other reason.")
    db.session.add(record)
    db.session.commit()
    return record


# -- invitations -----------------------------------------------------------------------------------


def invite(user: User, case: Case, part: int, lang: str | None, respondent: str | None,
           name: str | None) -> cases.NewInvitation:  # fmt: skip
    """An invitation for Part 1 or 2: the same thing as ``flask invite`` makes."""
    if part == 2:
        eligibility = latest_eligibility(case)
        if eligibility is None:
            raise StaffError("Before Part 2, record with your manager whether the person can be approached.")
        if eligibility.decision == "not_approached":
            raise StaffError("The person is not to be approached for Part 2 (see eligibility).")
        if eligibility.decision == "representative":
            respondent = eligibility.representative_role
            name = name or case.preferred_name
    try:
        return cases.create_invitation(case.reference, part, language=lang or None,
                                       respondent=respondent or None, name=name or None)  # fmt: skip
    except cases.InvitationError as exc:
        raise StaffError(str(exc)) from None


def invitations(case: Case) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.case_id == case.id).order_by(Invitation.id.desc())
        )
    )


def revoke(invitation: Invitation) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.commit()


def qr_svg(url: str) -> str:
    """The link as a QR code, an SVG data URI (scanned by the person's own phone or tablet)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#0b0c0c")


# -- reading what people said ----------------------------------------------------------------------


@dataclass
class Said:
    step: str
    question: str
    answer: str
    view: str
    respondent: str | None
    language: str
    answered_at: object


def person_conversations(case: Case) -> dict[str, Conversation]:
    """The latest conversation of each part (a finished one preferred)."""
    found: dict[str, Conversation] = {}
    for conversation in db.session.scalars(
        select(Conversation)
        .where(Conversation.case_id == case.id, Conversation.invitation_id.is_not(None))
        .order_by(Conversation.finished_at.is_not(None), Conversation.id)
    ):
        found[conversation.dialogue_id] = conversation
    return found


def what_was_said(conversation: Conversation) -> list[Said]:
    """Each answer in force, with the question as asked (in English for staff), who gave it and in
    which language."""
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    rows = {a.step: a for a in conversation.answers if a.superseded_at is None}
    with translating("en") as tr:
        shown = rendering.history(dialogue, "\0end", facts, tr)
    said = []
    for item in shown:
        row = rows.get(item["step"])
        if row is None:
            continue
        said.append(Said(item["step"], item["question"], item["answer"], row.view, row.respondent,
                         row.language, row.answered_at))  # fmt: skip
    return said


def outcomes_side_by_side(case: Case) -> list[dict]:
    """Each outcome the person wanted in Part 1, against whether Part 2 says it was achieved."""
    found = person_conversations(case)
    part1, part2 = found.get("part1"), found.get("part2")
    if part1 is None:
        return []
    dialogue, facts = dialogue_for(part1), facts_for(part1)
    wanted = dialogue.items("outcomes", facts) if "outcomes" in dialogue.spec.lists else []
    met = {}
    if part2 is not None:
        for answer in part2.answers:
            if answer.superseded_at is None and answer.step.startswith("outcome_met.") and answer.about:
                met[answer.about] = answer
    rows = []
    with translating("en") as tr:
        labels = {"fully": "Yes, fully", "partly": "Partly", "not_at_all": "Not at all",
                  "changed_mind": "Changed their mind"}  # fmt: skip
        for item in wanted:
            text = tr.gettext(item.text) if item.translatable else item.text
            answer = met.get(item.text) or met.get(text)
            rows.append({
                "wanted": text,
                "met": labels.get(answer.value, "Skipped") if answer else None,
                "view": answer.view if answer else None,
                "language": answer.language if answer else None,
            })  # fmt: skip
    return rows


def language_name(code: str) -> str:
    return language(code).english


# -- follow-ups ------------------------------------------------------------------------------------


def follow_ups_for(user: User, open_only: bool = True, case: Case | None = None):
    from .access import visible_cases

    visible = visible_cases(user).with_only_columns(Case.id)
    query = select(FollowUp).where(FollowUp.case_id.in_(visible))
    if case is not None:
        query = query.where(FollowUp.case_id == case.id)
    if open_only:
        query = query.where(FollowUp.done_at.is_(None))
    return list(db.session.scalars(query.order_by(FollowUp.kind != "help_now", FollowUp.raised_at)))


def mark_done(user: User, follow_up: FollowUp, note: str) -> None:
    note = (note or "").strip()
    if not note:
        raise StaffError("Write a short note of what you did.")
    follow_up.done_at, follow_up.done_by_id, follow_up.note = utcnow(), user.id, note[:2000]
    db.session.commit()


# -- the staff's own dialogues ---------------------------------------------------------------------


def staff_conversation(user: User, case: Case, dialogue_id: str) -> Conversation:
    """The worker's reflection or the manager's review of this case, made the first time."""
    if STAFF_DIALOGUES.get(dialogue_id) != user.role:
        raise StaffError("This is not yours to fill in.")
    found = db.session.scalars(
        select(Conversation).where(
            Conversation.case_id == case.id,
            Conversation.dialogue_id == dialogue_id,
            Conversation.staff_user_id == user.id,
        )
    ).first()
    if found is not None:
        return found
    now = utcnow()
    conversation = Conversation(
        case=case, invitation=None, staff_user_id=user.id, dialogue_id=dialogue_id,
        dialogue_version=0, state="", language="en", respondent="staff", started_at=now,
        updated_at=now,
    )  # fmt: skip
    dialogue = dialogue_for(conversation)
    conversation.dialogue_version = dialogue.spec.version
    db.session.add(conversation)
    db.session.flush()
    conversation.state = dialogue.first_key(facts_for(conversation))
    db.session.commit()
    return conversation
