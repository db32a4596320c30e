"""Supervision pages: a manager's list of their team's finished reflections, one reflection with the
discussions and learning actions recorded against it, and a worker's own learning actions. Who may
read a reflection is decided by ``app.staff.supervision``; a refusal is a 404, audited there."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ... import access
from ...records import RecordsError
from .. import forms
from .. import supervision as service
from ..blueprint import _page, bp
from ..guards import role_required


@bp.get("/supervision")
@role_required("worker", "manager")
def supervision():
    if current_user.role == "manager":
        return render_template("staff/supervision.html", rows=service.team_reflections(current_user))
    access.audit(current_user, "view_learning_actions")
    return render_template("staff/supervision_actions.html", actions=service.actions_for(current_user))


def _reflection_page(reflection, error: str | None = None, **forms_given):
    case, worker = reflection.case, service.worker_of(reflection)
    held = service.discussions(reflection)
    return _page(
        "staff/supervision_reflection.html",
        error,
        reflection=reflection,
        case=case,
        case_visible=access.can_see(current_user, case),
        worker=worker,
        answers=service.answers(reflection),
        readers=service.readers(worker),
        held=[(s, service.actions_of(s)) for s in held],
        record_form=forms_given.get("record_form") or forms.SupervisionForm(formdata=None),
        action_form=forms_given.get("action_form") or forms.LearningActionForm(formdata=None),
        action_for=forms_given.get("action_for"),
    )


@bp.get("/supervision/<id:reflection_id>")
@role_required("manager")
def supervision_reflection(reflection_id: int):
    reflection = service.reflection_for(current_user, reflection_id)
    if reflection is None:
        abort(404)
    return _reflection_page(reflection)


@bp.post("/supervision/<id:reflection_id>/discussions")
@role_required("manager")
def supervision_record(reflection_id: int):
    form = forms.SupervisionForm()
    try:
        service.record_supervision(current_user, reflection_id, form.discussed_on.data, form.notes.data)
    except RecordsError as error:
        reflection = service.reflection_for(current_user, reflection_id)
        if reflection is None:
            abort(404)
        return _reflection_page(reflection, str(error), record_form=form)
    flash("Supervision recorded.", "success")
    return redirect(url_for(".supervision_reflection", reflection_id=reflection_id))


@bp.post("/supervision/discussions/<id:supervision_id>/actions")
@role_required("manager")
def supervision_action(supervision_id: int):
    found = service.supervision_for(current_user, supervision_id, "learning_action_added")
    if found is None:
        abort(404)
    form = forms.LearningActionForm()
    try:
        service.add_action(current_user, found.id, form.text.data, form.owner_id.data, form.due_on.data)
    except RecordsError as error:
        reflection = service.reflection_for(current_user, found.reflection_id)
        if reflection is None:
            abort(404)
        return _reflection_page(reflection, str(error), action_form=form, action_for=found.id)
    flash("Learning action added.", "success")
    return redirect(url_for(".supervision_reflection", reflection_id=found.reflection_id))


@bp.post("/supervision/actions/<id:action_id>/done")
@role_required("worker", "manager")
def supervision_action_done(action_id: int):
    try:
        action = service.mark_done(current_user, action_id)
    except RecordsError:
        abort(404)
    flash("Learning action marked done.", "success")
    reflection = service.reflection_of(action)
    if service.may_read(current_user, reflection):
        return redirect(url_for(".supervision_reflection", reflection_id=reflection.id))
    return redirect(url_for(".supervision"))
