"""Staff pages: thin handlers that parse a form (``forms``), call a service and render. Every case,
invitation, follow-up and export is looked up through ``app.access``, so that a case outside
someone's reach is a 404, and audited."""

from __future__ import annotations

import json
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from .. import access, followups, limiter
from ..cases import CaseError, eligibility
from ..cases import services as cases
from ..conversation import services as conv
from ..conversation import sessions as person_sessions
from ..conversation.messages import error_message, refused_message
from ..languages import offered
from ..models import ELIGIBILITY, NOT_APPROACHED_REASONS, ROLES, FollowUp
from . import auth, forms, reading, services, teams
from .guards import role_required

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../templates")


@bp.app_errorhandler(404)
def not_found(error):
    """One calm page for "no such page" and "not yours": they must look the same."""
    if request.path.startswith("/staff/"):
        return render_template("staff/not_found.html"), 404
    # A person who followed a broken or old link: the start page, with the one calm refusal.
    return render_template("start.html", error=refused_message()), 404


@bp.context_processor
def _staff_words():
    return {"signal_labels": followups.labels()}


@bp.app_template_global()
def representative_roles() -> dict[str, str]:
    """Each representative role and its label for staff, from the dialogue files."""
    return current_app.extensions["dialogues"].roles()


def _found(thing):
    """What ``access`` gave back, or "not found" (the refusal is already audited)."""
    if thing is None:
        abort(404)
    return thing


def _case_or_404(case_id: int, action: str = "view_case"):
    return _found(access.case_for(current_user, case_id, action))


def _page(template: str, error: str | None = None, **context):
    """A page that shows a form again with what was wrong: 400 then, 200 otherwise."""
    return render_template(template, error=error, **context), 400 if error else 200


# -- signing in and out ----------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])  # slowed: repeated tries from one place wait
def sign_in():
    form, error = forms.SignInForm(), None
    if form.is_submitted():
        user = auth.check_password(form.email.data, form.password.data)
        if user is None:
            # One message whatever the cause: unknown email, wrong password, locked or disabled.
            error = (
                "The email or password is not right, or the account is locked for a while "
                "after too many tries. Check and try again, or ask your administrator."
            )
            access.audit(None, "sign_in_failed")
        else:
            session.clear()  # no session fixation
            auth.start_session(user)
            login_user(user)
            access.audit(user, "sign_in")
            return redirect(url_for(".home"))
    return _page("staff/sign_in.html", error)


@bp.post("/sign-out")
@login_required
def sign_out():
    auth.end_session_for_token(current_user.get_id())
    access.audit(current_user, "sign_out")
    logout_user()
    session.clear()
    return redirect(url_for(".sign_in"))


# -- home, cases -----------------------------------------------------------------------------------


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


@bp.get("/cases/<int:case_id>")
@role_required("worker", "manager")
def case(case_id: int):
    case = _case_or_404(case_id)
    found = reading.person_conversations(case)
    return render_template(
        "staff/case.html",
        case=case,
        conversations=found,
        said={part: reading.what_was_said(c) for part, c in found.items()},
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
        new_invitation=session.pop("new_invitation", None),
    )


@bp.post("/cases/<int:case_id>/stage")
@role_required("worker", "manager")
def stage(case_id: int):
    case = _case_or_404(case_id, "change_stage")
    try:
        cases.set_stage(case, forms.StageForm().stage.data)
    except CaseError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id))


@bp.post("/cases/<int:case_id>/eligibility", endpoint="eligibility")
@role_required("worker", "manager")
def record_eligibility(case_id: int):
    case = _case_or_404(case_id, "record_eligibility")
    form = forms.EligibilityForm()
    try:
        eligibility.record_eligibility(
            current_user,
            case,
            form.decision.data,
            form.reason.data,
            form.reason_text.data,
            form.representative_name.data,
            form.representative_role.data,
        )
    except CaseError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id) + "#eligibility")


@bp.post("/cases/<int:case_id>/eligibility/<int:eligibility_id>/decide")
@role_required("manager")
def decide_eligibility(case_id: int, eligibility_id: int):
    """A manager agrees or declines a worker's proposal, with their own account."""
    case = _case_or_404(case_id, "decide_eligibility")
    try:
        eligibility.decide_eligibility(current_user, case, eligibility_id, forms.DecideForm().approved)
    except CaseError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id) + "#eligibility")


@bp.post("/cases/<int:case_id>/worker")
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


# -- invitations and hand-over ---------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/invitations")
@role_required("worker", "manager")
def invite(case_id: int):
    """An invitation for Part 1 or 2: the same thing as ``flask invite`` makes, by the same rules."""
    case = _case_or_404(case_id, "invite")
    form = forms.InviteForm()
    try:
        new = cases.create_invitation(
            case.reference, form.part.data, form.language.data, form.respondent.data, form.name.data
        )
    except CaseError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".case", case_id=case.id) + "#invite")
    # Shown once, on the next page only: the code is never stored.
    session["new_invitation"] = {
        "id": new.invitation.id,
        "code": new.code,
        "url": new.url,
        "qr": services.qr_svg(new.url),
        "expires": new.invitation.expires_at.date().isoformat(),
    }
    return redirect(url_for(".case", case_id=case.id) + "#new-invitation")


def _invitation_or_404(invitation_id: int, action: str):
    return _found(access.invitation_for(current_user, invitation_id, action))


def _still_open(invitation):
    """None if the invitation can still be used; otherwise where to go instead, having said why."""
    if conv.is_open(invitation.conversation):
        return None
    flash("This invitation can no longer be used. Make a new one.", "error")
    return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")


@bp.post("/invitations/<int:invitation_id>/revoke")
@role_required("worker", "manager")
def revoke(invitation_id: int):
    invitation = _invitation_or_404(invitation_id, "revoke_invitation")
    cases.revoke(invitation)
    return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")


@bp.get("/invitations/<int:invitation_id>/hand-over")
@role_required("worker", "manager")
def hand_over_screen(invitation_id: int):
    """Before the tablet changes hands: how to contact this person safely, then the one button."""
    invitation = _invitation_or_404(invitation_id, "hand_over_screen")
    closed = _still_open(invitation)
    if closed is not None:
        return closed
    return render_template(
        "staff/hand_over.html",
        invitation=invitation,
        case=invitation.case,
        contact=reading.contact_instructions(invitation.case),
    )


@bp.post("/invitations/<int:invitation_id>/hand-over")
@role_required("worker", "manager")
def hand_over(invitation_id: int):
    """Start the person's conversation on this device in one tap.

    The worker is signed out first, on the server: while the person holds the tablet nothing of the
    staff side can be reached, and getting back needs the worker's password.
    """
    invitation = _invitation_or_404(invitation_id, "hand_over")
    closed = _still_open(invitation)
    if closed is not None:
        return closed
    auth.end_session_for_token(current_user.get_id())
    logout_user()
    person_sessions.open_in(session, invitation.conversation)
    return redirect(url_for("conversation.chat"))


# -- follow-ups ------------------------------------------------------------------------------------


@bp.get("/follow-ups")
@role_required("worker", "manager")
def follow_ups():
    items = followups.follow_ups_for(current_user)
    access.audit(current_user, "view_follow_ups")
    return render_template("staff/follow_ups.html", items=items, summary=followups.count_by_kind(items))


def _follow_up_or_404(follow_up_id: int, action: str) -> FollowUp:
    return _found(access.follow_up_for(current_user, follow_up_id, action))


def _back_to(item: FollowUp, back: str | None):
    if back == "case":
        return redirect(url_for(".case", case_id=item.case_id) + "#follow-ups")
    if back == "home":
        return redirect(url_for(".home"))
    return redirect(url_for(".follow_ups"))


@bp.post("/follow-ups/<int:follow_up_id>/done")
@role_required("worker", "manager")
def follow_up_done(follow_up_id: int):
    item = _follow_up_or_404(follow_up_id, "follow_up_done")
    form = forms.DoneForm()
    try:
        followups.mark_done(current_user, item, form.note.data)
    except followups.FollowUpError as exc:
        flash(str(exc), "error")
    return _back_to(item, form.back.data)


@bp.post("/follow-ups/<int:follow_up_id>/acknowledge")
@role_required("worker", "manager")
def acknowledge(follow_up_id: int):
    """ "I am dealing with this": who and when are recorded, and the escalation stops."""
    item = _follow_up_or_404(follow_up_id, "acknowledge")
    if not followups.acknowledge(current_user, item):
        who = item.acknowledged_by.email if item.acknowledged_by else "someone"
        flash(f"{who} is already dealing with this.", "info")
    return _back_to(item, forms.BackForm().back.data)


# -- exports ---------------------------------------------------------------------------------------


def _attachment(body, mimetype: str, filename: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/cases/<int:case_id>/export.json")
@role_required("worker", "manager")
def export_json(case_id: int):
    case = _case_or_404(case_id, "export_json")
    body = json.dumps(cases.export_case(case.reference), ensure_ascii=False, indent=2)
    return _attachment(body, "application/json", f"case-{case.id}.json")


@bp.get("/cases/<int:case_id>/export.pdf")
@role_required("worker", "manager")
def export_pdf(case_id: int):
    case = _case_or_404(case_id, "export_pdf")
    from weasyprint import HTML

    found = reading.person_conversations(case)
    html = render_template(
        "staff/case_pdf.html",
        case=case,
        conversations=found,
        said={part: reading.what_was_said(c) for part, c in found.items()},
        outcomes=reading.outcomes_side_by_side(case),
        eligibility=eligibility.latest_eligibility(case),
        language_name=services.language_name,
    )
    # Nothing is fetched from elsewhere: the PDF is made from this HTML alone.
    pdf = HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()
    return _attachment(pdf, "application/pdf", f"case-{case.id}.pdf")


def _no_fetch(url, *args, **kwargs):
    raise ValueError("the case PDF loads nothing from elsewhere")


# -- audit log -------------------------------------------------------------------------------------


@bp.get("/audit")
@role_required("manager")
def audit_log():
    events = access.audit_log(current_user)
    access.audit(current_user, "view_audit")
    return render_template("staff/audit.html", events=events)


# -- accounts and teams (admin) --------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    form, error = forms.UserForm(), None
    if form.is_submitted():
        try:
            teams.create_user(
                form.email.data, form.role.data, form.team.data, form.password.data, by=current_user
            )
        except teams.TeamError as exc:
            error = str(exc)
    return _page("staff/users.html", error, form=form, users=teams.users(), roles=ROLES, teams=teams.teams())


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int):
    user = teams.user_by_id(user_id)
    if user is None or user.id == current_user.id:
        abort(404)
    moved = teams.set_active(user, forms.ActiveForm().on, by=current_user)
    if moved:
        flash(
            f"{user.email} is deactivated; their {moved} case(s) are in the team's Unassigned list "
            "until a manager reassigns them.",
            "info",
        )
    return redirect(url_for(".users"))


@bp.route("/teams", methods=["GET", "POST"])
@role_required("admin")
def team_list():
    """Teams and their duty inboxes: where urgent signals go beside the case's worker."""
    form, error = forms.TeamForm(), None
    if form.is_submitted():
        try:
            teams.create_team(form.name.data, form.duty_email.data, by=current_user)
        except teams.TeamError as exc:
            error = str(exc)
    return _page("staff/teams.html", error, form=form, teams=teams.teams())


@bp.post("/teams/<int:team_id>")
@role_required("admin")
def edit_team(team_id: int):
    team = _found(teams.team_by_id(team_id))
    form = forms.TeamForm()
    try:
        teams.edit_team(team, form.name.data, form.duty_email.data, by=current_user)
    except teams.TeamError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".team_list"))


# -- the staff's own dialogues (plain question pages, saved answer by answer) ----------------------


@bp.route("/cases/<int:case_id>/<any(reflection, review):dialogue_id>", methods=["GET", "POST"])
@role_required("worker", "manager")
def reflect(case_id: int, dialogue_id: str):
    case = _case_or_404(case_id, f"open_{dialogue_id}")
    try:
        conversation = services.staff_conversation(current_user, case, dialogue_id)
    except CaseError:
        abort(404)
    form, error = forms.AnswerForm(), None
    if form.is_submitted():
        if form.action.data == "back":
            conv.back(conversation.id)
        elif form.action.data == "change":
            conv.change(conversation.id, form.step.data)
        else:
            result = conv.answer(conversation.id, form.answer_id.data, form.step.data, form.answer_value())
            if not result.ok:
                error = error_message(result.error)
        if error is None:
            return redirect(url_for(".reflect", case_id=case.id, dialogue_id=dialogue_id))
    turn = conv.turn_for(conv.load(conversation.id), with_history=True)
    return _page(
        "staff/dialogue.html",
        error,
        case=case,
        turn=turn,
        dialogue_id=dialogue_id,
        answer_id=str(uuid.uuid4()),
    )
