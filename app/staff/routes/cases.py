"""Home and cases: the worker's or manager's list, a new case, the case page, its stage and its
worker."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ... import access, db, followups
from ...cases import CaseError, eligibility
from ...cases import services as cases
from ...languages import offered
from ...models import ELIGIBILITY, NOT_APPROACHED_REASONS, Conversation
from ...records import RecordsError
from .. import basis as records_basis
from .. import forms, reading, services, teams
from ..blueprint import _case_or_404, _page, bp, representative_roles
from ..guards import role_required


@bp.get("/")
@login_required
def home():
    if current_user.role == "admin":
        return redirect(url_for(".users"))
    follow_ups = followups.follow_ups_for(current_user)
    return render_template(
        "staff/home.html",
        cases=access.cases_of(current_user),
        follow_ups=follow_ups,
        urgent=[f for f in follow_ups if f.urgent and f.acknowledged_at is None],
        unassigned=teams.unassigned(current_user),
        workers=teams.team_workers(current_user) if current_user.role == "manager" else [],
        proposals=eligibility.waiting_for_agreement(current_user),
        failing=services.failing_notifications(current_user),
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@role_required("worker", "manager")
def new_case():
    form, error = forms.NewCaseForm(), None
    if form.is_submitted():
        try:
            case = services.create_case(
                current_user,
                form.reference.data,
                form.preferred_name.data,
                form.language.data,
                form.communication_needs.data,
                form.worker_id.data,
            )
        except CaseError as exc:
            error = str(exc)
        else:
            return redirect(url_for(".case", case_id=case.id))
    return _page(
        "staff/new_case.html",
        error,
        form=form,
        workers=teams.team_workers(current_user),
        languages=offered(current_app.config["LANGUAGES"]),
    )


@bp.get("/cases/<id:case_id>")
@role_required("worker", "manager")
def case(case_id: int):
    return case_page(_case_or_404(case_id))


def case_page(case, new_invitation: dict | None = None, invite_form=None, invite_error: str | None = None):
    """The case page; with ``new_invitation``, the panel that shows its code, link and QR code once
    (the response to making it: the code is never stored, nor put in a cookie). With
    ``invite_error``, the invitation form again as it was sent (``invite_form``), saying why no
    invitation was made."""
    found = reading.person_conversations(case)
    return render_template(
        "staff/case.html",
        case=case,
        conversations=found,
        said={part: reading.what_was_said(c) for part, c in found.items()},
        basis={part: records_basis.basis(c) for part, c in found.items()},
        capacity_labels=records_basis.CAPACITY_LABELS,
        support_labels=records_basis.SUPPORT_LABELS,
        outcomes=reading.outcomes_side_by_side(case),
        eligibility=eligibility.latest_eligibility(case),
        invitations=cases.invitations(case),
        follow_ups=followups.follow_ups_for(current_user, open_only=False, case=case),
        urgent=followups.urgent_waiting(current_user, case),
        notifications=services.notifications_for(case),
        case_worker=teams.worker_of(case),
        case_team=teams.team_of(case),
        contact=reading.contact_instructions(case),
        workers=teams.team_workers(current_user) if current_user.role == "manager" else [],
        stages=cases.STAGES,
        respondents=cases.respondents(),
        roles=list(representative_roles()),
        reasons=NOT_APPROACHED_REASONS,
        decisions=ELIGIBILITY,
        languages=offered(current_app.config["LANGUAGES"]),
        language_name=services.language_name,
        new_invitation=new_invitation,
        invite_form=invite_form,
        invite_error=invite_error,
    )


@bp.post("/cases/<id:case_id>/stage")
@role_required("worker", "manager")
def stage(case_id: int):
    case = _case_or_404(case_id, "change_stage")
    try:
        cases.set_stage(case, forms.StageForm().stage.data)
    except CaseError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id))


@bp.post("/cases/<id:case_id>/conversations/<id:conversation_id>/capacity")
@role_required("worker", "manager")
def record_capacity(case_id: int, conversation_id: int):
    """The worker's record of the person's capacity, for a conversation a representative answered."""
    case = _case_or_404(case_id, "record_capacity")
    # The case's access is checked (and audited) above; the conversation must be one of its own.
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.case_id != case.id:
        abort(404)
    form = forms.CapacityForm()
    try:
        records_basis.record_capacity(current_user, conversation, form.capacity.data, form.support.data)
    except RecordsError as exc:
        flash(str(exc), "error")
    else:
        flash("The capacity record is saved.", "success")
    return redirect(url_for(".case", case_id=case.id) + f"#{conversation.dialogue_id}-title")


@bp.post("/cases/<id:case_id>/worker")
@role_required("manager")
def reassign(case_id: int):
    """Give the case to another worker of the team (audited)."""
    case = _case_or_404(case_id, "reassign")
    form = forms.ReassignForm()
    try:
        worker = teams.reassign(current_user, case, form.worker_id.data)
    except teams.TeamError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Case {case.reference} is now {worker.email}'s.", "success")
    if form.back.data == "home":
        return redirect(url_for(".home"))
    return redirect(url_for(".case", case_id=case.id))
