"""The national return (Safeguarding Adults Collection, SG4a and SG3a), pre-filled: the managers' page
for a period with the cases behind each figure, its CSV in the collection's layout (small numbers
suppressed), and the confirmation a case's worker gives where the conversations cannot decide
(the case page's panel, ``staff/_sac_confirm.html``). Every view, export and confirmation audited."""

from __future__ import annotations

import csv
import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import access
from ...clock import utcnow
from ...reports import ReportError, periods, sac
from .. import forms
from ..blueprint import _case_or_404, bp
from ..guards import role_required


@bp.app_template_global()
def sac_panel(case) -> dict | None:
    """What the case page's SG4a panel shows: the figures as the return counts them, both views,
    and whether this user may confirm them. Only for a closed case (the return counts those)."""
    if case.stage != "closed":
        return None
    return {
        "figures": sac.figures(case),
        "may_confirm": sac.may_confirm(current_user, case),
        "asked_labels": sac.ASKED_LABELS,
        "achieved_labels": sac.ACHIEVED_LABELS,
    }


def _period():
    """The period the query string asks for (this quarter when it asks none), or the error."""
    text = request.args.get("period") or periods.quarter_of(utcnow()).label
    try:
        return periods.parse(text), None
    except ReportError as exc:
        return None, str(exc)


@bp.get("/reports/sac")
@role_required("manager")
def sac_report():
    period, error = _period()
    if period is None:
        access.audit(current_user, "view_sac", detail="invalid period")
        return render_template(
            "staff/sac.html", error=error, found=None, period_text=request.args.get("period")
        ), 400
    found = sac.sac_return(current_user, period)
    access.audit(
        current_user,
        "view_sac",
        detail=f"{period.label}; {len(found.cases)} cases, {len(found.waiting)} waiting",
    )
    return render_template(
        "staff/sac.html",
        error=None,
        found=found,
        period_text=period.label,
        sac=sac,
    )


@bp.get("/reports/sac.csv")
@role_required("manager")
def sac_csv():
    period, error = _period()
    if period is None:
        access.audit(current_user, "export_sac", detail="invalid period")
        return Response(error + "\n", status=400, mimetype="text/plain")
    found = sac.sac_return(current_user, period)
    access.audit(current_user, "export_sac", detail=f"{period.label}; {len(found.cases)} cases")
    out = io.StringIO()
    csv.writer(out).writerows(sac.csv_rows(found))
    name = period.label.replace(" ", "")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="sac-{name}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/cases/<id:case_id>/sac")
@role_required("worker", "manager")
def sac_confirm(case_id: int):
    case = _case_or_404(case_id, "sac_confirm")
    form = forms.SacConfirmForm()
    try:
        sac.confirm(current_user, case, form.asked.data, form.achieved.data)
    except ReportError as exc:
        flash(str(exc), "error")
    else:
        flash(
            "The case's SG4a figures are confirmed: the national return counts them as you chose.", "success"
        )
    return redirect(url_for(".case", case_id=case.id) + "#sac")
