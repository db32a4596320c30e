"""The staff's own dialogues (plain question pages, saved answer by answer)."""

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


@bp.route("/cases/<id:case_id>/<any(reflection, review):dialogue_id>", methods=["GET", "POST"])
@role_required("worker", "manager")
def reflect(case_id: int, dialogue_id: str):
    case = _case_or_404(case_id, f"open_{dialogue_id}")
    try:
        conversation = services.staff_conversation(current_user, case, dialogue_id)
    except CaseError:
        abort(404)
    form, error = forms.AnswerForm(), None
    if form.is_submitted():
        if form.action.data == "back":
            conv.back(conversation.id)
        elif form.action.data == "change":
            conv.change(conversation.id, form.step.data)
        else:
            result = conv.answer(conversation.id, form.answer_id.data, form.step.data, form.answer_value())
            if not result.ok:
                error = error_message(result.error)
        if error is None:
            return redirect(url_for(".reflect", case_id=case.id, dialogue_id=dialogue_id))
    turn = conv.turn_for(conv.load(conversation.id), with_history=True)
    return _page(
        "staff/dialogue.html",
        error,
        case=case,
        turn=turn,
        dialogue_id=dialogue_id,
        answer_id=str(uuid.uuid4()),
    )
