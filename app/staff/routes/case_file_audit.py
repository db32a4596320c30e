"""Case-file audit pages: the managers' samples (draw one, assign its auditors, read the findings and
agree actions) and the auditor's own audits (the case file, read only, and the audit dialogue). Who
may do what is decided in ``app.staff.case_file_audit``; a refusal is a 404, audited there."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ... import access
from ...clock import utcnow
from ...records import RecordsError
from ...reports import periods
from .. import case_file_audit as service
from .. import forms
from ..blueprint import _page, bp
from ..guards import role_required
from ..services import language_name
from .reflection import answer_posted, dialogue_page

STATUS = {
    "unassigned": "No auditor yet",
    "assigned": "Assigned, not started",
    "started": "In progress",
    "finished": "Finished",
}


def _audits_page(error: str | None = None, form=None):
    samples = service.samples_for(current_user)
    if current_user.role == "manager":
        access.audit(current_user, "view_audit_samples", None, f"{len(samples)} samples")
    return _page(
        "staff/case_file_audits.html",
        error,
        samples=[(s, service.audits_in(s)) for s in samples],
        mine=service.assigned_to(current_user),
        actions=service.actions_owned(current_user),
        case_of=service.case_of,
        status=service.status,
        status_labels=STATUS,
        form=form or forms.AuditSampleForm(formdata=None),
        default_period=periods.quarter_of(utcnow()).label.replace(" ", ""),
        limit=service.SAMPLE_LIMIT,
    )


@bp.get("/audits")
@role_required("worker", "manager")
def audits():
    return _audits_page()


@bp.post("/audits/samples")
@role_required("manager")
def audit_draw():
    form = forms.AuditSampleForm()
    try:
        drawn = service.draw_sample(current_user, form.period.data, form.size.data)
    except RecordsError as error:
        return _audits_page(str(error), form)
    cases = "case" if drawn.sample.size == 1 else "cases"
    if drawn.sample.size < drawn.asked:
        flash(
            f"You asked for {drawn.asked}, but only {drawn.available} {cases} of your team closed in "
            f"{drawn.sample.period} and not sampled before: all of them are in this sample.",
            "success",
        )
    else:
        flash(f"{drawn.sample.size} {cases} drawn at random from {drawn.available}.", "success")
    return redirect(url_for(".audit_sample", sample_id=drawn.sample.id))


def _sample_page(sample, error: str | None = None):
    rows = []
    for audit in service.audits_in(sample):
        case = service.case_of(audit)
        rows.append((audit, case, service.auditor_of(audit), service.eligible_auditors(case)))
    return _page(
        "staff/case_file_audit_sample.html",
        error,
        sample=sample,
        rows=rows,
        unassigned=sum(1 for audit, *_ in rows if audit.auditor_id is None),
        status=service.status,
        status_labels=STATUS,
        actions_of=service.actions_of,
        stuck=service.stuck,
    )


@bp.get("/audits/samples/<id:sample_id>")
@role_required("manager")
def audit_sample(sample_id: int):
    sample = service.sample_for(current_user, sample_id)
    if sample is None:
        abort(404)
    return _sample_page(sample)


@bp.post("/audits/samples/<id:sample_id>/assign")
@role_required("manager")
def audit_assign_all(sample_id: int):
    try:
        assigned, nobody = service.assign_automatically(current_user, sample_id)
    except RecordsError:
        abort(404)
    message = f"{assigned} audits assigned."
    if nobody:
        message += f" Nobody may audit {', '.join(nobody)}: add an auditor from another team."
    flash(message, "success")
    return redirect(url_for(".audit_sample", sample_id=sample_id))


@bp.post("/audits/<id:audit_id>/auditor")
@role_required("manager")
def audit_assign(audit_id: int):
    found = service.audit_managed(current_user, audit_id, "case_file_audit_assigned")
    if found is None:
        abort(404)
    try:
        service.assign(current_user, found.id, forms.AuditorForm().auditor_id.data)
    except RecordsError as error:
        sample = service.sample_for(current_user, found.sample_id)
        return _sample_page(sample, str(error))
    flash("Auditor assigned.", "success")
    return redirect(url_for(".audit_sample", sample_id=found.sample_id))


@bp.get("/audits/<id:audit_id>")
@role_required("worker", "manager")
def audit_case_file(audit_id: int):
    audit = service.audit_for(current_user, audit_id)
    if audit is None:
        abort(404)
    return render_template(
        "staff/case_file_audit.html",
        audit=audit,
        status=service.status(audit),
        language_name=language_name,
        **service.case_file(audit),
    )


@bp.route("/audits/<id:audit_id>/dialogue", methods=["GET", "POST"])
@role_required("worker", "manager")
def audit_dialogue(audit_id: int):
    audit = service.audit_for(current_user, audit_id, "open_case_file_audit")
    if audit is None:
        abort(404)
    conversation = service.conversation_of(current_user, audit)
    posted, error = answer_posted(conversation.id)
    if posted and error is None:
        service.note_finished(current_user, audit)
        return redirect(url_for(".audit_dialogue", audit_id=audit.id))
    case = service.case_of(audit)
    return dialogue_page(
        conversation.id,
        error,
        case=case,
        dialogue_title="Case-file audit",
        back_url=url_for(".audit_case_file", audit_id=audit.id),
        back_label=f"Back to the case file of {case.reference}",
    )


def _findings_page(audit, error: str | None = None, form=None):
    return _page(
        "staff/case_file_audit_findings.html",
        error,
        audit=audit,
        case=service.case_of(audit),
        auditor=service.auditor_of(audit),
        answers=service.answers(audit),
        actions=service.actions_of(audit),
        members=service.team_members(service.team_id_of(audit)),
        form=form or forms.LearningActionForm(formdata=None),
    )


@bp.get("/audits/<id:audit_id>/findings")
@role_required("manager")
def audit_findings(audit_id: int):
    audit = service.findings_for(current_user, audit_id)
    if audit is None:
        abort(404)
    return _findings_page(audit)


@bp.post("/audits/<id:audit_id>/actions")
@role_required("manager")
def audit_action(audit_id: int):
    form = forms.LearningActionForm()
    try:
        service.add_action(current_user, audit_id, form.text.data, form.owner_id.data, form.due_on.data)
    except RecordsError as error:
        audit = service.findings_for(current_user, audit_id)
        if audit is None:
            abort(404)
        return _findings_page(audit, str(error), form)
    flash("Action agreed.", "success")
    return redirect(url_for(".audit_findings", audit_id=audit_id))


@bp.post("/audits/actions/<id:action_id>/done")
@role_required("worker", "manager")
def audit_action_done(action_id: int):
    try:
        action = service.mark_action_done(current_user, action_id)
    except RecordsError:
        abort(404)
    flash("Action marked done.", "success")
    if service.manages(current_user, service.audit_of(action)):
        return redirect(url_for(".audit_findings", audit_id=action.case_file_audit_id))
    return redirect(url_for(".audits"))
