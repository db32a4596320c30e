"""What every Socket.IO namespace checks before a handler runs: at most one argument, no client
event by a reserved name, and malformed packets noted in one short line, rate-limited."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from flask import request

log = logging.getLogger(__name__)

# A malformed packet is noted in one short line (the event's name, never its content), at most once
# a minute per process: a client that sends them in a loop cannot fill the log.
MALFORMED_LOG_EVERY = 60.0
_malformed_lock = threading.Lock()
_malformed_last = [float("-inf")]


def note_malformed(what: str, logger: logging.Logger = log) -> None:
    """One short line in ``logger`` (the namespace's own), unless one was written this minute."""
    with _malformed_lock:
        now = time.monotonic()
        if now - _malformed_last[0] < MALFORMED_LOG_EVERY:
            return
        _malformed_last[0] = now
    logger.warning("malformed packet ignored (%s)", what)


def one_argument(refusal: Callable[[], dict], logger: logging.Logger = log):
    """An event takes at most one argument: more is answered with ``refusal()`` (not a TypeError
    logged as a failure), and the handler is not run."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(*args):
            if len(args) > 1:
                note_malformed(f"{handler.__name__}: {len(args)} arguments", logger)
                return refusal()
            return handler(*args)

        return wrapper

    return decorate


def emitted_by_the_client() -> bool:
    """Whether this "connect" is an event the client emitted by that reserved name (Flask-SocketIO
    would run the connect handler for it), not the namespace's own connection: python-socketio
    passes a real connection the WSGI environ first."""
    args = (getattr(request, "event", None) or {}).get("args") or ()
    return not args or args[0] is not request.environ
