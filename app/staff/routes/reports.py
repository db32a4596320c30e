"""The managers' reports: the page of a period's figures for the manager's own team (exact, marked
internal, with the learning themes), its CSV and its print view (both as shared outside the team:
small numbers suppressed, no free text). Every view and export audited with the period and team."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request
from flask_login import current_user

from ... import access
from ...clock import utcnow
from ...reports import ReportError, charts, figures, periods, suppression
from ..blueprint import bp
from ..guards import role_required


def _report():
    """The report the query string asks for (this quarter when it asks none), or the error."""
    text = request.args.get("period") or periods.quarter_of(utcnow()).label
    try:
        return figures.for_manager(current_user, periods.parse(text)), None
    except ReportError as exc:
        return None, str(exc)


def _detail(found) -> str:
    return f"{found.period.label}; team {found.team}"


def _page(template: str, action: str, how: str = ""):
    found, error = _report()
    if found is None:
        access.audit(current_user, action, detail="invalid period")
        return render_template(template, error=error, found=None, period_text=request.args.get("period")), 400
    access.audit(current_user, action, detail=_detail(found) + how)
    return render_template(
        template,
        error=None,
        found=found,
        period_text=found.period.label,
        charts=charts,
        figures=figures,
        note=suppression.NOTE,
        suppressed=suppression.SUPPRESSED,
    )


@bp.get("/reports")
@role_required("manager")
def reports():
    return _page("staff/reports.html", "view_report")


@bp.get("/reports/print")
@role_required("manager")
def reports_print():
    return _page("staff/reports_print.html", "export_report", "; print")


@bp.get("/reports/report.csv")
@role_required("manager")
def reports_csv():
    found, error = _report()
    if found is None:
        access.audit(current_user, "export_report", detail="invalid period")
        return Response(error + "\n", status=400, mimetype="text/plain")
    access.audit(current_user, "export_report", detail=f"{_detail(found)}; csv")
    out = io.StringIO()
    csv.writer(out).writerows(figures.csv_rows(found))
    name = found.period.label.replace(" ", "")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="report-{name}.csv"',
            "Cache-Control": "no-store",
        },
    )
