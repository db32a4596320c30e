"""The audit log, for managers: what their team did and everything about their cases, filtered by
case, member of staff, action, how it was done and UTC days, a page at a time, and exported as CSV
(exactly the filtered entries). Every view and export of the log is itself audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC

from flask import Response, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from ... import access, db
from ...clock import aware, utcnow
from ...models import AuditEvent
from .. import auth, forms
from ..blueprint import bp
from ..guards import role_required

PER_PAGE = 100
# Failed sign-ins of one account in the last day from this many on are shown above the log.
REPEATED_FAILURES = 2

# The actions in plain words; one not named here is shown as its code, tidied ("place_legal_hold"
# reads "Place legal hold"). The code itself is always beside it, and is what the CSV holds.
ACTION_LABELS = {
    "view_case": "Viewed the case",
    "view_conversation": "Viewed a conversation",
    "socket_case": "Followed the case live",
    "export_json": "Exported the case (JSON)",
    "export_pdf": "Exported the case (PDF)",
    "refused": "Refused: out of reach",
    "create_case": "Made the case",
    "invite": "Made an invitation",
    "change_stage": "Changed the stage",
    "reassign": "Reassigned the case",
    "unassigned": "Left without a worker",
    "record_eligibility": "Recorded the Part 2 decision",
    "decide_eligibility": "Decided on Part 2",
    "eligibility_proposed": "Proposed the Part 2 decision",
    "eligibility_approved": "Agreed the Part 2 decision",
    "eligibility_declined": "Declined the Part 2 decision",
    "eligibility_imported": "Part 2 decision imported",
    "acknowledge": "Dealing with a follow-up",
    "follow_up_done": "Follow-up done",
    "view_follow_ups": "Viewed the follow-ups",
    "view_audit": "Viewed the audit log",
    "export_audit": "Exported the audit log (CSV)",
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "sign_in_failed": "Sign-in failed",
    "sign_in_locked": "Address locked out",
    "create_team": "Made a team",
    "edit_team": "Changed a team",
    "create_user": "Made an account",
    "reset_password": "Reset a password",
    "set_active": "Enabled or disabled an account",
    "place_legal_hold": "Asked to place a legal hold",
    "legal_hold_set": "Legal hold placed",
    "lift_legal_hold": "Asked to lift the legal hold",
    "legal_hold_lifted": "Legal hold lifted",
    "view_erase": "Opened the erasure page",
    "erase": "Asked to erase the conversations",
    "erased_on_request": "Erased on request",
    "retention_erased": "Erased by retention",
    "retention_dry_run": "Retention checked (dry run)",
    "erasure_undone": "Erasure undone by a restore",
    "subject_access_prepare": "Opened a subject access copy",
    "subject_access_prepared": "Prepared a subject access copy",
    "subject_access_released": "Released a subject access copy",
    "subject_access_download": "Downloaded a subject access copy",
    "subject_access_review": "Opened a subject access copy to review",
    "subject_access_redact": "Asked to change a subject access copy's redactions",
    "subject_access_redactions": "Changed a subject access copy's redactions",
    "subject_access_release": "Asked to release a subject access copy",
    "subject_access_json": "Asked to download a subject access copy (JSON)",
    "subject_access_pdf": "Asked to download a subject access copy (PDF)",
    "export_fhir": "Exported the case (FHIR)",
    "export_csv": "Exported the case (CSV)",
    "record_capacity": "Recorded the person's capacity",
    "revoke_invitation": "Revoked an invitation",
    "hand_over_screen": "Opened the hand-over screen",
    "hand_over": "Handed the tablet over",
    "open_reflection": "Opened the worker's reflection",
    "open_review": "Opened the manager's case review",
    "view_supervision_list": "Viewed the team's reflections for supervision",
    "view_reflection_supervision": "Viewed a reflection for supervision",
    "supervision_recorded": "Recorded a supervision discussion",
    "learning_action_added": "Agreed a learning action in supervision",
    "learning_action_done": "Marked a learning action done",
    "view_learning_actions": "Viewed own learning actions",
    "view_report": "Viewed the team report",
    "export_report": "Exported the report",
    "view_sac": "Viewed the national return (SAC)",
    "export_sac": "Exported the national return (SAC CSV)",
    "sac_confirm": "Asked to confirm a figure for the national return",
    "sac_confirmed": "Confirmed a figure for the national return",
    "view_audit_samples": "Viewed the case-file audit samples",
    "audit_sample_drawn": "Drew a case-file audit sample",
    "case_file_audit_assigned": "Assigned a case-file audit",
    "open_case_file_audit": "Opened a case-file audit",
    "case_file_audit_finished": "Finished a case-file audit",
    "view_case_file_audit_results": "Viewed a case-file audit's findings",
    "audit_action_added": "Agreed an action from a case-file audit",
    "audit_action_done": "Marked a case-file audit action done",
}
# Entries a manager should notice: shown on a warm background.
WARNING_ACTIONS = frozenset({"refused", "sign_in_failed", "sign_in_locked", "erasure_undone"})
VIA_LABELS = {"web": "Staff pages", "cli": "Command line", "system": "The system"}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("cli:"):
        return f"Command: {action.removeprefix('cli:')}"
    return action.replace("_", " ").capitalize()


def utc(moment):
    """A stored moment in UTC (SQLite gives it back naive, PostgreSQL in the session's zone)."""
    return aware(moment).astimezone(UTC)


def who(event: AuditEvent) -> str:
    if event.via == "cli":
        return f"command line: {event.os_user or 'unknown user'}"
    if event.via == "system":
        return "the system"
    if event.user is not None:
        return event.user.email
    return "no account (an unknown email)" if event.action == auth.FAILED else "–"


def _filter(form: forms.AuditFilterForm) -> tuple[access.AuditFilter | None, list[str]]:
    """The filter the form asks for, or None and what is wrong with it."""
    # A page number that is not one is page 1; any other field wrong is said, and nothing shown.
    errors = [f"{form[name].label.text}: {found[0]}" for name, found in form.errors.items() if name != "page"]
    since, until = form.date_from.data, form.date_to.data
    if since and until and since > until:
        errors.append("The first day is after the last day: swap them, or clear one.")
    if form.via.data and form.via.data not in access.VIA:
        errors.append("Choose how it was done from the list.")
    if errors:
        return None, errors
    where = access.AuditFilter(
        case_id=form.case_id.data,
        user_id=form.user_id.data,
        action=form.action.data,
        via=form.via.data,
        since=since,
        until=until,
    )
    return where, []


def _query_args(where: access.AuditFilter) -> dict:
    """The filter as the page's query string: the same names the form uses."""
    found = {
        "case_id": where.case_id,
        "user_id": where.user_id,
        "action": where.action,
        "via": where.via,
        "date_from": where.since.isoformat() if where.since else None,
        "date_to": where.until.isoformat() if where.until else None,
    }
    return {k: v for k, v in found.items() if v not in (None, "")}


def _repeated_failures(manager) -> list[tuple]:
    """Accounts of the manager's team with repeated failed sign-ins in the last 24 hours, with
    how many, most first."""
    counts, _unknown = auth.failed_sign_ins(hours=24)
    team = {u.id: u for u in access.audit_people(manager) if u.team_id == manager.team_id}
    found = [(team[i], n) for i, n in counts.items() if i in team and n >= REPEATED_FAILURES]
    return sorted(found, key=lambda row: (-row[1], row[0].email))


@bp.get("/audit")
@role_required("manager")
def audit_log():
    form = forms.AuditFilterForm(formdata=request.args)
    form.validate()
    where, errors = _filter(form)
    page, pages, events, total = 1, 1, [], 0
    if where is not None:
        page = form.page.data if not form.page.errors and form.page.data else 1
        events, total = access.audit_page(current_user, where, page, PER_PAGE)
        pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
        if page > pages:  # past the end (the log shrank, or a typed number): the last page
            page = pages
            events, total = access.audit_page(current_user, where, page, PER_PAGE)
    access.audit(
        current_user, "view_audit", detail=f"{where.describe()} page {page}" if where else "invalid filter"
    )
    args = _query_args(where) if where else {}
    return render_template(
        "staff/audit.html",
        events=events,
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * PER_PAGE + 1 if events else 0,
        last=(page - 1) * PER_PAGE + len(events),
        errors=errors,
        filtered=bool(args),
        args=args,
        form=form,
        cases=access.cases_of(current_user),
        people=access.audit_people(current_user),
        actions=access.audit_actions(current_user),
        references=access.case_references(current_user, (e.case_id for e in events)),
        repeated=_repeated_failures(current_user),
        action_label=action_label,
        who=who,
        utc=utc,
        via_labels=VIA_LABELS,
        warning_actions=WARNING_ACTIONS,
        page_url=lambda number: url_for("staff.audit_log", **args, page=number),
    ), (400 if errors else 200)


CSV_COLUMNS = (
    "id",
    "at_utc",
    "via",
    "who",
    "os_user",
    "action",
    "action_label",
    "case_id",
    "case_reference",
    "detail",
)


def _cell(value) -> str:
    """A value as a spreadsheet shows it, never as a formula (a cell starting = + - @ is text)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/audit.csv")
@role_required("manager")
def audit_csv():
    """Exactly the entries the filter shows, every page of them, as CSV (audited, with the filter)."""
    form = forms.AuditFilterForm(formdata=request.args)
    form.validate()
    where, errors = _filter(form)
    if where is None:  # the page says what is wrong with the filter
        return redirect(url_for("staff.audit_log", **request.args))
    manager = current_user._get_current_object()
    total = access.audit_count(manager, where)
    access.audit(manager, "export_audit", detail=f"{where.describe()}; {total} entries")
    query = access.audit_events(manager, where)

    def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        batch = []
        for event in db.session.scalars(query.execution_options(yield_per=500)):
            batch.append(event)
            if len(batch) == 500:
                yield _written(out, writer, batch, manager)
                batch = []
        yield _written(out, writer, batch, manager)

    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _written(out: io.StringIO, writer, batch: list[AuditEvent], manager) -> str:
    references = access.case_references(manager, (e.case_id for e in batch))
    for e in batch:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    e.id,
                    utc(e.at).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    e.via,
                    who(e),
                    e.os_user,
                    e.action,
                    action_label(e.action),
                    e.case_id,
                    references.get(e.case_id),
                    e.detail,
                )
            ]
        )
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text
