"""Exports: a case as JSON, as FHIR R4 (a Bundle), as CSV (a row per answer) or as a PDF made
from its HTML alone."""

from __future__ import annotations

import json

from flask import Response, render_template

from ...cases import eligibility
from ...cases import services as cases
from ...records import case_csv, fhir
from .. import basis as records_basis
from .. import reading, services
from ..blueprint import _case_or_404, bp
from ..guards import role_required


def _attachment(body, mimetype: str, filename: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/cases/<id:case_id>/export.json")
@role_required("worker", "manager")
def export_json(case_id: int):
    case = _case_or_404(case_id, "export_json")
    body = json.dumps(cases.export_case(case.reference), ensure_ascii=False, indent=2)
    return _attachment(body, "application/json", f"case-{case.id}.json")


@bp.get("/cases/<id:case_id>/export.fhir.json")
@role_required("worker", "manager")
def export_fhir(case_id: int):
    case = _case_or_404(case_id, "export_fhir")
    body = json.dumps(fhir.case_bundle(case), ensure_ascii=False, indent=2)
    return _attachment(body, "application/fhir+json", f"case-{case.id}.fhir.json")


@bp.get("/cases/<id:case_id>/export.csv")
@role_required("worker", "manager")
def export_csv(case_id: int):
    case = _case_or_404(case_id, "export_csv")
    return _attachment(case_csv.case_csv(case), "text/csv", f"case-{case.id}.csv")


@bp.get("/cases/<id:case_id>/export.pdf")
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
        basis={part: records_basis.basis(c) for part, c in found.items()},
        outcomes=reading.outcomes_side_by_side(case),
        eligibility=eligibility.latest_eligibility(case),
        language_name=services.language_name,
    )
    # Nothing is fetched from elsewhere: the PDF is made from this HTML alone.
    pdf = HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()
    return _attachment(pdf, "application/pdf", f"case-{case.id}.pdf")


def _no_fetch(url, *args, **kwargs):
    raise ValueError("the case PDF loads nothing from elsewhere")
