"""Subject access: a copy of everything the person said, prepared from the case page, redacted on a
review screen, released, then downloaded (always redacted) as PDF or JSON.

The unredacted copy is shown only on the review screen, to staff who may see the case; every
download is of a released request and goes through ``subject_access.download``, which redacts."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import db
from ...models import User
from ...records import RecordsError
from ...records import subject_access as sar
from .. import forms
from ..blueprint import _case_or_404, bp
from ..guards import role_required


@bp.app_template_global()
def subject_access_requests(case) -> list[dict]:
    """The case's subject access requests, newest first, each with who prepared and who released
    it: for the case page's panel."""
    return [
        {"request": r, "prepared_by": _user(r.prepared_by_id), "released_by": _user(r.released_by_id)}
        for r in sar.requests_for(case)
    ]


@bp.app_template_filter("sar_date")
def _sar_date(value) -> str:
    """A moment of the copy (a datetime or its ISO text) as "3 Mar 2026 14:05 UTC"."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.day} {moment.strftime('%b %Y %H:%M')} UTC"


def _request_or_404(case_id: int, request_id: int, action: str):
    case = _case_or_404(case_id, action)
    found = sar.find(case, request_id)
    if found is None:
        abort(404)
    return case, found


def _review(case_id: int, request_id: int, **query):
    return redirect(url_for(".subject_access", case_id=case_id, request_id=request_id, **query))


@bp.post("/cases/<id:case_id>/subject-access")
@role_required("worker", "manager")
def prepare_subject_access(case_id: int):
    case = _case_or_404(case_id, "subject_access_prepare")
    made = sar.prepare(current_user, case)
    return _review(case.id, made.id)


@bp.get("/cases/<id:case_id>/subject-access/<id:request_id>")
@role_required("worker", "manager")
def subject_access(case_id: int, request_id: int):
    case, found = _request_or_404(case_id, request_id, "subject_access_review")
    redactions = sar.redactions_of(found)
    return render_template(
        "staff/subject_access.html",
        case=case,
        sar_request=found,
        copy=sar.copy(found),
        redactions=redactions,
        withheld=set(redactions["answers"]),
        marked=sar.marked,
        prepared_by=_user(found.prepared_by_id),
        released_by=_user(found.released_by_id),
        saved=request.args.get("saved") == "1",
        withheld_text=sar.WITHHELD,
    )


@bp.post("/cases/<id:case_id>/subject-access/<id:request_id>/redactions")
@role_required("worker", "manager")
def subject_access_redactions(case_id: int, request_id: int):
    case, found = _request_or_404(case_id, request_id, "subject_access_redact")
    form = forms.RedactionsForm()
    try:
        sar.update_redactions(current_user, found, form.words.data, form.withhold.data)
    except RecordsError as exc:
        flash(str(exc), "error")
        return _review(case.id, found.id)
    return _review(case.id, found.id, saved="1")


@bp.post("/cases/<id:case_id>/subject-access/<id:request_id>/release")
@role_required("worker", "manager")
def subject_access_release(case_id: int, request_id: int):
    case, found = _request_or_404(case_id, request_id, "subject_access_release")
    try:
        sar.release(current_user, found)
    except RecordsError as exc:
        flash(str(exc), "error")
    return _review(case.id, found.id)


@bp.get("/cases/<id:case_id>/subject-access/<id:request_id>/copy.json")
@role_required("worker", "manager")
def subject_access_json(case_id: int, request_id: int):
    case, found = _request_or_404(case_id, request_id, "subject_access_json")
    try:
        released = sar.download(current_user, found, "json")
    except RecordsError as exc:
        flash(str(exc), "error")
        return _review(case.id, found.id)
    body = json.dumps(released, ensure_ascii=False, indent=2)
    return _attachment(body, "application/json", f"subject-access-{case.id}-{found.id}.json")


@bp.get("/cases/<id:case_id>/subject-access/<id:request_id>/copy.pdf")
@role_required("worker", "manager")
def subject_access_pdf(case_id: int, request_id: int):
    case, found = _request_or_404(case_id, request_id, "subject_access_pdf")
    try:
        released = sar.download(current_user, found, "pdf")
    except RecordsError as exc:
        flash(str(exc), "error")
        return _review(case.id, found.id)
    from weasyprint import HTML

    html = render_template("staff/subject_access_pdf.html", copy=released, redacted_text=sar.REDACTED)
    # Made from this HTML alone: nothing is fetched from elsewhere.
    pdf = HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()
    return _attachment(pdf, "application/pdf", f"subject-access-{case.id}-{found.id}.pdf")


def _attachment(body, mimetype: str, filename: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _no_fetch(url, *args, **kwargs):
    raise ValueError("the subject access PDF loads nothing from elsewhere")


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None
