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
from . import access
from .models import ELIGIBILITY, NOT_APPROACHED_REASONS, Eligibility, FollowUp, User
from .teams import team_workers

latest_eligibility = cases.latest_eligibility  # the staff pages show the decision the rule reads

STAGES = ("open", "concluding", "closed")
STAFF_DIALOGUES = {"reflection": "worker", "review": "manager"}


class StaffError(ValueError):
    """A request that cannot be done as asked; the message is for the member of staff."""


# -- cases -----------------------------------------------------------------------------------------


def create_case(user: User, reference: str, preferred_name: str, lang: str, needs: str,
                worker_id: int | None) -> Case:  # fmt: skip
    reference = (reference or "").strip()
    if not reference or len(reference) > 64:
        raise StaffError("Give a case reference of 1 to 64 characters.")
    if db.session.scalars(select(Case).where(Case.reference == reference)).first():
        raise StaffError("A case with this reference already exists.")
    if lang not in current_app.config["LANGUAGES"]:
        raise StaffError("Choose a language from the list.")
    if user.team is None or not user.team.duty_email:
        raise StaffError(
            "Your team has no duty inbox for urgent signals yet: ask your administrator to set one."
        )
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


def record_eligibility(
    user: User,
    case: Case,
    decision: str,
    reason: str | None = None,
    reason_text: str | None = None,
    representative_name: str | None = None,
    representative_role: str | None = None,
) -> Eligibility:
    """Whether the person can be approached for Part 2. A worker's record is a proposal that a
    manager of the team agrees or declines with their own account; a manager's is agreed by them."""
    if decision not in ELIGIBILITY:
        raise StaffError("Choose whether the person can be approached.")
    now = utcnow()
    record = Eligibility(
        case_id=case.id,
        decision=decision,
        recorded_by_id=user.id,
        recorded_at=now,
        status="proposed",
        source="app",
    )
    if decision == "representative":
        record.representative_name = (representative_name or "").strip()[:120] or None
        record.representative_role = representative_role
        if not record.representative_name or record.representative_role not in REPRESENTATIVE_ROLES:
            raise StaffError("Give the representative's name and role.")
    if decision == "not_approached":
        record.reason = reason
        if record.reason not in NOT_APPROACHED_REASONS:
            raise StaffError("Choose the reason the person is not approached.")
        record.reason_text = (reason_text or "").strip()[:2000] or None
        if record.reason == "other" and not record.reason_text:
            raise StaffError("Write down the other reason.")
    if user.role == "manager":
        record.status, record.agreed_by_id, record.decided_at = "approved", user.id, now
    db.session.add(record)
    db.session.flush()
    access.record(
        user,
        "eligibility_" + ("agreed" if user.role == "manager" else "proposed"),
        case.id,
        f"eligibility {record.id}: {decision}",
    )
    db.session.commit()
    return record


def decide_eligibility(manager: User, case: Case, eligibility_id: int | None, approve: bool) -> Eligibility:
    """A manager of the case's team agrees or declines the worker's proposal (audited)."""
    latest = latest_eligibility(case)
    if manager.role != "manager" or not access.can_see(manager, case):
        raise StaffError("Only a manager of this case's team can agree this.")
    if latest is None or latest.id != eligibility_id or latest.status != "proposed":
        raise StaffError("This proposal has changed or was already decided: look at the latest one.")
    latest.status = "approved" if approve else "declined"
    latest.agreed_by_id, latest.decided_at = manager.id, utcnow()
    access.record(manager, "eligibility_" + latest.status, case.id, f"eligibility {latest.id}")
    db.session.commit()
    return latest


def waiting_for_agreement(manager: User) -> list[Eligibility]:
    """Proposals about Part 2 waiting for this manager (or another of the team) to decide."""
    if manager.role != "manager":
        return []
    visible = access.visible_cases(manager).with_only_columns(Case.id)
    rows = db.session.scalars(
        select(Eligibility).where(Eligibility.case_id.in_(visible)).order_by(Eligibility.id.desc())
    ).all()
    latest: dict[int, Eligibility] = {}
    for row in rows:
        latest.setdefault(row.case_id, row)
    return [row for row in latest.values() if row.status == "proposed"]


# -- invitations -----------------------------------------------------------------------------------


def invite(user: User, case: Case, part: int, lang: str | None, respondent: str | None,
           name: str | None) -> cases.NewInvitation:  # fmt: skip
    """An invitation for Part 1 or 2: the same thing as ``flask invite`` makes, by the same rules."""
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
    """The signals on the cases this user can see: urgent ones first, then oldest first."""
    visible = access.visible_cases(user).with_only_columns(Case.id)
    query = select(FollowUp).where(FollowUp.case_id.in_(visible))
    if case is not None:
        query = query.where(FollowUp.case_id == case.id)
    if open_only:
        query = query.where(FollowUp.done_at.is_(None))
    return list(db.session.scalars(query.order_by(FollowUp.urgent.is_(False), FollowUp.raised_at)))


def urgent_waiting(user: User, case: Case | None = None) -> list[FollowUp]:
    """Urgent signals nobody has said they are dealing with: the top of the worker's and team's pages."""
    return [f for f in follow_ups_for(user, case=case) if f.urgent and f.acknowledged_at is None]


def acknowledge(user: User, follow_up: FollowUp) -> bool:
    """ "I am dealing with this": recorded (who, when) and audited; stops the escalation. False if
    someone already had."""
    if follow_up.acknowledged_at is not None:
        return False
    follow_up.acknowledged_at, follow_up.acknowledged_by_id = utcnow(), user.id
    access.record(user, "acknowledge", follow_up.case_id, f"follow-up {follow_up.id}")
    from .. import followups

    followups.push(follow_up, "acknowledged")
    db.session.commit()
    return True


def mark_done(user: User, follow_up: FollowUp, note: str) -> None:
    """Done, with a note of what was done (audited). An urgent signal done is also acknowledged."""
    note = (note or "").strip()
    if not note:
        raise StaffError("Write a short note of what you did.")
    now = utcnow()
    follow_up.done_at, follow_up.done_by_id, follow_up.note = now, user.id, note[:2000]
    if follow_up.urgent and follow_up.acknowledged_at is None:
        from .. import followups

        follow_up.acknowledged_at, follow_up.acknowledged_by_id = now, user.id
        followups.push(follow_up, "acknowledged")  # other open pages take it off their urgent list
    access.record(user, "follow_up_done", follow_up.case_id, f"follow-up {follow_up.id}")
    db.session.commit()


def notifications_for(case: Case) -> list:
    """Every email this case's signals made, newest first, with its state."""
    from ..notify.models import Notification

    return list(
        db.session.scalars(
            select(Notification).where(Notification.case_id == case.id).order_by(Notification.id.desc())
        )
    )


def failing_notifications(manager: User) -> list:
    """Emails on the team's cases that are not getting through (a duty inbox the server rejects)."""
    from ..notify.models import Notification

    if manager.role != "manager":
        return []
    visible = access.visible_cases(manager).with_only_columns(Case.id)
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.case_id.in_(visible), Notification.state == "failing")
            .order_by(Notification.id.desc())
            .limit(50)
        )
    )


def contact_instructions(case: Case) -> list[Said]:
    """What the person said in Part 1 about contacting them safely: how, when, not how, and who must
    not be told. Standing instructions, shown wherever a member of staff may reach them."""
    part1 = person_conversations(case).get("part1")
    if part1 is None:
        return []
    keys = set(dialogue_for(part1).spec.contact_instructions)
    # A skipped question is no instruction: only what the person said is shown.
    return [said for said in what_was_said(part1) if said.step in keys and said.answer != "Skipped"]


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
        case=case,
        invitation=None,
        staff_user_id=user.id,
        dialogue_id=dialogue_id,
        dialogue_version=0,
        state="",
        language="en",
        respondent="staff",
        started_at=now,
        updated_at=now,
    )
    dialogue = dialogue_for(conversation)
    conversation.dialogue_version = dialogue.spec.version
    db.session.add(conversation)
    db.session.flush()
    conversation.state = dialogue.first_key(facts_for(conversation))
    db.session.commit()
    return conversation
