"""The same conversation on PostgreSQL, the database for more than one machine.

Each test gets its own new database on the local server (``TEST_POSTGRES_URL``, by default the
standard port with the ``postgres`` user), made by the app's own migrations.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import sqlalchemy as sa
from conftest import WORKER_EMAIL, ensure_team

from app import create_app, db, socketio
from app.cases.services import create_invitation, export_case
from app.conversation import services
from app.models import Answer
from config import TestConfig

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_app():
    name = f"msp_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a generated name, never input
    url = sa.make_url(SERVER).set(database=name)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False))
    ensure_team(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_whole_part1_is_saved_on_postgresql(pg_app):
    with pg_app.app_context():
        code = create_invitation("PG-1", 1, respondent="self", worker=WORKER_EMAIL).code
    client = socketio.test_client(pg_app, namespace="/chat", auth={"code": code})
    assert client.is_connected("/chat")
    answers = {
        "consent": "yes",
        "involve_how": ["meetings", "statement"],
        "outcome_words": "Kein Kontakt mehr — proszę",
    }
    for _ in range(40):
        turn = [m for m in client.get_received("/chat") if m["name"] == "turn"][-1]["args"][0]
        if turn["finished"]:
            break
        sid = turn["step"].split(".")[0]
        value = answers.get(sid, "confirm" if turn["input"]["kind"] == "review" else None)
        ack = client.emit(
            "answer",
            {"id": str(uuid.uuid4()), "step": turn["step"], "value": value},
            namespace="/chat",
            callback=True,
        )
        assert ack["ok"], (turn["step"], ack)
    assert turn["finished"]
    with pg_app.app_context():
        given = {a["step"]: a["value"] for a in export_case("PG-1")["conversations"][0]["answers"]}
    assert given["involve_how"] == ["meetings", "statement"]
    assert given["outcome_words"] == "Kein Kontakt mehr — proszę"


def test_two_devices_answering_the_same_step_at_once_store_one_answer(pg_app):
    """Two processes racing on one conversation: one wins, the other is told, nothing is doubled."""
    with pg_app.app_context():
        new = create_invitation("PG-2", 1, respondent="self", worker=WORKER_EMAIL)
        conversation_id = new.conversation.id
        assert services.answer(conversation_id, str(uuid.uuid4()), "welcome", None).ok
        assert services.answer(conversation_id, str(uuid.uuid4()), "consent", "yes").ok
    results, barrier = [], threading.Barrier(2)

    def device(value):
        with pg_app.app_context():
            barrier.wait()
            results.append(services.answer(conversation_id, str(uuid.uuid4()), "matters", value))

    threads = [threading.Thread(target=device, args=(v,)) for v in ("My home", "My dog")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ok for r in results) == [False, True]
    with pg_app.app_context():
        current = [a for a in export_case("PG-2")["conversations"][0]["answers"] if a["step"] == "matters"]
        state = services.load(conversation_id).state
    assert len(current) == 1
    assert state == "outcome_words"
    loser = next(r for r in results if not r.ok)
    assert loser.error in ("busy", "not_current")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_load_reads_every_answer_as_the_columns_hold_it(database, request):
    """``load`` gathers the answers into the conversation's one row as JSON, on each database in its
    own way: read back, they are what the ORM reads from the answer table itself, superseded ones
    and their times included, oldest first."""
    app = request.getfixturevalue("pg_app" if database == "postgresql" else "app")
    if database == "sqlite":
        ensure_team(app)
    with app.app_context():
        conversation_id = create_invitation(
            "LOAD-1", 1, respondent="self", worker=WORKER_EMAIL
        ).conversation.id
        for step, value in (("welcome", None), ("consent", "yes"), ("matters", "My home")):
            assert services.answer(conversation_id, str(uuid.uuid4()), step, value).ok
        assert services.back(conversation_id).ok
        assert services.answer(conversation_id, str(uuid.uuid4()), "matters", "Mój pies — ❤").ok
        given = services.answers_of(services.load(conversation_id))
        db.session.expire_all()
        stored = db.session.scalars(
            sa.select(Answer).where(Answer.conversation_id == conversation_id).order_by(Answer.id)
        ).all()
        columns = ("id", "step", "value", "view", "client_id", "answered_at", "superseded_at")
        assert [tuple(getattr(a, c) for c in columns) for a in given] == [
            tuple(getattr(a, c) for c in columns) for a in stored
        ]
        assert [a.step for a in given] == ["welcome", "consent", "matters", "matters"]
        assert given[2].superseded_at is not None and given[3].superseded_at is None
        assert given[3].value == "Mój pies — ❤"
