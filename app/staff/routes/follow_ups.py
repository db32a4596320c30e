"""Follow-ups: the list, marking one done, and "I am dealing with this"."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ... import access, followups
from ...models import FollowUp
from .. import forms
from ..blueprint import _found, bp
from ..guards import role_required


@bp.get("/follow-ups")
@role_required("worker", "manager")
def follow_ups():
    items = followups.follow_ups_for(current_user)
    access.audit(current_user, "view_follow_ups")
    return render_template("staff/follow_ups.html", items=items, summary=followups.count_by_kind(items))


def _follow_up_or_404(follow_up_id: int, action: str) -> FollowUp:
    return _found(access.follow_up_for(current_user, follow_up_id, action))


def _back_to(item: FollowUp, back: str | None):
    if back == "case":
        return redirect(url_for(".case", case_id=item.case_id) + "#follow-ups")
    if back == "home":
        return redirect(url_for(".home"))
    return redirect(url_for(".follow_ups"))


@bp.post("/follow-ups/<id:follow_up_id>/done")
@role_required("worker", "manager")
def follow_up_done(follow_up_id: int):
    item = _follow_up_or_404(follow_up_id, "follow_up_done")
    form = forms.DoneForm()
    try:
        followups.mark_done(current_user, item, form.note.data)
    except followups.FollowUpError as exc:
        flash(str(exc), "error")
    return _back_to(item, form.back.data)


@bp.post("/follow-ups/<id:follow_up_id>/acknowledge")
@role_required("worker", "manager")
def acknowledge(follow_up_id: int):
    """ "I am dealing with this": who and when are recorded, and the escalation stops."""
    item = _follow_up_or_404(follow_up_id, "acknowledge")
    if not followups.acknowledge(current_user, item):
        who = item.acknowledged_by.email if item.acknowledged_by else "someone"
        flash(f"{who} is already dealing with this.", "info")
    return _back_to(item, forms.BackForm().back.data)
