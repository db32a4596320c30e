"""The production server: gunicorn, one process, a bounded pool of threads, WebSockets on them.

``flask --app app serve`` (and ``make run``'s demo) call ``run``. It is Flask-SocketIO's threading
deployment (its guide: ``gunicorn -w 1 --threads N``): each request, and each open WebSocket for its
whole life, holds one of ``SERVER_THREADS`` threads; simple-websocket takes the socket over from
gunicorn. Socket.IO events run on their connection's own thread (``async_handlers=False`` in the
factory) rather than one new thread per event, so the threads stay bounded under load.

One process only: Socket.IO's long-polling sends each request of a session to whichever process the
proxy picks, so more processes are more ``serve`` commands on more ports behind a proxy with sticky
sessions, sharing PostgreSQL and the Redis message queue (README, "Production").

What a person could lose at a restart is what matters here, so SIGTERM is graceful: the process stops
taking connections, lets every Socket.IO event in progress finish (an answer being saved is saved
and acknowledged), then closes the sockets, whose clients reconnect to the next process and resume.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger(__name__)
requests_log = logging.getLogger("app.requests")


class InFlight:
    """How many Socket.IO events are being handled now; ``wait_idle`` waits for none."""

    def __init__(self):
        self._count = 0
        self._changed = threading.Condition()

    def __enter__(self):
        with self._changed:
            self._count += 1

    def __exit__(self, *exc):
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout=timeout)


in_flight = InFlight()


def count_events(eio) -> None:
    """Count every Engine.IO connect and message (each Socket.IO event) while it is handled."""

    for name in ("connect", "message"):
        handler = eio.handlers.get(name)
        if handler is None or getattr(handler, "counted", False):
            continue

        def counted(*args, _handler=handler, **kwargs):
            with in_flight:
                return _handler(*args, **kwargs)

        counted.counted = True
        eio.on(name, counted)


def drain(grace: float) -> None:
    """Let the events in progress finish, then close every socket (its client will reconnect)."""
    from . import socketio

    finished = in_flight.wait_idle(timeout=max(grace - 2, 0.5))
    eio = socketio.server.eio
    # Said before the sockets close, not after: their closing lets the worker exit, and a busy
    # machine ended the process (this thread with it) before the line was written.
    log.info(
        "shutting down: closing %d socket(s), %s",
        len(eio.sockets),
        "events in progress finished" if finished else "events still in progress at the grace limit",
    )
    eio.disconnect()


class Worker(ThreadWorker):
    """gunicorn's thread worker, with a SIGTERM that also ends the long-lived WebSockets."""

    draining = False

    def handle_exit(self, sig, frame):
        if not self.draining:
            self.draining = True
            # Not in the signal handler itself: draining waits.
            threading.Thread(target=drain, args=(self.cfg.graceful_timeout,), daemon=True).start()
        super().handle_exit(sig, frame)

    # gunicorn 25's stop waits for every connection, idle keep-alive ones too, and checks them only
    # when its wait (the whole grace) ends: one browser or proxy holding an idle connection kept a
    # stopping process up for SHUTDOWN_GRACE_SECONDS, then had it killed. Stopping, it looks twice
    # a second, and an idle connection is closed rather than waited for.

    def wait_for_and_dispatch_events(self, timeout):
        super().wait_for_and_dispatch_events(timeout if self.alive else min(timeout, 0.5))

    def murder_keepalived(self):
        if not self.alive:
            for conn in self.keepalived_conns:
                conn.timeout = 0  # expired: closed below, as an idle connection past its time
        super().murder_keepalived()


class RequestLog:
    """One line per request, without personal data: the method, the route as written in the code
    (``/s/<code>``, never the code itself), the status and the time taken. No address, no query."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = []

        def recording_start_response(status_line, headers, exc_info=None):
            status.append(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        # A dict rather than a key: Flask-SocketIO hands Flask a copy of the environ, and the copy
        # shares this dict with us.
        environ["msp.log"] = noted = {}
        try:
            return self.wsgi_app(environ, recording_start_response)
        finally:
            requests_log.info(
                "%s %s %s %.1fms",
                environ.get("REQUEST_METHOD", "-"),
                route_of(environ, noted),
                status[0] if status else "101",  # a WebSocket answers its upgrade itself
                (time.perf_counter() - started) * 1000,
            )


def note_route() -> None:
    """Before each Flask request: note the matched route's pattern for ``RequestLog``."""
    from flask import request

    noted = request.environ.get("msp.log")
    if noted is not None and request.url_rule is not None:
        noted["route"] = request.url_rule.rule


def route_of(environ, noted: dict) -> str:
    """The route's pattern, as ``note_route`` noted it; Socket.IO's requests by their transport."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/socket.io"):
        upgrade = environ.get("HTTP_UPGRADE", "").lower() == "websocket"
        return "/socket.io/ (websocket)" if upgrade else "/socket.io/ (polling)"
    return noted.get("route", "(no route)")


class WebSocketLimit:
    """Refuse a WebSocket at once (503) when the open ones would leave too few threads for pages.

    Without it, connection number ``SERVER_THREADS + 1`` would wait, unanswered, for a thread to
    free: the page would hang rather than say it cannot connect (the chat page then retries)."""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app = wsgi_app
        self.limit = limit
        self.open = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            return self.wsgi_app(environ, start_response)
        with self._lock:
            admitted = self.open < self.limit
            if admitted:
                self.open += 1
        if not admitted:
            start_response("503 Service Unavailable", [("Retry-After", "5"), ("Content-Length", "0")])
            return [b""]
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            with self._lock:
                self.open -= 1


def websocket_limit(threads: int) -> int:
    """WebSockets allowed at once: every thread but a tenth (at least 4) kept for pages and polls."""
    return max(threads - max(threads // 10, 4), 1)


class Server(BaseApplication):
    """gunicorn, configured here rather than in a file: the settings come from the app's config."""

    def __init__(self, app, host: str, port: int):
        self.application = app
        self.host, self.port = host, port
        super().__init__()

    def load_config(self):
        config = self.application.config
        threads = config["SERVER_THREADS"]
        options = {
            "bind": f"{self.host}:{self.port}",
            "workers": 1,
            "worker_class": Worker,
            "threads": threads,
            # Connections waiting in keep-alive on top of the busy threads.
            "worker_connections": threads + 100,
            "graceful_timeout": config["SHUTDOWN_GRACE_SECONDS"],
            "keepalive": 5,
            # The app is built (and the schema brought up to date) once, before the worker starts.
            "preload_app": True,
            "post_fork": _post_fork,
            # Our own request line (RequestLog) instead of gunicorn's, which logs the full URL.
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            # Forwarded headers are ProxyFix's job (TRUSTED_PROXIES), in one place: gunicorn trusts none.
            "forwarded_allow_ips": "",
            "proc_name": "msp-feedback",
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 25 and later
            # Its control socket (one path per user) is not used, and every server on the machine
            # would share it.
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def _post_fork(_arbiter, worker) -> None:
    """In the worker process: fresh database connections (none shared with the parent across the
    fork), and this process's mail sender, escalation check and retention sweep."""
    from . import db
    from . import worker as sender

    app = worker.app.application
    with app.app_context():
        db.engine.dispose(close=False)
    # Everything built so far (the app, its dialogues, templates and translations: about 160,000
    # objects) lives as long as the process. Frozen out of the garbage collector's view, a full
    # collection no longer walks them all: it took about 60 ms, with every answer in flight waiting.
    gc.freeze()
    sender.start(app)  # the mail sender and the retention sweep, each if its setting is on


def run(app, host: str, port: int) -> None:
    """Serve ``app`` on ``host:port`` until SIGTERM or SIGINT."""
    from . import db, socketio

    # The app's own lines from INFO (one per request, refusals, shutdown); libraries' from WARNING
    # (transitions, for one, narrates every callback at INFO).
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("app").setLevel(logging.INFO)
    count_events(socketio.server.eio)
    # The log outside the limit, so that a refused WebSocket has its line too.
    app.wsgi_app = RequestLog(WebSocketLimit(app.wsgi_app, websocket_limit(app.config["SERVER_THREADS"])))
    with app.app_context():
        db.engine.dispose()  # the parent's connections are not carried into the worker
    Server(app, host, port).run()
