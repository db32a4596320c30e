"""Side effects after a commit: socket pushes to staff pages and to the person's pages, and waking the
mail sender.

A service records what should happen while it writes: ``emit_after_commit`` for a Socket.IO message,
``after_commit(session, fn)`` for anything else. It happens only once the transaction that wrote it
has committed, and is dropped if it rolls back. So a staff page never hears of a signal that was not
saved, and the sender never looks for a row it cannot see. Services describe the message (plain
values captured beforehand: the session cannot be used in a callback); only this module sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "after_commit"

STAFF_NAMESPACE = "/staff"
CHAT_NAMESPACE = "/chat"


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` after this session's current transaction commits."""
    session.info.setdefault(_KEY, []).append(fn)


def emit_after_commit(name: str, payload: dict, namespace: str, rooms: Sequence[str]) -> None:
    """Send one Socket.IO event to these rooms once the current transaction commits."""
    from . import db, socketio

    rooms = list(rooms)

    def send() -> None:
        if rooms:
            socketio.emit(name, payload, namespace=namespace, to=rooms)

    after_commit(db.session(), send)


def staff_room(session_id: int) -> str:
    """The /staff room of one sign-in: its sign-out, and the signals it may hear, are sent here."""
    return f"staff-session-{session_id}"


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    for fn in session.info.pop(_KEY, []):
        try:
            fn()
        except Exception as exc:  # a push that fails must never undo or fail what was saved
            log.error("after-commit side effect failed: %s", type(exc).__name__)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
