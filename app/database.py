"""The database engine: a bounded pool that fails fast, and SQLite tuned for one process's threads.

- ``DB_POOL_SIZE`` connections and no more; a request that cannot have one within
  ``DB_WAIT_SECONDS`` fails at once (``unavailable``, or the 503 page) instead of queueing for 30 s.
- SQLite: WAL, foreign keys, and one writer at a time handed over in this process (``WriteTurns``).
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from flask import current_app, g
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


class Database(SQLAlchemy):
    def _make_engine(self, bind_key, options, app):
        # Flask-SQLAlchemy builds engines with engine_from_config, which reads pool_timeout as a
        # whole number of seconds: DB_WAIT_SECONDS=0.5 became 0, and a request found the pool busy
        # failed at once instead of waiting. create_engine takes the options as they are.
        options = dict(options)
        return sa.create_engine(options.pop("url"), **options)


def engine_options(config) -> dict:
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return options  # an in-memory database is one connection per thread: no pool to size
    options.setdefault("pool_size", config["DB_POOL_SIZE"])
    options.setdefault("max_overflow", 0)
    options.setdefault("pool_timeout", config["DB_WAIT_SECONDS"])
    # The connection used last is handed out next, not the one idle longest: under light load a few
    # connections do all the work and stay warm (SQLite's page cache, PostgreSQL's backend), and
    # the rest sit idle instead of each being revived in turn.
    options.setdefault("pool_use_lifo", True)
    if url.get_backend_name() == "sqlite":
        # The sqlite3 module's own wait for a lock (5 s by default), as PRAGMA busy_timeout below.
        options.setdefault("connect_args", {"timeout": config["DB_WAIT_SECONDS"]})
    else:
        # A server's connection can drop while idle in the pool: checked before use.
        options.setdefault("pool_pre_ping", True)
        wait_ms = int(config["DB_WAIT_SECONDS"] * 1000)
        # A row another request holds is waited for this long, then the request answers unavailable.
        options.setdefault("connect_args", {"options": f"-c lock_timeout={wait_ms}"})
    return options


def event_slots(config) -> int:
    """How many chat events of a process do their work at once (``EVENT_SLOTS``; unset, by database).

    SQLite: one. Every chat event writes, and SQLite writes one at a time (``WriteTurns``), so a
    second event at work only shares the interpreter with the first: Python runs one thread at a
    time, and each of the many moments an event lets it go (each statement, the commit) handed it
    to another event's thread and back. Served flat out, one at a time saved 405-411 answers a
    second at 2.3 ms of CPU each, four at a time 378-381 at 2.6 ms; at 400 conversations p99 was
    185-212 ms against 333-400 ms. A database server: four, so that one event's wait on the network
    is another's time to work (on this machine's own PostgreSQL the two were alike)."""
    slots = config.get("EVENT_SLOTS")
    if slots is not None:
        return slots
    return 1 if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite" else 4


def tune_sqlite(engine, wait_seconds: float) -> None:
    """WAL lets readers and one writer work together; foreign keys are off by default in SQLite.
    A writer waits ``wait_seconds`` for another's lock before giving up (``unavailable``)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left readable in the file's free pages: what
        # retention or an erasure removes is gone from the file too.
        cursor.execute("PRAGMA secure_delete=ON")
        busy_ms = max(int(wait_seconds * 1000) // 50 * 50, 50)
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        record.info["busy_timeout_ms"] = busy_ms
        cursor.close()

    engine.dispose()  # connections made before the listener existed would miss the pragmas


class WriteTurns:
    """SQLite has one writer at a time. Left to itself, a writer that finds the file locked sleeps
    and polls (1, 2, 5 … 100 ms), so under load the lock sits free while writers sleep, answers
    queue and some wait past ``DB_WAIT_SECONDS``. Here the writers of this process take turns on a
    lock instead, handed to the next the moment a transaction ends: from its first write (a flush
    or an UPDATE) to its commit or rollback. Reads never wait for it.

    Other processes on the same file (a command, a second server) still meet SQLite's own lock."""

    def __init__(self):
        self._lock = threading.Lock()

    def take(self, session: Session) -> None:
        """Wait for the turn, then for SQLite's own lock (held by another process, if any): both
        within one ``DB_WAIT_SECONDS``, so a write never waits longer than that in all."""
        if session.info.get("write_turn") or not _is_sqlite(session):
            return
        started = time.monotonic()
        wait = current_app.config["DB_WAIT_SECONDS"]
        # A chat event that waited for its slot (app.socket_guards.EventSlots) waits only for what
        # is left of its budget (``g.waits_end``), so that it is still answered within a second.
        ends = g.get("waits_end")
        if ends is not None:
            wait = max(0.0, min(wait, ends - started))
        if not self._lock.acquire(timeout=wait):
            raise sa.exc.TimeoutError(f"no turn to write within {wait} s")
        session.info["write_turn"] = True
        set_busy_timeout(session.connection().connection, wait - (time.monotonic() - started))

    def give_back(self, session: Session) -> None:
        if session.info.pop("write_turn", False):
            self._lock.release()


def set_busy_timeout(fairy, seconds: float) -> None:
    """SQLite's own wait for another process's lock, on this pooled connection: what is left of the
    budget, in steps of 50 ms, and written only when it changes (most writes never wait for the
    turn, so the connection keeps its full budget and no statement is sent)."""
    ms = max(int(seconds * 1000) // 50 * 50, 50)
    if fairy.info.get("busy_timeout_ms") != ms:
        fairy.driver_connection.execute(f"PRAGMA busy_timeout={ms}")
        fairy.info["busy_timeout_ms"] = ms


def _is_sqlite(session: Session) -> bool:
    bind = session.get_bind()
    return bind is not None and bind.dialect.name == "sqlite"


write_turns = WriteTurns()
_hooked: list = []  # the session factories already hooked


def take_turns(db: SQLAlchemy) -> None:
    """Hook ``write_turns`` into every session of ``db`` (once, however many apps are made)."""
    factory = db.session.session_factory
    if factory in _hooked:
        return
    _hooked.append(factory)

    @event.listens_for(factory, "before_flush")
    def _before_flush(session, _context, _instances):
        if session.new or session.dirty or session.deleted:
            write_turns.take(session)

    @event.listens_for(factory, "do_orm_execute")
    def _before_write(state):
        if state.is_insert or state.is_update or state.is_delete:
            write_turns.take(state.session)

    @event.listens_for(factory, "after_transaction_end")
    def _after_transaction(session, transaction):
        if transaction.parent is None:
            write_turns.give_back(session)


class BusyLog:
    """Refusals because the database was busy (no connection or lock in time), logged as one
    warning per ``every`` seconds with their count, not one line each: under overload every
    refused answer would otherwise write its own line, thousands a minute."""

    def __init__(self, every: float = 10.0, what: str = "database busy"):
        self.every = every
        self.what = what
        self._lock = threading.Lock()
        self._count = 0
        self._last = float("-inf")

    def note(self, logger, exc: BaseException) -> None:
        with self._lock:
            self._count += 1
            now = time.monotonic()
            if now - self._last < self.every:
                return
            count, self._count, self._last = self._count, 0, now
        name = type(exc).__name__
        logger.warning("%s: %d request(s) refused since the last note (%s)", self.what, count, name)


busy_log = BusyLog()
# Socket.IO events refused because every event slot stayed taken (app.socket_guards.EventSlots).
slots_log = BusyLog(what="server busy")
BUSY = (sa.exc.TimeoutError, sa.exc.OperationalError)
