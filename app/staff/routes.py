"""Staff pages: thin handlers over ``services`` and ``access``. Every case, conversation and export
is looked up through ``access`` so that a case outside someone's reach is a 404, and audited."""

from __future__ import annotations

import functools
import json

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
from sqlalchemy import select

from .. import db, limiter
from ..cases.services import RESPONDENTS, export_case
from ..conversation import services as conv
from ..conversation import sessions as person_sessions
from ..dialogue.conditions import REPRESENTATIVE_ROLES
from ..languages import offered
from . import access, auth, services, teams
from .models import (
    ELIGIBILITY,
    NOT_APPROACHED_REASONS,
    ROLES,
    AuditEvent,
    FollowUp,
    Team,
    User,
)

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../templates")


@bp.app_errorhandler(404)
def not_found(error):
    """One calm page for "no such page" and "not yours": they must look the same."""
    from flask import request as req

    if req.path.startswith("/staff/"):
        return render_template("staff/not_found.html"), 404
    # A person who followed a broken or old link: the start page, with the one calm refusal.
    from ..conversation.messages import refused_message

    return render_template("start.html", error=refused_message()), 404


@bp.context_processor
def _staff_words():
    from .. import followups

    return {"signal_labels": followups.labels()}


def role_required(*roles):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                access.audit(current_user, "refused", None, request.endpoint)
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _case_or_404(case_id: int, action: str = "view_case"):
    case = access.case_for(current_user, case_id, action)
    if case is None:
        abort(404)
    return case


# -- signing in and out ----------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])  # slowed: repeated tries from one place wait
def sign_in():
    error = None
    if request.method == "POST":
        user = auth.check_password(request.form.get("email", ""), request.form.get("password", ""))
        if user is None:
            # One message whatever the cause: unknown email, wrong password, locked or disabled.
            error = ("The email or password is not right, or the account is locked for a while "
                     "after too many tries. Check and try again, or ask your administrator.")  # fmt: skip
            access.audit(None, "sign_in_failed")
        else:
            session.clear()  # no session fixation
            auth.start_session(user)
            login_user(user)
            access.audit(user, "sign_in")
            return redirect(url_for(".home"))
    return render_template("staff/sign_in.html", error=error), 400 if error else 200


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
    from ..models import Case

    cases = list(db.session.scalars(access.visible_cases(current_user).order_by(Case.reference)))
    follow_ups = services.follow_ups_for(current_user)
    return render_template(
        "staff/home.html",
        cases=cases,
        follow_ups=follow_ups,
        urgent=[f for f in follow_ups if f.urgent and f.acknowledged_at is None],
        unassigned=teams.unassigned(current_user),
        workers=teams.team_workers(current_user) if current_user.role == "manager" else [],
        proposals=services.waiting_for_agreement(current_user),
        failing=services.failing_notifications(current_user),
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@role_required("worker", "manager")
def new_case():
    error = None
    if request.method == "POST":
        try:
            case = services.create_case(
                current_user, request.form.get("reference", ""), request.form.get("preferred_name", ""),
                request.form.get("language", "en"), request.form.get("communication_needs", ""),
                request.form.get("worker_id", type=int),
            )  # fmt: skip
        except services.StaffError as exc:
            error = str(exc)
        else:
            access.audit(current_user, "create_case", case.id)
            return redirect(url_for(".case", case_id=case.id))
    return render_template(
        "staff/new_case.html",
        error=error,
        workers=services.team_workers(current_user),
        languages=offered(current_app.config["LANGUAGES"]),
    ), 400 if error else 200


@bp.get("/cases/<int:case_id>")
@role_required("worker", "manager")
def case(case_id: int):
    case = _case_or_404(case_id)
    found = services.person_conversations(case)
    said = {part: services.what_was_said(c) for part, c in found.items()}
    return render_template(
        "staff/case.html",
        case=case,
        conversations=found,
        said=said,
        outcomes=services.outcomes_side_by_side(case),
        eligibility=services.latest_eligibility(case),
        invitations=services.invitations(case),
        follow_ups=services.follow_ups_for(current_user, open_only=False, case=case),
        urgent=services.urgent_waiting(current_user, case),
        notifications=services.notifications_for(case),
        case_worker=db.session.get(User, case.worker_id) if case.worker_id else None,
        case_team=db.session.get(Team, case.team_id) if case.team_id else None,
        contact=services.contact_instructions(case),
        workers=teams.team_workers(current_user) if current_user.role == "manager" else [],
        stages=services.STAGES,
        respondents=RESPONDENTS,
        roles=REPRESENTATIVE_ROLES,
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
        services.set_stage(case, request.form.get("stage", ""))
    except services.StaffError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id))


@bp.post("/cases/<int:case_id>/eligibility")
@role_required("worker", "manager")
def eligibility(case_id: int):
    case = _case_or_404(case_id, "record_eligibility")
    form = request.form
    try:
        services.record_eligibility(
            current_user,
            case,
            form.get("decision", ""),
            form.get("reason"),
            form.get("reason_text"),
            form.get("representative_name"),
            form.get("representative_role"),
        )
    except services.StaffError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id) + "#eligibility")


@bp.post("/cases/<int:case_id>/eligibility/<int:eligibility_id>/decide")
@role_required("manager")
def decide_eligibility(case_id: int, eligibility_id: int):
    """A manager agrees or declines a worker's proposal, with their own account."""
    case = _case_or_404(case_id, "decide_eligibility")
    try:
        services.decide_eligibility(current_user, case, eligibility_id, request.form.get("approve") == "yes")
    except services.StaffError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id) + "#eligibility")


@bp.post("/cases/<int:case_id>/worker")
@role_required("manager")
def reassign(case_id: int):
    """Give the case to another worker of the team (audited)."""
    case = _case_or_404(case_id, "reassign")
    try:
        worker = teams.reassign(current_user, case, request.form.get("worker_id", type=int))
    except teams.TeamError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Case {case.reference} is now {worker.email}'s.", "success")
    if request.form.get("back") == "home":
        return redirect(url_for(".home"))
    return redirect(url_for(".case", case_id=case.id))


# -- invitations and hand-over ---------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/invitations")
@role_required("worker", "manager")
def invite(case_id: int):
    case = _case_or_404(case_id, "invite")
    try:
        new = services.invite(current_user, case, request.form.get("part", type=int),
                              request.form.get("language"), request.form.get("respondent"),
                              request.form.get("name"))  # fmt: skip
    except services.StaffError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".case", case_id=case.id) + "#invite")
    # Shown once, on the next page only: the code is never stored.
    session["new_invitation"] = {"id": new.invitation.id, "code": new.code, "url": new.url,
                                 "qr": services.qr_svg(new.url),
                                 "expires": new.invitation.expires_at.date().isoformat()}  # fmt: skip
    return redirect(url_for(".case", case_id=case.id) + "#new-invitation")


def _invitation_or_404(invitation_id: int, action: str):
    from ..models import Invitation

    invitation = db.session.get(Invitation, invitation_id)
    case = invitation.case if invitation else None
    if not access.can_see(current_user, case):
        access.audit(current_user, "refused", case.id if case else None, action)
        abort(404)
    access.audit(current_user, action, case.id)
    return invitation


@bp.post("/invitations/<int:invitation_id>/revoke")
@role_required("worker", "manager")
def revoke(invitation_id: int):
    invitation = _invitation_or_404(invitation_id, "revoke_invitation")
    services.revoke(invitation)
    return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")


@bp.get("/invitations/<int:invitation_id>/hand-over")
@role_required("worker", "manager")
def hand_over_screen(invitation_id: int):
    """Before the tablet changes hands: how to contact this person safely, then the one button."""
    invitation = _invitation_or_404(invitation_id, "hand_over_screen")
    if not conv.is_open(invitation.conversation):
        flash("This invitation can no longer be used. Make a new one.", "error")
        return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")
    return render_template(
        "staff/hand_over.html",
        invitation=invitation,
        case=invitation.case,
        contact=services.contact_instructions(invitation.case),
    )


@bp.post("/invitations/<int:invitation_id>/hand-over")
@role_required("worker", "manager")
def hand_over(invitation_id: int):
    """Start the person's conversation on this device in one tap.

    The worker is signed out first, on the server: while the person holds the tablet nothing of the
    staff side can be reached, and getting back needs the worker's password.
    """
    invitation = _invitation_or_404(invitation_id, "hand_over")
    conversation = invitation.conversation
    if not conv.is_open(conversation):
        flash("This invitation can no longer be used. Make a new one.", "error")
        return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")
    auth.end_session_for_token(current_user.get_id())
    logout_user()
    token = person_sessions.begin(conversation)
    session.clear()
    session["conversation_id"], session["token"] = conversation.id, token
    session["lang"] = conversation.language
    return redirect(url_for("conversation.chat"))


# -- follow-ups ------------------------------------------------------------------------------------


@bp.get("/follow-ups")
@role_required("worker", "manager")
def follow_ups():
    items = services.follow_ups_for(current_user)
    access.audit(current_user, "view_follow_ups")
    summary = {}
    for item in items:
        summary[item.kind] = summary.get(item.kind, 0) + 1
    return render_template("staff/follow_ups.html", items=items, summary=summary)


def _follow_up_or_404(follow_up_id: int, action: str) -> FollowUp:
    item = db.session.get(FollowUp, follow_up_id)
    if item is None or not access.can_see(current_user, item.case):
        access.audit(current_user, "refused", item.case_id if item else None, action)
        abort(404)
    return item


def _back_to(item: FollowUp):
    if request.form.get("back") == "case":
        return redirect(url_for(".case", case_id=item.case_id) + "#follow-ups")
    if request.form.get("back") == "home":
        return redirect(url_for(".home"))
    return redirect(url_for(".follow_ups"))


@bp.post("/follow-ups/<int:follow_up_id>/done")
@role_required("worker", "manager")
def follow_up_done(follow_up_id: int):
    item = _follow_up_or_404(follow_up_id, "follow_up_done")
    try:
        services.mark_done(current_user, item, request.form.get("note", ""))
    except services.StaffError as exc:
        flash(str(exc), "error")
    return _back_to(item)


@bp.post("/follow-ups/<int:follow_up_id>/acknowledge")
@role_required("worker", "manager")
def acknowledge(follow_up_id: int):
    """ "I am dealing with this": who and when are recorded, and the escalation stops."""
    item = _follow_up_or_404(follow_up_id, "acknowledge")
    if not services.acknowledge(current_user, item):
        who = item.acknowledged_by.email if item.acknowledged_by else "someone"
        flash(f"{who} is already dealing with this.", "info")
    return _back_to(item)


# -- exports ---------------------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/export.json")
@role_required("worker", "manager")
def export_json(case_id: int):
    case = _case_or_404(case_id, "export_json")
    body = json.dumps(export_case(case.reference), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="case-{case.id}.json"'},
    )


@bp.get("/cases/<int:case_id>/export.pdf")
@role_required("worker", "manager")
def export_pdf(case_id: int):
    case = _case_or_404(case_id, "export_pdf")
    from weasyprint import HTML

    found = services.person_conversations(case)
    html = render_template("staff/case_pdf.html", case=case, conversations=found,
                           said={p: services.what_was_said(c) for p, c in found.items()},
                           outcomes=services.outcomes_side_by_side(case),
                           eligibility=services.latest_eligibility(case),
                           language_name=services.language_name)  # fmt: skip
    # Nothing is fetched from elsewhere: the PDF is made from this HTML alone.
    pdf = HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="case-{case.id}.pdf"'},
    )


def _no_fetch(url, *args, **kwargs):
    raise ValueError("the case PDF loads nothing from elsewhere")


# -- audit log -------------------------------------------------------------------------------------


@bp.get("/audit")
@role_required("manager")
def audit_log():
    team_users = select(User.id).where(User.team_id == current_user.team_id)
    from ..models import Case

    team_cases = access.visible_cases(current_user).with_only_columns(Case.id)
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where((AuditEvent.user_id.in_(team_users)) | (AuditEvent.case_id.in_(team_cases)))
            .order_by(AuditEvent.id.desc())
            .limit(500)
        )
    )
    access.audit(current_user, "view_audit")
    return render_template("staff/audit.html", events=events)


# -- accounts (admin) ------------------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    error = None
    if request.method == "POST":
        try:
            teams.create_user(
                request.form.get("email", ""),
                request.form.get("role", ""),
                request.form.get("team", ""),
                request.form.get("password", ""),
                by=current_user,
            )
        except teams.TeamError as exc:
            error = str(exc)
    everyone = list(db.session.scalars(select(User).order_by(User.email)))
    page = render_template("staff/users.html", users=everyone, roles=ROLES, error=error, teams=teams.teams())
    return page, 400 if error else 200


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.id == current_user.id:
        abort(404)
    moved = teams.set_active(user, request.form.get("active") == "on", by=current_user)
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
    error = None
    if request.method == "POST":
        try:
            form = request.form
            teams.create_team(form.get("name", ""), form.get("duty_email", ""), by=current_user)
        except teams.TeamError as exc:
            error = str(exc)
    page = render_template("staff/teams.html", teams=teams.teams(), error=error)
    return page, 400 if error else 200


@bp.post("/teams/<int:team_id>")
@role_required("admin")
def edit_team(team_id: int):
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    try:
        teams.edit_team(team, request.form.get("name"), request.form.get("duty_email"), by=current_user)
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
    except services.StaffError:
        abort(404)
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "back":
            conv.back(conversation.id)
        elif action == "change":
            conv.change(conversation.id, request.form.get("step"))
        else:
            kind = request.form.get("kind")
            if action == "skip" or kind == "none":
                value = None
            elif kind == "multi":
                value = request.form.getlist("value")
            else:
                value = request.form.get("value") or None
            result = conv.answer(conversation.id, request.form.get("id"), request.form.get("step"), value)
            if not result.ok:
                from ..conversation.messages import error_message

                error = error_message(result.error)
        if error is None:
            return redirect(url_for(".reflect", case_id=case.id, dialogue_id=dialogue_id))
    conversation = conv.load(conversation.id)
    import uuid

    turn = conv.turn_for(conversation, with_history=True)
    return render_template(
        "staff/dialogue.html",
        case=case,
        turn=turn,
        dialogue_id=dialogue_id,
        error=error,
        answer_id=str(uuid.uuid4()),
    ), 400 if error else 200
