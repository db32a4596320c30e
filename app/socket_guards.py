"""What every Socket.IO namespace checks before a handler runs: at most one argument, no client
event by a reserved name, and malformed packets noted in one short line, rate-limited."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import request
from socketio import packet as socketio_packet

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


class EventSlots:
    """How many Socket.IO events of this process do their work at once: ``slots``, and an event
    that cannot have one within ``wait`` seconds is refused at once (``unavailable``), having done
    nothing. Without it, past what the process can serve, every open conversation's thread worked
    at once: hundreds of threads sharing one interpreter took turns so finely that each held its
    database connection and write turn for longer than the others could wait, most events ran
    halfway and were refused anyway, and the answers saved per second fell to a fraction of what a
    few at a time achieve. A waiting thread sleeps until a slot is handed to it.

    First come, first served: a slot that comes free goes to the longest waiting event, never to
    one that has just arrived (``threading.Semaphore`` lets a newcomer take it first, and under
    load some events waited past ``wait`` behind later ones)."""

    def __init__(self, slots: int, wait: float):
        self.slots = slots
        self.wait = wait
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    @contextmanager
    def held(self) -> Iterator[bool]:
        """True with a slot held for the block, False if none came to it in time."""
        if self.slots <= 0:
            yield True
            return
        got = self._acquire()
        try:
            yield got
        finally:
            if got:
                self._release()

    def _acquire(self) -> bool:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return True
            handed = threading.Lock()
            handed.acquire()
            self._waiting.append(handed)
        if handed.acquire(timeout=self.wait):
            return True  # a finishing event handed its slot over
        with self._lock:
            try:
                self._waiting.remove(handed)
            except ValueError:
                return True  # handed over just as the wait ran out: it is ours
            return False

    def _release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()  # the slot passes on, still taken
            else:
                self._free += 1


def emitted_by_the_client() -> bool:
    """Whether this "connect" is an event the client emitted by that reserved name (Flask-SocketIO
    would run the connect handler for it), not the namespace's own connection: python-socketio
    passes a real connection the WSGI environ first."""
    args = (getattr(request, "event", None) or {}).get("args") or ()
    return not args or args[0] is not request.environ


class JSONPackets(socketio_packet.Packet):
    """Socket.IO's packets as this app sends them: JSON only (README, "Chat protocol").

    python-socketio walks every outgoing packet's whole payload to see whether it holds bytes, to
    send it as a binary event with attachments. Nothing here ever sends bytes, and a turn is a deep
    payload (its options, the review's answers, the history): the walk was a fiftieth of a turn's
    cost. Given to the server as its ``serializer``, the documented way to change how packets are
    encoded. Incoming packets are decoded exactly as before (a client's binary event included)."""

    uses_binary_events = False


# -- below Socket.IO: the Engine.IO connection itself ----------------------------------------------

ENGINE_IO_TYPES = "0123456"  # open, close, ping, pong, message, upgrade, noop


def guard_websockets(eio, limit: int) -> None:
    """This server's WebSockets, guarded below Socket.IO, where no handler of ours runs:

    - a message growing past ``limit`` bytes closes the connection with 1009 before it is read
      whole (Engine.IO checks the size only once simple-websocket has buffered all of it: a 50 MB
      frame cost 100 MB);
    - a text message that is no Engine.IO packet (empty, or not starting with a packet type) ends
      the connection quietly, noted in one short line, where Engine.IO would raise out of its
      loop and the server log a traceback."""
    websocket = eio._async.get("websocket")
    if websocket is None or getattr(websocket, "guarded", False):
        return

    class GuardedWebSocket(websocket):
        guarded = True

        def __init__(self, handler, server, **kwargs):
            super().__init__(handler, server, **{**kwargs, "max_message_size": limit})

        def __call__(self, environ, start_response):
            try:
                return super().__call__(environ, start_response)
            except OSError:
                # The client went away in the middle of Engine.IO's upgrade from polling (a page
                # left, a signal lost): Engine.IO answers the upgrade's probe on a closed socket and
                # raises, which gunicorn logged as a traceback. Ended as any closed socket is.
                if getattr(getattr(self, "ws", None), "mode", None) == "gunicorn":
                    raise StopIteration from None  # how the driver ends a finished one under gunicorn
                return []

        def wait(self):
            data = super().wait()
            if isinstance(data, str) and (not data or data[0] not in ENGINE_IO_TYPES):
                note_malformed("not an Engine.IO packet")
                return None  # as if the client had closed: the connection ends cleanly
            return data

    # Per server (a copy of the driver's table, which every server in the process shares).
    eio._async = {**eio._async, "websocket": GuardedWebSocket}


def guard_packets(eio) -> None:
    """A packet Socket.IO cannot decode or place (broken JSON, a wrong type or attachment count, a
    namespace connect on a closing connection) raises inside python-socketio, which Engine.IO logs
    as a traceback and which can leave the connection waiting for attachments that never come. Here
    it is noted in one short line and that connection is closed (the client may reconnect)."""
    handler = eio.handlers.get("message")
    if handler is None or getattr(handler, "guarded", False):
        return

    def guarded(sid, data):
        try:
            return handler(sid, data)
        except Exception as exc:  # noqa: BLE001 - whatever the decoder raised, the answer is the same
            note_malformed(f"undecodable Socket.IO packet: {type(exc).__name__}")
            try:
                eio.disconnect(sid)
            except Exception:  # noqa: BLE001 - already gone
                pass

    guarded.guarded = True
    eio.on("message", guarded)
