"""Socket.IO namespace ``/chat``: a thin layer between the wire and the services.

Every connection is authenticated: by its access code, or by the browser session the code opened
(our own page). Every event loads the conversation again and checks it may still be used, so a
revoked invitation, "Exit this page" or an idle time-out stops it at once: the event is refused
with ``code: "closed"`` (the socket stays up so that the refusal is heard).
"""

from __future__ import annotations

import functools
import logging
import time

from flask import current_app, g, session
from flask_socketio import ConnectionRefusedError, emit, join_room
from sqlalchemy.orm.exc import StaleDataError

from .. import db, socketio
from .. import socket_guards as guards
from ..database import BUSY, busy_log, slots_log
from ..i18n import template_gettext, translating
from . import preferences, services, sessions
from .messages import error_message, refused_message

NAMESPACE = "/chat"
log = logging.getLogger(__name__)


def note_malformed(what: str) -> None:
    guards.note_malformed(what, log)


def _one_argument(handler):
    """An event takes at most one argument: more is ``malformed``, and the handler is not run."""
    return guards.one_argument(lambda: _refused("malformed"), log)(handler)


def _admitted(handler):
    """The handler runs in one of the process's event slots (``socket_guards.EventSlots``), or the
    event is refused at once as ``unavailable`` (nothing saved, the person told so) when none comes
    free in time.

    All an event's waits end within twice ``DB_WAIT_SECONDS`` of its arrival (``g.waits_end``): the
    slot and a database connection take at most one each, and the write turn gets what is left
    (``database.WriteTurns``). Refused within a second with the defaults, as the README says."""

    @functools.wraps(handler)
    def wrapper(*args):
        g.waits_end = time.monotonic() + 2 * current_app.config["DB_WAIT_SECONDS"]
        with current_app.extensions["event_slots"].held() as got:
            if not got:
                slots_log.note(log, TimeoutError("no event slot"))  # counted, a line now and then
                return _refused("unavailable")
            return handler(*args)

    return wrapper


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Authenticate, then send the current turn with what was said so far.

    Other clients send the access code in ``auth``. Our own page sends none: its signed session
    cookie names the conversation and its browser-session token, so the code never sits in the page.
    """
    if guards.emitted_by_the_client():
        note_malformed("reserved event name")
        return None  # ignored: the connection stays as it was
    code = auth.get("code") if isinstance(auth, dict) else None
    if code is not None:
        from . import throttle  # wrong codes are counted per address and in total, as on the pages

        if not throttle.may_try():
            log.info("chat connection refused: too many wrong codes")
            raise ConnectionRefusedError(throttle.too_many_tries())
        conversation = services.open_by_code(code)
        if conversation is None:
            throttle.wrong_code()
        token = None
    else:
        conversation = services.load(session.get("conversation_id"))
        token = session.get("token")
        if not sessions.valid(conversation, token):
            conversation = None
    if conversation is None:
        log.info("chat connection refused")
        raise ConnectionRefusedError(refused_message())
    # This socket's own session (a copy of the cookie's): what later events are checked against.
    session.clear()
    session["conversation_id"], session["token"] = conversation.id, token
    join_room(sessions.room(conversation.id))
    emit("turn", _turn(conversation, with_history=True))


@socketio.on_error(NAMESPACE)
def on_error(exc):
    """Any unexpected failure: roll back, log its type only, and tell the client calmly."""
    db.session.rollback()
    if isinstance(exc, StaleDataError):
        # Another tab or device moved the conversation on first (a language or settings change
        # racing an answer): nothing of this event was written. Not a failure: ``busy``, calmly.
        return _refused("busy")
    if isinstance(exc, BUSY):
        busy_log.note(log, exc)  # overload: counted, one line now and then
    else:
        log.error("chat event failed: %s", type(exc).__name__)
    return {"ok": False, "error": error_message("unavailable"), "code": "unavailable"}


def _turn(conversation, with_history: bool = False) -> dict:
    """The turn for the wire: the service's payload, and its card drawn by the page's own template."""
    turn = services.turn_for(conversation, with_history=with_history)
    language = conversation.language

    def draw() -> str:
        with translating(language) as tr:
            # The card by Jinja directly, not render_template: it needs none of what the context
            # processors add to a page (the page's language list, the signed-in member of staff,
            # the reading settings), and running them and the template signals was a tenth of the
            # card's cost, paid on every answer. Its url_for and csrf_token are the environment's;
            # its gettext looks in the conversation's catalogue directly (``template_gettext``).
            card = current_app.jinja_env.get_template("_card.html")
            return card.render(turn=turn, live=True, gettext=template_gettext(tr))

    # The history is not drawn on the card: a turn sent with it draws the same card as without.
    drawn_from = {key: value for key, value in turn.items() if key != "history"}
    turn["card"] = current_app.extensions["cards"].card(drawn_from, language, draw)
    return turn


def _conversation():
    """The socket's conversation if it may still be used (and the activity noted), else None."""
    conversation = services.load(session.get("conversation_id"))
    token = session.get("token")
    usable = sessions.valid(conversation, token) if token else services.is_open(conversation)
    if not usable:
        return None
    g.page_lang = conversation.language  # acknowledgements speak the conversation's language
    sessions.touch(conversation)
    return conversation


def _closed() -> dict:
    return {"ok": False, "error": error_message("closed"), "code": "closed"}


def _refused(code: str) -> dict:
    return {"ok": False, "error": error_message(code), "code": code}


def _reply(result: services.Result, conversation_id: int, with_history: bool = False, loaded=None) -> dict:
    """Acknowledge, then send the turn the person is now on (also after an error: where they are).
    ``loaded``: the conversation as this event has just saved it, if nothing has expired it since."""
    if services.still_loaded(loaded, conversation_id):
        conversation = loaded
    else:
        conversation = services.load(conversation_id)
    if conversation is not None:
        g.page_lang = conversation.language
        history = with_history or (not result.ok and result.error in ("not_current", "conflict"))
        emit("turn", _turn(conversation, with_history=history))
    if result.ok:
        return {"ok": True, "duplicate": result.duplicate} if result.duplicate else {"ok": True}
    return _refused(result.error)


@socketio.on("answer", namespace=NAMESPACE)
@_one_argument
@_admitted
def on_answer(data=None):
    """Store an answer: acknowledged only after it is committed."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    if not isinstance(data, dict) or "value" not in data:
        return _refused("malformed")
    conversation_id = conversation.id  # read before the commit expires the row (no reload for it)
    result = services.answer(
        conversation_id,
        data.get("id"),
        data.get("step"),
        data.get("value"),
        loaded=conversation,
        view=data.get("view"),  # a representative's "Whose view is this answer?"; absent: the conversation's
    )
    if not result.ok and result.error not in ("not_current", "conflict"):
        # Bad input changes nothing and needs no new turn: the question is still on screen. A stale
        # step, or an id already sent differently, is a client that lost its place: where it is now.
        return _refused(result.error)
    return _reply(result, conversation_id, loaded=conversation if result.ok else None)


@socketio.on("back", namespace=NAMESPACE)
@_one_argument
@_admitted
def on_back(data=None):
    """Go back one question; its earlier answer comes with the turn."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    conversation_id = conversation.id
    return _reply(services.back(conversation_id), conversation_id)


@socketio.on("change", namespace=NAMESPACE)
@_one_argument
@_admitted
def on_change(data=None):
    """From "check your answers", open one answer to change."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    step = data.get("step") if isinstance(data, dict) else None
    conversation_id = conversation.id
    return _reply(services.change(conversation_id, step), conversation_id)


@socketio.on("resume", namespace=NAMESPACE)
@_one_argument
@_admitted
def on_resume(data=None):
    """Send the current turn again, with what was said so far (a client that lost its place)."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    emit("turn", _turn(conversation, with_history=True))
    return {"ok": True}


@socketio.on("language", namespace=NAMESPACE)
@_one_argument
@_admitted
def on_language(data=None):
    """Speak another language: the current question is asked again in it, with the history."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    lang = data.get("lang") if isinstance(data, dict) else None
    result = preferences.set_language(conversation.id, lang)
    if not result.ok:
        return _refused(result.error)
    return _reply(result, conversation.id, with_history=True)


@socketio.on("settings", namespace=NAMESPACE)
@_one_argument
@_admitted
def on_settings(data=None):
    """Easy Read, text size, high contrast: the turn is sent again as it now reads."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    result = preferences.change_settings(conversation.id, data)
    if not result.ok:
        return _refused(result.error)
    return _reply(result, conversation.id, with_history=True)


@socketio.on("help", namespace=NAMESPACE)
@_one_argument
def on_help(data=None):
    """ "I need help now": an urgent signal for the team; the contacts and what is true of the
    message (``notice``) come back in the acknowledgement, the contacts even if it was not saved."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    easy_read = bool(conversation.easy_read)
    result = preferences.ask_for_help(conversation.id)
    if not result.ok and result.error == "closed":
        return _refused(result.error)
    reply = {
        "ok": result.ok,
        "contacts": preferences.help_contacts(),
        "notice": preferences.help_notice(result, easy_read),
    }
    if not result.ok:
        reply.update(error=error_message(result.error), code=result.error)
    return reply


@socketio.on("more_time", namespace=NAMESPACE)
@_one_argument
def on_more_time(data=None):
    """ "I need more time": the idle clock starts again (``_conversation`` notes the activity).
    Never waits for an event slot: the page restarts its own clock at once, and the server's must
    restart with it, or the session could end sooner than the page says."""
    conversation = _conversation()
    if conversation is None:
        return _closed()
    return {"ok": True, "idle_seconds": int(sessions.idle_limit().total_seconds())}


@socketio.on("exit", namespace=NAMESPACE)
@_one_argument
def on_exit(data=None):
    """ "Exit this page": end the browser session everywhere. The answers stay."""
    conversation = services.load(session.get("conversation_id"))
    if conversation is not None and session.get("token"):
        sessions.end(conversation, reason="exit")
    session.clear()
    return {"ok": True}
