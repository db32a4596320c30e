"""Socket.IO namespace ``/chat``: a thin layer between the wire and ``services``.

Every connection is authenticated by its access code; every event loads the conversation again and
checks it is still open, so a revoked or expired invitation stops working at once.
"""

from __future__ import annotations

import logging

from flask import session
from flask_socketio import ConnectionRefusedError, disconnect, emit

from .. import socketio
from . import services
from .messages import error_message, refused_message

NAMESPACE = "/chat"
log = logging.getLogger(__name__)


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Authenticate by code, then send the current turn with what was said so far."""
    code = auth.get("code") if isinstance(auth, dict) else None
    conversation = services.open_by_code(code)
    if conversation is None:
        log.info("chat connection refused")
        raise ConnectionRefusedError(refused_message())
    session["conversation_id"] = conversation.id
    emit("turn", services.turn_for(conversation, with_history=True))


def _open_conversation():
    """The socket's conversation if it may still be used; otherwise end the socket."""
    conversation = services.load(session.get("conversation_id"))
    if not services.is_open(conversation):
        disconnect()
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
        if result.error == "closed":
            disconnect()
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
