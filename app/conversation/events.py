"""Socket.IO namespace ``/chat``: a thin layer between the wire and ``services``.

Every connection is authenticated by its access code; every event loads the conversation again and
checks it is still open, so a revoked or expired invitation stops working at once: the event is
refused with ``code: "closed"`` (the socket stays up so that the refusal is heard).
"""

from __future__ import annotations

import logging

from flask import session
from flask_socketio import ConnectionRefusedError, emit

from .. import db, socketio
from . import services
from .messages import error_message, refused_message

NAMESPACE = "/chat"
log = logging.getLogger(__name__)


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Authenticate, then send the current turn with what was said so far.

    Other clients send the access code in ``auth``. Our own page sends none: its signed session
    cookie already names the conversation the code opened, so the code never sits in the page.
    """
    code = auth.get("code") if isinstance(auth, dict) else None
    if code is not None:
        conversation = services.open_by_code(code)
    else:
        conversation = services.load(session.get("conversation_id"))
        conversation = conversation if services.is_open(conversation) else None
    if conversation is None:
        log.info("chat connection refused")
        raise ConnectionRefusedError(refused_message())
    session["conversation_id"] = conversation.id
    emit("turn", services.turn_for(conversation, with_history=True))


@socketio.on_error(NAMESPACE)
def on_error(exc):
    """Any unexpected failure: roll back, log its type only, and tell the client calmly."""
    db.session.rollback()
    log.error("chat event failed: %s", type(exc).__name__)
    return {"ok": False, "error": error_message("unavailable"), "code": "unavailable"}


def _open_conversation():
    """The socket's conversation if it may still be used; otherwise end the socket."""
    conversation = services.load(session.get("conversation_id"))
    if not services.is_open(conversation):
        return None
    return conversation


def _reply(result: services.Result, conversation_id: int) -> dict:
    """Acknowledge, then send the turn the person is now on (also after an error: where they are)."""
    conversation = services.load(conversation_id)
    if conversation is not None:
        with_history = not result.ok and result.error == "not_current"
        emit("turn", services.turn_for(conversation, with_history=with_history))
    if result.ok:
        return {"ok": True, "duplicate": result.duplicate} if result.duplicate else {"ok": True}
    return {"ok": False, "error": error_message(result.error), "code": result.error}


@socketio.on("answer", namespace=NAMESPACE)
def on_answer(data=None):
    """Store an answer: acknowledged only after it is committed."""
    conversation_id = session.get("conversation_id")
    if conversation_id is None:
        return {"ok": False, "error": refused_message(), "code": "closed"}
    if not isinstance(data, dict) or "value" not in data:
        return {"ok": False, "error": error_message("malformed"), "code": "malformed"}
    result = services.answer(conversation_id, data.get("id"), data.get("step"), data.get("value"))
    if not result.ok and result.error in ("malformed", "closed"):
        return {"ok": False, "error": error_message(result.error), "code": result.error}
    if not result.ok and result.error != "not_current":
        # Bad input changes nothing and needs no new turn: the question is still on screen.
        return {"ok": False, "error": error_message(result.error), "code": result.error}
    return _reply(result, conversation_id)


@socketio.on("back", namespace=NAMESPACE)
def on_back(data=None):
    """Go back one question; its earlier answer comes with the turn."""
    conversation = _open_conversation()
    if conversation is None:
        return {"ok": False, "error": refused_message(), "code": "closed"}
    return _reply(services.back(conversation.id), conversation.id)


@socketio.on("change", namespace=NAMESPACE)
def on_change(data=None):
    """From "check your answers", open one answer to change."""
    conversation = _open_conversation()
    if conversation is None:
        return {"ok": False, "error": refused_message(), "code": "closed"}
    step = data.get("step") if isinstance(data, dict) else None
    return _reply(services.change(conversation.id, step), conversation.id)


@socketio.on("resume", namespace=NAMESPACE)
def on_resume(data=None):
    """Send the current turn again, with what was said so far (a client that lost its place)."""
    conversation = _open_conversation()
    if conversation is None:
        return {"ok": False, "error": refused_message(), "code": "closed"}
    emit("turn", services.turn_for(conversation, with_history=True))
    return {"ok": True}
