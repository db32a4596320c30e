"""The audit log, for managers."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ... import access
from ..blueprint import bp
from ..guards import role_required


@bp.get("/audit")
@role_required("manager")
def audit_log():
    events = access.audit_log(current_user)
    access.audit(current_user, "view_audit")
    return render_template("staff/audit.html", events=events)
