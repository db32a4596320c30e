"""The CSV export of a case: a row per answer (superseded ones too), the question in English, and
what a person typed never read as a formula; through the command and the case page, audited."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from test_fhir import CHANGED_FROM, OWN_WORDS, REFERENCE, case  # noqa: F401
from test_staff import signed_in, staff  # noqa: F401

from app import db
from app.models import Answer, AuditEvent
from app.records.case_csv import COLUMNS, safe_cell


def parsed(text: str) -> list[dict]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


def test_a_row_per_answer_superseded_ones_too(app, case, runner):  # noqa: F811
    result = runner.invoke(args=["export", "--case", REFERENCE, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = parsed(result.output)
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
    # Every stored answer but the "Continue"s and "Send my answers" (nothing said there).
    assert 0 < len(rows) < stored
    words = [r for r in rows if r["step"] == "outcome_words"]
    assert [w["value"] for w in words] == [CHANGED_FROM, OWN_WORDS]
    assert words[0]["superseded_at"] and not words[1]["superseded_at"]
    # A comma, a newline and quotes survive the round trip.
    assert words[1]["answer"] == OWN_WORDS
    assert words[1]["question"] and words[1]["part"] == "1" and words[1]["language"] == "en"
    # A formula typed by the person is written inert.
    typed = next(r for r in rows if r["step"] == "people_involved")
    assert typed["value"].startswith("'=HYPERLINK") and typed["answer"].startswith("'=")
    chosen = next(r for r in rows if r["step"] == "outcome_choices")
    assert chosen["value"] == '["feel_safe", "stay_home"]' and ", " in chosen["answer"]
    met = [r for r in rows if r["step"].startswith("outcome_met.")]
    assert len(met) == 3 and {r["respondent"] for r in met} == {"imca"}
    assert {r["view"] for r in met} == {"representative_account"} and {r["language"] for r in met} == {"cy"}
    assert "Did this happen" in met[0]["question"]


def test_formula_starts_are_made_inert():
    assert [safe_cell(v) for v in ("=1+1", "+44", "-2", "@SUM", "\tx", "plain", None)] == [
        "'=1+1",
        "'+44",
        "'-2",
        "'@SUM",
        "'\tx",
        "plain",
        "",
    ]


def test_the_case_page_offers_the_csv_audited(app, case, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    assert f"/staff/cases/{case}/export.csv" in worker.get(f"/staff/cases/{case}").text
    response = worker.get(f"/staff/cases/{case}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert any(r["value"] == OWN_WORDS for r in parsed(response.text))
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_id == case)).all()
    assert "export_csv" in actions
    assert signed_in(app, staff, "south_worker").get(f"/staff/cases/{case}/export.csv").status_code == 404
