"""Pages for the person: the start page, the invitation link, and one question per page.

These plain HTML forms work with no JavaScript at all; ``static/js/chat.js`` turns the same page into
a live chat. Both call ``services``, so there is one path for every answer.
"""

from __future__ import annotations

import uuid

from flask import abort, redirect, render_template, request, session, url_for

from . import bp, services
from .messages import error_message, refused_message


def _begin(conversation) -> None:
    """Remember the open conversation in this browser's session (a fresh session: no fixation)."""
    session.clear()
    session["conversation_id"] = conversation.id
    session["lang"] = conversation.language


@bp.get("/")
def start():
    """Where a person types the code they were given."""
    return render_template("start.html")


@bp.post("/start")
def start_with_code():
    """Open a conversation from a typed code."""
    code = request.form.get("code", "")
    conversation = services.open_by_code(code)
    if conversation is None:
        return render_template("start.html", error=refused_message()), 400
    _begin(conversation)
    return redirect(url_for(".chat"))


@bp.get("/s/<code>")
def open_link(code: str):
    """The invitation link: open the conversation, then leave the code out of the address bar."""
    conversation = services.open_by_code(code)
    if conversation is None:
        return render_template("start.html", error=refused_message()), 404
    _begin(conversation)
    return redirect(url_for(".chat"))


def _current():
    conversation = services.load(session.get("conversation_id"))
    if conversation is None:
        return None
    return conversation


@bp.get("/chat")
def chat():
    """The current question as a page; the chat script takes over when JavaScript runs."""
    conversation = _current()
    if conversation is None:
        return redirect(url_for(".start"))
    if conversation.finished_at is not None:
        turn = services.turn_for(conversation, with_history=False)
        session.clear()  # the conversation is done: nothing more to open from this browser
        return render_template("finished.html", turn=turn)
    if not services.is_open(conversation):
        session.clear()
        return render_template("start.html", error=refused_message()), 403
    return _question_page(conversation)


def _question_page(conversation, error: str | None = None, status: int = 200):
    turn = services.turn_for(conversation, with_history=True)
    return (
        render_template(
            "chat.html",
            turn=turn,
            error=error,
            answer_id=str(uuid.uuid4()),
        ),
        status,
    )


def _form_value(kind: str):
    if request.form.get("action") == "skip":
        return None
    if kind == "multi":
        return request.form.getlist("value")
    if kind in ("none",):
        return None
    value = request.form.get("value")
    return value if value not in (None, "") else None


@bp.post("/chat/answer")
def answer():
    """Store one answer from the plain form, then show the next question."""
    conversation = _current()
    if conversation is None or not services.is_open(conversation):
        return redirect(url_for(".chat"))
    kind = request.form.get("kind", "")
    result = services.answer(
        conversation.id,
        request.form.get("id"),
        request.form.get("step"),
        _form_value(kind),
    )
    if not result.ok:
        # A stale form (another tab, the browser's Back) is "not current": show where they are now.
        status = 409 if result.error == "not_current" else 400
        return _question_page(services.load(conversation.id), error_message(result.error), status)
    return redirect(url_for(".chat"))


@bp.post("/chat/back")
def back():
    """Go back one question."""
    conversation = _current()
    if conversation is None:
        return redirect(url_for(".start"))
    services.back(conversation.id)
    return redirect(url_for(".chat"))


@bp.post("/chat/change")
def change():
    """Change one answer from the check-your-answers page."""
    conversation = _current()
    if conversation is None:
        return redirect(url_for(".start"))
    result = services.change(conversation.id, request.form.get("step"))
    if not result.ok and result.error == "closed":
        abort(403)
    return redirect(url_for(".chat"))
