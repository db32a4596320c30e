"""Accounts and teams (admin)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ...models import ROLES
from .. import auth, forms, teams
from ..blueprint import _found, _page, bp
from ..guards import role_required


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
    # Failed sign-ins in the last 24 hours, per account, and how many named no account at all.
    failed, failed_unknown = auth.failed_sign_ins(hours=24)
    return _page(
        "staff/users.html",
        error,
        form=form,
        users=teams.users(),
        roles=ROLES,
        teams=teams.teams(),
        failed=failed,
        failed_unknown=failed_unknown,
    )


@bp.post("/users/<id:user_id>/active")
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


@bp.post("/teams/<id:team_id>")
@role_required("admin")
def edit_team(team_id: int):
    team = _found(teams.team_by_id(team_id))
    form = forms.TeamForm()
    try:
        teams.edit_team(team, form.name.data, form.duty_email.data, by=current_user)
    except teams.TeamError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".team_list"))
