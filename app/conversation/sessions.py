"""The person's browser session: opened by their code, ended by "Exit this page" or by idling.

The session cookie names the conversation and carries a token; the token also lives on the
conversation row. Ending a session clears the row's token, so the cookie stops working on every
device and in every server process at once, and nothing about it is held in memory.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import db
from ..clock import aware, utcnow
from ..events import CHAT_NAMESPACE, emit_after_commit
from ..models import Conversation
from .rows import keep
from .services import is_open

NAMESPACE = CHAT_NAMESPACE

# Activity is written at most this often: an answer a few seconds after the last one need not cost a
# commit of its own (the idle limit is minutes, so the clock is at most this much behind).
TOUCH_EVERY = timedelta(seconds=30)


def room(conversation_id: int) -> str:
    """The Socket.IO room every connection to one conversation joins."""
    return f"conversation-{conversation_id}"


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def begin(conversation: Conversation) -> str:
    """Open (or join) the conversation's browser session and return its token.

    Plain UPDATEs that leave the row's version alone (as ``touch`` and ``end``): two tabs opening
    the link at once both join one session (the first token written wins), and neither collides
    with an answer being saved at that moment."""
    row = Conversation.id == conversation.id
    db.session.execute(
        update(Conversation)
        .where(row, Conversation.session_token.is_(None))
        .values(session_token=secrets.token_urlsafe(24))
    )
    now = utcnow()
    db.session.execute(update(Conversation).where(row).values(seen_at=now))
    token = db.session.scalar(select(Conversation.session_token).where(row))
    db.session.commit()
    keep(conversation, session_token=token, seen_at=now)
    return token


def open_in(cookie: MutableMapping, conversation: Conversation) -> None:
    """Open the conversation's browser session in this cookie session, cleared first (no fixation)."""
    token = begin(conversation)
    cookie.clear()
    cookie["conversation_id"], cookie["token"] = conversation.id, token
    cookie["lang"] = conversation.language


def is_idle(conversation: Conversation) -> bool:
    """Idle for longer than the limit. ``seen_at`` may be up to ``TOUCH_EVERY`` behind the last
    activity (``touch``), so that much is allowed on top: the session never ends before the limit
    the page counts down to (from its own last activity), at most that much after it."""
    seen = aware(conversation.seen_at)
    return seen is not None and utcnow() - seen > idle_limit() + TOUCH_EVERY


def valid(conversation: Conversation | None, token: str | None) -> bool:
    """Whether a browser session may still use this conversation; an idle one is ended here."""
    if not is_open(conversation) or not token or conversation.session_token is None:
        return False
    if not secrets.compare_digest(conversation.session_token, token):
        return False
    if is_idle(conversation):
        end(conversation, reason="timeout")
        return False
    return True


def touch(conversation: Conversation) -> None:
    """Note activity (an answer, a page, "I need more time"): the idle clock starts again.

    Written as a plain UPDATE that leaves the row's version alone: noting that someone is here must
    never collide with their answer or settings being saved at the same moment from another tab or
    socket (the version check would fail one of them, and a page would break on a refresh).

    Not written when the last noted activity is under ``TOUCH_EVERY`` old: nothing meaningful changes,
    and every event (each answer) would otherwise pay a commit of its own for it."""
    now = utcnow()
    seen = aware(conversation.seen_at)
    if seen is not None and timedelta(0) <= now - seen < TOUCH_EVERY:
        return
    db.session.execute(update(Conversation).where(Conversation.id == conversation.id).values(seen_at=now))
    keep(conversation, seen_at=now)
    db.session.commit()


def end(conversation: Conversation, reason: str = "exit") -> None:
    """End the browser session everywhere; the answers stay. Open sockets are told to leave.

    A plain UPDATE, version untouched: leaving must work even while an answer is being saved from
    another tab, and that answer (sent before the exit) is still stored."""
    row = Conversation.id == conversation.id
    db.session.execute(update(Conversation).where(row).values(session_token=None))
    emit_after_commit("ended", {"reason": reason}, NAMESPACE, [room(conversation.id)])
    db.session.commit()
    keep(conversation, session_token=None)
