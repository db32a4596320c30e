"""Backups: SQLite's online backup taken while people keep answering is a consistent copy with every
answer committed before it, holds no word in plain text, opens in a new app with the same keys and
restores (with --yes) the database to its state; a file that is not this app's is refused. On
PostgreSQL, pg_dump and pg_restore into another database."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import uuid

import sqlalchemy as sa
from conftest import WORKER_EMAIL, ensure_team

from app import create_app, db
from app.cases.services import create_invitation
from app.conversation import services
from app.models import Answer, AuditEvent, Case, utcnow
from config import TestConfig

MARKER = "violet elephant 7f3a: what matters is my garden"


def answer_opening(app, reference: str, words: str) -> int:
    """A new Part 1 conversation answered up to 'what matters' with ``words``: its Answer id
    (every answer committed when this returns)."""
    with app.app_context():
        code = create_invitation(reference, 1, respondent="self", name="Sam Secret", worker=WORKER_EMAIL).code
        conversation = services.open_by_code(code)
        for value in (None, "yes", words):
            step = services.load(conversation.id).state
            assert services.answer(conversation.id, str(uuid.uuid4()), step, value).ok, step
        return db.session.scalar(
            sa.select(Answer.id).where(Answer.conversation_id == conversation.id, Answer.step == "matters")
        )


def matters(app) -> dict[int, str]:
    """Every 'what matters' answer the app reads, by id (decrypted with its keys)."""
    with app.app_context():
        return {a.id: a.value for a in db.session.scalars(sa.select(Answer).where(Answer.step == "matters"))}


class Answering(threading.Thread):
    """People answering all the time: a new conversation after another, each committed."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.lock = app, threading.Event(), threading.Lock()
        self.committed: dict[int, str] = {}
        self.more = threading.Condition(self.lock)
        self.error: BaseException | None = None

    def run(self):
        try:
            n = 0
            while not self.stop.is_set():
                words = f"answer number {n}"
                answer_id = answer_opening(self.app, f"W-{n}", words)
                with self.more:
                    self.committed[answer_id] = words
                    self.more.notify_all()
                n += 1
        except BaseException as exc:  # said by the test, not lost in the thread
            self.error = exc

    def wait_for(self, count: int) -> dict[int, str]:
        with self.more:
            assert self.more.wait_for(lambda: len(self.committed) >= count or self.error, timeout=60)
            return dict(self.committed)


def test_sqlite_backup_while_answering_then_restore(app, runner, tmp_path):
    ensure_team(app)
    marker_id = answer_opening(app, "CASE-M", MARKER)
    with app.app_context():
        gone = Case(reference="CASE-GONE")
        db.session.add(gone)
        db.session.commit()
        gone_id = gone.id
    writer = Answering(app)
    writer.start()
    try:
        before = writer.wait_for(3)  # committed before the backup began
        backup = tmp_path / "backup.sqlite3"
        result = runner.invoke(args=["backup", str(backup)])
        assert result.exit_code == 0, result.output
        during = len(writer.committed)
        writer.wait_for(during + 2)  # people went on answering after it
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert (
        "useless without DATA_KEYS" in result.output and "RETENTION_MONTHS (72 months here)" in result.output
    )

    # One file, owner-only, no word in plain text (the answers, the names are encrypted).
    data = backup.read_bytes()
    assert data.startswith(b"SQLite format 3\x00")
    assert not list(tmp_path.glob("backup.sqlite3-*")) and (backup.stat().st_mode & 0o077) == 0
    assert MARKER.encode() not in data and b"violet elephant" not in data and b"Sam Secret" not in data

    # A new app with the same keys reads it: every answer committed before the backup is there,
    # and nothing half written (each answer's conversation is there too).
    copy = tmp_path / "opened.sqlite3"
    shutil.copyfile(backup, copy)
    reader = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{copy}")
    in_backup = matters(reader)
    with reader.app_context():
        orphans = db.session.scalar(
            sa.text("SELECT count(*) FROM answer WHERE conversation_id NOT IN (SELECT id FROM conversation)")
        )
        db.engine.dispose()
    assert orphans == 0
    assert {marker_id: MARKER, **before}.items() <= in_backup.items()
    later = {i: w for i, w in matters(app).items() if i not in in_backup}
    assert later  # written after the backup, in the live database only

    # An erasure after the backup (a case marked erased, a case removed) comes undone by restoring
    # it: said, and audited on each case.
    with app.app_context():
        erased = db.session.scalars(sa.select(Case).where(Case.reference == "CASE-M")).one()
        erased.erased_at, erased_id = utcnow(), erased.id
        db.session.delete(db.session.get(Case, gone_id))
        db.session.commit()

    # Without --yes nothing changes; with it, the database is the backup's again.
    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code == 1 and "Stop every server" in refused.output and "--yes" in refused.output
    assert matters(app).keys() >= later.keys()
    restored = runner.invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "useless without DATA_KEYS" in restored.output
    assert matters(app) == in_backup
    back = ", ".join(str(i) for i in sorted([erased_id, gone_id]))
    assert f"Erased or removed after this backup was taken, and back now: case id {back} " in restored.output
    # The audit log is not rolled back: the backup's own entry, written after its snapshot, is
    # still there, then the refused restore and the restore itself.
    with app.app_context():
        commands = [
            d
            for (d,) in db.session.execute(
                sa.select(AuditEvent.detail).where(AuditEvent.via == "cli", AuditEvent.action.like("cli:%"))
            )
        ]
        undone = db.session.execute(
            sa.select(AuditEvent.case_id, AuditEvent.os_user).where(AuditEvent.action == "erasure_undone")
        ).all()
    assert sorted(case for case, os_user in undone if os_user) == sorted([erased_id, gone_id])
    assert commands == [
        f"flask backup {backup} [exit 0]",
        f"flask restore {backup} [refused, exit 1]",
        f"flask restore {backup} --yes [exit 0]",
    ]


def test_restore_refuses_a_file_that_is_not_a_backup_of_this_app(app, runner, tmp_path):
    ensure_team(app)
    answer_opening(app, "CASE-1", MARKER)
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.close()
    for path, says in ((text, "is not an SQLite database"), (other, "not one of this app")):
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1 and says in result.output, result.output
        assert list(matters(app).values()) == [MARKER]
    assert runner.invoke(args=["restore", str(tmp_path / "missing.sqlite3"), "--yes"]).exit_code == 1
    # A backup never overwrites a file.
    assert runner.invoke(args=["backup", str(text)]).exit_code == 1
    assert text.read_text() == "not a database"


def test_postgresql_backup_with_pg_dump_restores_into_another_database(tmp_path):
    from test_postgres import SERVER

    names = [f"msp_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # generated names, never input
    apps = []
    try:
        for name in names:
            url = sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
            apps.append(create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url))
        source, target = apps
        ensure_team(source)
        marker_id = answer_opening(source, "CASE-PG", MARKER)
        dump = tmp_path / "backup.dump"
        taken = source.test_cli_runner().invoke(args=["backup", str(dump)])
        assert taken.exit_code == 0, taken.output
        assert "pg_dump" in taken.output and "useless without DATA_KEYS" in taken.output
        assert dump.read_bytes().startswith(b"PGDMP") and (dump.stat().st_mode & 0o077) == 0

        restore = target.test_cli_runner()
        assert restore.invoke(args=["restore", str(dump)]).exit_code == 1  # without --yes
        assert matters(target) == {}
        done = restore.invoke(args=["restore", str(dump), "--yes"])
        assert done.exit_code == 0, done.output
        assert matters(target) == {marker_id: MARKER}
        with target.app_context():  # the refused try, carried across the restore, then the restore
            runs = db.session.scalars(
                sa.select(AuditEvent.detail).where(AuditEvent.action == "cli:restore").order_by(AuditEvent.id)
            ).all()
        assert runs == [f"flask restore {dump} [refused, exit 1]", f"flask restore {dump} --yes [exit 0]"]
        not_a_dump = tmp_path / "notes.txt"
        not_a_dump.write_text("no")
        assert restore.invoke(args=["restore", str(not_a_dump), "--yes"]).exit_code == 1
    finally:
        for made in apps:
            with made.app_context():
                db.session.remove()
                db.engine.dispose()
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
