"""Eligibility: a worker's or manager's decision about a case, and a manager's agreement."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from ...cases import CaseError, eligibility
from .. import forms
from ..blueprint import _case_or_404, bp
from ..guards import role_required


@bp.post("/cases/<id:case_id>/eligibility", endpoint="eligibility")
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


@bp.post("/cases/<id:case_id>/eligibility/<id:eligibility_id>/decide")
@role_required("manager")
def decide_eligibility(case_id: int, eligibility_id: int):
    """A manager agrees or declines a worker's proposal, with their own account."""
    case = _case_or_404(case_id, "decide_eligibility")
    try:
        eligibility.decide_eligibility(current_user, case, eligibility_id, forms.DecideForm().approved)
    except CaseError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".case", case_id=case.id) + "#eligibility")
