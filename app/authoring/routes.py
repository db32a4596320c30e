"""The managers' dialogue pages: each dialogue as an outline and a map, and "Try this dialogue".

Managers and admins only; anyone else gets the same "not found" as any other page they may not see.
The preview (``preview.py``) saves nothing and tells nobody.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from ..staff.guards import role_required
from . import preview
from .diagram import mermaid
from .outline import outline

bp = Blueprint("authoring", __name__, url_prefix="/staff/dialogues")
ALLOWED = ("manager", "admin")


def _registry():
    return current_app.extensions["dialogues"]


def _dialogue(dialogue_id: str):
    dialogue = _registry().get(dialogue_id)
    if dialogue is None:
        abort(404)
    return dialogue


@bp.get("/")
@role_required(*ALLOWED)
def index():
    """Every dialogue, with a link to its outline."""
    return render_template("authoring/index.html", dialogues=list(_registry().values()))


@bp.get("/<dialogue_id>")
@role_required(*ALLOWED)
def show(dialogue_id: str):
    """One dialogue as an outline (steps in order, in plain words) and its map as Mermaid text."""
    dialogue = _dialogue(dialogue_id)
    roles = _registry().roles()
    return render_template(
        "authoring/dialogue.html",
        dialogue=dialogue,
        steps=outline(dialogue.spec, roles),
        diagram=mermaid(dialogue.spec, roles),
        respondents=[("self", "The person")]
        + [("representative", "Someone else (role not said)")]
        + list(roles.items()),
        reads_other=any(s.dialogue for s in dialogue.spec.lists.values()),
    )


@bp.post("/<dialogue_id>/try")
@role_required(*ALLOWED)
def try_start(dialogue_id: str):
    """Start (or start again) a preview, as the invitation would set it up."""
    dialogue = _dialogue(dialogue_id)
    invited = request.form.get("respondent") or None
    if invited is not None and invited not in _registry().respondents():
        invited = None
    session[preview.PREVIEW] = preview.start(
        dialogue,
        invited,
        request.form.get("name"),
        request.form.get("easy") == "1",
        request.form.get("linked") == "1",
    )
    return _to_step(dialogue)


def _state(dialogue):
    state = session.get(preview.PREVIEW)
    if not state or state.get("dialogue") != dialogue.id or not dialogue.is_valid_key(state["key"]):
        return None
    return state


def _to_step(dialogue):
    """To the preview's current question."""
    return redirect(url_for(".try_step", dialogue_id=dialogue.id))


def _to_start(dialogue):
    """No preview running (or another dialogue's): back to the outline's "Try this dialogue" form."""
    return redirect(url_for(".show", dialogue_id=dialogue.id) + "#try")


@bp.get("/<dialogue_id>/try")
@role_required(*ALLOWED)
def try_step(dialogue_id: str):
    """The preview's current question, one per page."""
    dialogue = _dialogue(dialogue_id)
    state = _state(dialogue)
    if state is None:
        return _to_start(dialogue)
    return _page(dialogue, state)


@bp.post("/<dialogue_id>/try/step")
@role_required(*ALLOWED)
def try_answer(dialogue_id: str):
    """Answer or skip the preview's current question."""
    dialogue = _dialogue(dialogue_id)
    state = _state(dialogue)
    if state is None:
        return _to_start(dialogue)
    if request.form.get("step") != state["key"]:
        return _to_step(dialogue)  # an old page (the browser's back button): where it really is
    kind = dialogue.step(state["key"]).kind
    action = request.form.get("action", "answer")
    error = preview.answer(dialogue, state, preview.value_from(request.form, kind, action))
    session[preview.PREVIEW] = state
    if error:
        return _page(dialogue, state, error), 400
    return _to_step(dialogue)


@bp.post("/<dialogue_id>/try/back")
@role_required(*ALLOWED)
def try_back(dialogue_id: str):
    """Back one question in the preview (its answer is kept, to change)."""
    return _move(dialogue_id, preview.back)


@bp.post("/<dialogue_id>/try/change")
@role_required(*ALLOWED)
def try_change(dialogue_id: str):
    """From "check your answers", open one answer to change."""
    step = request.form.get("step", "")
    return _move(dialogue_id, lambda dialogue, state: preview.change(dialogue, state, step))


def _move(dialogue_id: str, move):
    dialogue = _dialogue(dialogue_id)
    state = _state(dialogue)
    if state is None:
        return _to_start(dialogue)
    move(dialogue, state)
    session[preview.PREVIEW] = state
    return _to_step(dialogue)


def _page(dialogue, state, error=None):
    turn = preview.turn(dialogue, state)
    if turn.get("picture"):
        turn["picture"] = url_for("static", filename=f"pictures/{turn['picture']}.svg")
    return render_template(
        "authoring/try.html",
        dialogue=dialogue,
        turn=turn,
        state=state,
        error=error,
        roles=_registry().roles(),
        max_text=preview.MAX_PREVIEW_TEXT,
        card_urls={
            "answer": url_for(".try_answer", dialogue_id=dialogue.id),
            "back": url_for(".try_back", dialogue_id=dialogue.id),
            "change": url_for(".try_change", dialogue_id=dialogue.id),
        },
    )
