"""The staff's own dialogues (plain question pages, saved answer by answer): the worker's reflection
and the manager's review here; the case-file audit uses ``answer_posted`` and the same page."""

from __future__ import annotations

import uuid

from flask import abort, redirect, url_for
from flask_login import current_user

from ...cases import CaseError
from ...conversation import services as conv
from ...conversation.messages import error_message
from .. import forms, services
from ..blueprint import _case_or_404, _page, bp
from ..guards import role_required

TITLES = {"reflection": "Reflecting on this enquiry", "review": "Manager's case review"}


def answer_posted(conversation_id: int) -> tuple[bool, str | None]:
    """Apply a posted question page (back, change or an answer) through the one answer path:
    (whether a form was posted, the calm message if the answer was refused)."""
    form = forms.AnswerForm()
    if not form.is_submitted():
        return False, None
    if form.action.data == "back":
        conv.back(conversation_id)
    elif form.action.data == "change":
        conv.change(conversation_id, form.step.data)
    else:
        result = conv.answer(conversation_id, form.answer_id.data, form.step.data, form.answer_value())
        if not result.ok:
            return True, error_message(result.error)
    return True, None


def dialogue_page(conversation_id: int, error: str | None, **context):
    """The current question of a staff dialogue, with what was said so far."""
    turn = conv.turn_for(conv.load(conversation_id), with_history=True)
    return _page("staff/dialogue.html", error, turn=turn, answer_id=str(uuid.uuid4()), **context)


@bp.route("/cases/<id:case_id>/<any(reflection, review):dialogue_id>", methods=["GET", "POST"])
@role_required("worker", "manager")
def reflect(case_id: int, dialogue_id: str):
    case = _case_or_404(case_id, f"open_{dialogue_id}")
    try:
        conversation = services.staff_conversation(current_user, case, dialogue_id)
    except CaseError:
        abort(404)
    posted, error = answer_posted(conversation.id)
    if posted and error is None:
        return redirect(url_for(".reflect", case_id=case.id, dialogue_id=dialogue_id))
    return dialogue_page(
        conversation.id,
        error,
        case=case,
        dialogue_id=dialogue_id,
        dialogue_title=TITLES[dialogue_id],
        back_url=url_for(".case", case_id=case.id),
        back_label=f"Back to case {case.reference}",
    )
