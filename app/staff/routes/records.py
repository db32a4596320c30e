"""Keeping a case's records: a legal hold set and lifted, and the person's conversations erased on
request, by managers (the case page's panel is ``staff/_case_records.html``). Each look-up and each
action is audited; the reasons are kept on the case, never in the audit log."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from ...records import RecordsError, erasure, retention
from .. import forms
from ..blueprint import _case_or_404, _page, bp
from ..guards import role_required


@bp.app_template_global()
def records_panel(case) -> retention.Keeping:
    """What the case page's records panel shows: dates, hold, erasure on request."""
    return retention.keeping(case)


def _back(case):
    return redirect(url_for(".case", case_id=case.id) + "#records")


@bp.post("/cases/<id:case_id>/legal-hold")
@role_required("manager")
def place_hold(case_id: int):
    case = _case_or_404(case_id, "place_legal_hold")
    try:
        erasure.place_hold(current_user, case, forms.ReasonForm().reason.data)
    except RecordsError as exc:
        flash(str(exc), "error")
    else:
        flash(
            "The case is under a legal hold: its conversations are kept until a manager lifts it.", "success"
        )
    return _back(case)


@bp.post("/cases/<id:case_id>/legal-hold/lift")
@role_required("manager")
def lift_hold(case_id: int):
    case = _case_or_404(case_id, "lift_legal_hold")
    try:
        erasure.lift_hold(current_user, case, forms.ReasonForm().reason.data)
    except RecordsError as exc:
        flash(str(exc), "error")
    else:
        flash(
            "The legal hold is lifted: the case's conversations follow the retention period again.", "success"
        )
    return _back(case)


@bp.get("/cases/<id:case_id>/erase")
@role_required("manager")
def erase_page(case_id: int):
    case = _case_or_404(case_id, "view_erase")
    return _erase_page(case, forms.ReasonForm(), None)


@bp.post("/cases/<id:case_id>/erase")
@role_required("manager")
def erase(case_id: int):
    case = _case_or_404(case_id, "erase")
    form = forms.ReasonForm()
    try:
        erased = erasure.erase_on_request(current_user, case, form.reason.data)
    except RecordsError as exc:
        return _erase_page(case, form, str(exc))
    flash(f"The person's conversations on this case are erased: {erased.summary()}.", "success")
    return _back(case)


def _erase_page(case, form, error: str | None):
    return _page(
        "staff/erase.html",
        error,
        case=case,
        form=form,
        going=erasure.what_would_go(case),
        held=erasure.is_held(case),
        hold=erasure.hold_words(case) if erasure.is_held(case) else None,
    )
