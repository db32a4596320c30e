"""The staff blueprint that every view in ``routes`` hangs on, with what all its pages share: the
calm 404, the words every staff template gets, and the helpers that turn "not yours" into a 404."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import access, db, followups
from ..conversation.messages import refused_message

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../templates")


@bp.app_errorhandler(404)
def not_found(error):
    """One calm page for "no such page" and "not yours": they must look the same."""
    if request.path.startswith("/staff/"):
        return render_template("staff/not_found.html"), 404
    # A person who followed a broken or old link: the start page, with the one calm refusal.
    return render_template("start.html", error=refused_message()), 404


@bp.errorhandler(StaleDataError)
def changed_meanwhile(_error):
    """Two people saving one thing at once: the version check stopped the second. Nothing of it
    was saved; a calm page says so and leads back to the thing as it now is (never a 500)."""
    db.session.rollback()
    again = request.path if request.method == "GET" else url_for("staff.home")
    return render_template("staff/changed.html", again=again), 409


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
