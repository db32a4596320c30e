"""Backups and restores of the whole database.

- SQLite (the embedded default): SQLite's online backup API copies the live file, WAL included,
  as one consistent snapshot while the servers keep writing; a restore copies a backup back the
  same way. A backup is one self-contained file, readable by its owner only.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` (PostgreSQL's
  client tools, of the server's major version or newer), the password passed in the environment,
  never on a command line another user could read in ``ps``.

A backup holds the encrypted columns encrypted: it is useless without ``DATA_KEYS``, and a stolen
backup reveals no words as long as the keys are kept apart from it. It also keeps what retention
or an erasure later removes from the live database, which is why backups must expire.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.engine import URL

from .. import db
from ..access import record
from ..migrate import alembic_config
from ..models import AuditEvent, Case, User
from . import RecordsError

# What a backup of SQLite is counted by when it is taken or checked: what the operator can
# recognise ("yesterday's had 212 cases"), not what was said.
COUNTED = ("case", "conversation", "answer", "audit_event")
# The busy wait of the backup's own connections: a writer holds the lock for milliseconds.
WAIT_SECONDS = 30


@dataclass(frozen=True)
class Backup:
    """A backup file, checked: which database it came from, the schema revision it holds, its
    size, and (SQLite) how many rows of each counted table."""

    path: Path
    kind: str  # "sqlite" or "postgresql"
    revision: str
    size: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Restored:
    """A restore done: the backup, the ids of the cases whose erasure it undid, and how many audit
    entries written after the backup was taken were carried over into the restored log."""

    backup: Backup
    undone_erasures: list[int]
    audit_carried: int = 0


def kind() -> str:
    """Which kind of database the app uses: "sqlite" or "postgresql"."""
    name = db.engine.url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise RecordsError(f"backups are made for SQLite and PostgreSQL only, not {name}")
    return name


def described() -> str:
    """The database the app uses, as the commands name it (a password never shown)."""
    url = db.engine.url
    if kind() == "sqlite":
        return f"the SQLite file {_live_file()}"
    return f"the PostgreSQL database {url.set(drivername='postgresql').render_as_string(hide_password=True)}"


def take(path: Path) -> Backup:
    """Back the database up to ``path``, a new file (an existing one is never overwritten)."""
    path = Path(path).expanduser().absolute()
    if path.exists():
        raise RecordsError(f"{path} is already there: a backup never overwrites a file. Give a new name.")
    if not path.parent.is_dir():
        raise RecordsError(f"there is no folder {path.parent}: make it first, or give another path.")
    with _partial(path) as partial:
        if kind() == "sqlite":
            _sqlite_copy(_live_file(), partial, into_live=False)
        else:
            _run("pg_dump", ["--format=custom", "--file", str(partial)])
        os.replace(partial, path)
    return inspect(path)


def inspect(path: Path) -> Backup:
    """What ``path`` holds, if it is a backup of this app's database that this version can
    restore; ``RecordsError`` saying why not otherwise."""
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise RecordsError(f"there is no file {path}.")
    if kind() == "sqlite":
        revision, counts = _sqlite_contents(path)
    else:
        revision, counts = _pg_revision(path), {}
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except Exception:
        raise RecordsError(
            f"{path} holds schema revision {revision!r}, which this version of the app does not know "
            "(a backup made by a newer version): restore it with that version."
        ) from None
    return Backup(path, kind(), revision, path.stat().st_size, counts)


def restore(path: Path, *, os_user: str | None = None) -> Restored:
    """Replace the database with the backup at ``path`` (checked first, see ``inspect``).
    Every server must be stopped first. What was erased after the backup was taken comes back:
    a case marked erased since, or removed since (by retention or an erasure). Each is returned
    and audited (``erasure_undone``), so that it can be erased again."""
    found = inspect(path)
    if found.kind == "sqlite" and _live_file().resolve() == found.path.resolve():
        raise RecordsError(f"{path} is the database itself: give a backup file.")
    before = _cases()
    # The audit log is never rolled back: what was audited after the backup was taken is written
    # again into the restored database, so a restore cannot take away the record of an access.
    later = _audit_after(_newest_audit(found))
    db.session.remove()
    db.engine.dispose()  # nothing of this process keeps the old database open
    if found.kind == "sqlite":
        _sqlite_copy(found.path, _live_file(), into_live=True)
    else:
        # One transaction: a restore that fails part way leaves the database as it was.
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
        _run("pg_restore", options, found.path)
    db.engine.dispose()
    _carry_over(later)
    after = _cases()
    undone = sorted(
        case_id
        for case_id, erased in after.items()
        if case_id not in before or (before[case_id] and not erased)
    )
    for case_id in undone:
        record(
            None,
            "erasure_undone",
            case_id,
            f"case {case_id}: back from a backup taken before it was erased; erase it again",
            via="cli",
            os_user=os_user,
        )
    db.session.commit()
    return Restored(found, undone, len(later))


def reminder(retention_months: int | None) -> list[str]:
    """What every backup and restore reminds the operator of."""
    kept = f"RETENTION_MONTHS ({retention_months} months here)" if retention_months else "RETENTION_MONTHS"
    return [
        "A backup holds the people's words and names encrypted: it is useless without DATA_KEYS,",
        "  and safe only while the keys are kept apart from it (never in the same place or archive).",
        "  Keep DATA_KEYS as long as any backup that needs them; after rotate-keys, an older backup",
        "  still needs the old key.",
        "A backup keeps what retention and erasure later remove from the live database: delete each",
        f"  backup on a fixed schedule well within {kept}, and restore only a recent one.",
    ]


# -- the audit log across a restore ----------------------------------------------------------------


def _newest_audit(found: Backup) -> datetime | None:
    """When the backup's newest audit entry was written (None: it has none)."""
    if found.kind == "sqlite":
        with closing(sqlite3.connect(f"{found.path.as_uri()}?mode=ro", uri=True)) as conn:
            written = [conn.execute("SELECT max(at) FROM audit_event").fetchone()[0]]
    else:
        written = _pg_column(found.path, "audit_event", "at")
    moments = [datetime.fromisoformat(w) for w in written if w]
    return max((m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments), default=None)


_CARRIED = ("at", "user_id", "action", "case_id", "detail", "via", "os_user")


def _audit_after(moment: datetime | None) -> list[dict]:
    """The live log's entries written after ``moment``, oldest first, as plain values (with the
    email of each entry's member of staff, in case the backup has no such account)."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if moment is not None:
        query = query.where(AuditEvent.at > moment)
    found = [
        {**{name: getattr(e, name) for name in _CARRIED}, "email": e.user.email if e.user else None}
        for e in db.session.scalars(query)
    ]
    db.session.rollback()
    return found


def _carry_over(entries: list[dict]) -> None:
    """Write ``entries`` into the restored log; an account the backup does not have is named in
    the detail instead of by id."""
    known = set(db.session.scalars(select(User.id)))
    for entry in entries:
        values = {name: entry[name] for name in _CARRIED}
        if values["user_id"] is not None and values["user_id"] not in known:
            values["detail"] = (
                f"[by {entry['email']}, an account not in the backup] {values['detail'] or ''}"[:500]
            )
            values["user_id"] = None
        db.session.add(AuditEvent(**values))
    db.session.commit()


# -- SQLite ----------------------------------------------------------------------------------------


def _live_file() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise RecordsError("the database is in memory, not a file: there is nothing to back up.")
    return Path(name).absolute()


def _sqlite_copy(source: Path, target: Path, *, into_live: bool) -> None:
    """One consistent copy with SQLite's backup API: in one step, so that the source is read in
    a single transaction (in WAL mode the servers' writers go on meanwhile, and the copy is the
    database as it was when the step began, committed transactions only)."""
    with closing(sqlite3.connect(source, timeout=WAIT_SECONDS)) as src:
        with closing(sqlite3.connect(target, timeout=WAIT_SECONDS)) as dst:
            try:
                src.backup(dst)
            except sqlite3.Error as exc:
                raise RecordsError(f"the copy failed and nothing was replaced: {exc}") from None
            if into_live:
                dst.execute("PRAGMA journal_mode=WAL")  # as the app runs it (app/database.py)
            else:
                # One self-contained file: no -wal or -shm beside it to forget.
                dst.execute("PRAGMA journal_mode=DELETE")
                if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise RecordsError("the copy does not check as sound; nothing was written at the path.")


def _sqlite_contents(path: Path) -> tuple[str, dict[str, int]]:
    """The schema revision and counted rows of an SQLite file, opened read-only."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise RecordsError(
                    f"{path} is an SQLite database, but not one of this app (no alembic_version)."
                )
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = {
                t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in COUNTED if t in tables
            }
            sound = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError as exc:
        raise RecordsError(f"{path} is not an SQLite database of this app ({exc}).") from None
    if revision is None:
        raise RecordsError(f"{path} has no schema revision: it is not a backup of this app.")
    if not sound:
        raise RecordsError(f"{path} is damaged (SQLite's quick_check fails): use another backup.")
    return revision[0], counts


@contextmanager
def _partial(path: Path) -> Iterator[Path]:
    """A new file beside ``path``, readable by its owner only, renamed into place by the caller
    when complete and removed if anything fails: a half-written backup is never at ``path``."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)
        for extra in ("-journal", "-wal", "-shm"):
            partial.with_name(partial.name + extra).unlink(missing_ok=True)


def _cases() -> dict[int, bool]:
    """Every case's id, and whether its conversations are marked erased."""
    found = {
        case_id: erased
        for case_id, erased in db.session.execute(select(Case.id, Case.erased_at.is_not(None)))
    }
    db.session.rollback()  # no transaction left open across a restore
    return found


# -- PostgreSQL ------------------------------------------------------------------------------------


def _connection() -> tuple[URL, dict[str, str]]:
    """The database's URL for libpq (no driver, no password) and the environment with the
    password, for the client tools."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RecordsError(
            f"{name} is not installed here: install PostgreSQL's client tools, of the server's major "
            "version or newer (Debian and Ubuntu: apt-get install postgresql-client)."
        )
    return found


def _run(name: str, options: list[str], archive: Path | None = None) -> None:
    """Run pg_dump or pg_restore on the app's database (``archive``: pg_restore's input);
    ``RecordsError`` with the tool's last words if it fails."""
    url, env = _connection()
    command = [_tool(name), *options, "--dbname", url.render_as_string(hide_password=False)]
    done = subprocess.run(
        [*command, *([str(archive)] if archive else [])], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-3:]
        raise RecordsError(f"{name} failed (exit {done.returncode}): {' '.join(said) or 'no message'}")


def _pg_column(path: Path, table: str, column: str) -> list[str]:
    """One column of a table's rows in a pg_dump archive, as text (NULLs left out), read from the
    COPY data pg_restore prints without touching any database."""
    data = subprocess.run(
        [_tool("pg_restore"), "--data-only", "--table", table, "--file", "-", str(path)],
        capture_output=True,
        text=True,
    )
    if data.returncode != 0:
        raise RecordsError(f"{path} is not a pg_dump archive (custom format) of this app.")
    values, index = [], None
    for line in data.stdout.splitlines():
        if index is None:
            if line.startswith("COPY ") and f"{table} (" in line:
                columns = [c.strip().strip('"') for c in line.split("(", 1)[1].split(")", 1)[0].split(",")]
                index = columns.index(column)
            continue
        if line == "\\.":
            break
        value = line.split("\t")[index]
        if value != "\\N":
            values.append(value)
    return values


def _pg_revision(path: Path) -> str:
    """The schema revision in a pg_dump archive, read from its alembic_version data."""
    listed = subprocess.run([_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if listed.returncode != 0:
        raise RecordsError(f"{path} is not a pg_dump archive (custom format) of this app.")
    if "alembic_version" not in listed.stdout:
        raise RecordsError(f"{path} is a pg_dump archive, but not of this app (no alembic_version).")
    found = _pg_column(path, "alembic_version", "version_num")
    if not found:
        raise RecordsError(f"{path} has no schema revision: it is not a backup of this app.")
    return found[0]
