"""Encryption at rest: what people typed is nowhere in the database file or its WAL, keys rotate while
a conversation goes on without losing a word, and the app never reads or writes plain text for want of
a key."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from conftest import Chat, opened
from cryptography.fernet import Fernet, InvalidToken

from app import create_app, crypto, db, socketio
from app.cases.services import export_case
from app.records import keys as rotation
from config import TestConfig

OLD = TestConfig.DATA_KEYS
NEW = "p0sNdIX1HOTKQ3Y1wX2VcWm5-7a0JcP5bq9yqQ8m0zU="


def db_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def on_disk(app) -> bytes:
    """The database file and its write-ahead log, as a thief with the disk would have them."""
    found = b""
    for suffix in ("", "-wal"):
        try:
            with open(db_path(app) + suffix, "rb") as file:
                found += file.read()
        except FileNotFoundError:
            pass
    return found


def to_step(c: Chat, step: str) -> dict:
    for _ in range(40):
        if c.turn["step"] == step:
            return c.turn
        assert c.answer(None) == {"ok": True}, c.turn["step"]
    raise AssertionError(f"never reached {step}")


def test_a_marker_typed_in_an_answer_is_nowhere_in_the_database_file_or_its_wal(app, chat):
    marker = f"MARKER-{uuid.uuid4().hex}"
    name = f"Name{uuid.uuid4().hex[:12]}"
    reference = f"REF-{uuid.uuid4().hex[:12]}"
    c = chat(reference=reference, name=name, respondent="self")
    c.begin(opening=True)
    to_step(c, "outcome_words")
    assert c.answer(f"I want {marker} to stop coming round") == {"ok": True}
    with app.app_context():
        exported = export_case(reference)
        said = [a["value"] for conv in exported["conversations"] for a in conv["answers"]]
    # The app reads it back as typed...
    assert f"I want {marker} to stop coming round" in said
    disk = on_disk(app)
    # ...and the scan would see a plain-text column (the case reference is stored as it is)...
    assert reference.encode() in disk
    # ...but neither the answer nor the person's name is on the disk, in UTF-8 or UTF-16.
    for secret in (marker, name):
        assert secret.encode() not in disk
        assert secret.encode("utf-16-le") not in disk


def test_every_stored_answer_is_a_token_the_key_opens(app, chat):
    c = chat(respondent="self")
    c.begin()
    with app.app_context():
        tokens = (
            db.session.execute(sa.text("SELECT value FROM answer WHERE value IS NOT NULL")).scalars().all()
        )
    assert tokens and all(t.startswith(crypto.TOKEN_PREFIX) for t in tokens)
    assert '"yes"' in [opened(t) for t in tokens]  # "Shall we start?", answered yes
    with pytest.raises(InvalidToken):
        Fernet(NEW).decrypt(tokens[0].encode())


def test_keys_rotate_while_a_conversation_goes_on_and_nothing_is_lost(app, chat, tmp_path):
    reference = f"ROT-{uuid.uuid4().hex[:8]}"
    c = chat(reference=reference, name="Alex", respondent="self")
    c.begin(opening=True)
    typed = []
    for step in ("matters", "outcome_words"):
        to_step(c, step)
        typed.append(f"{step} said under the old key")
        assert c.answer(typed[-1]) == {"ok": True}
    code = c.code
    c.client.disconnect(namespace="/chat")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]

    # Every server restarts with the new key first; the old one still opens what is stored.
    both = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=uri, DATA_KEYS=f"{NEW},{OLD}")
    resumed = Chat(socketio.test_client(both, namespace="/chat", auth={"code": code}), code)
    failures: list[BaseException] = []
    running = threading.Event()

    def rotate_in_batches():
        try:
            with both.app_context():
                while True:
                    running.set()
                    if rotation.rotate(batch_size=2, max_batches=1).finished:
                        break
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=rotate_in_batches)
    thread.start()
    running.wait(5)
    # The person goes on answering while the rotation runs.
    for _ in range(6):
        turn = resumed.turn
        if turn["input"]["kind"] == "text":
            typed.append(f"{turn['step']} said during the rotation")
            value = typed[-1]
        else:
            value = None
        assert resumed.answer(value) == {"ok": True}, turn["step"]
    thread.join(30)
    assert not thread.is_alive() and failures == []
    with both.app_context():
        rotation.rotate()
        assert rotation.left_to_rotate() == 0
    resumed.client.disconnect(namespace="/chat")
    with both.app_context():
        db.engine.dispose()

    # The old key is dropped: everything still opens, every word as it was given.
    new_only = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=uri, DATA_KEYS=NEW)
    with new_only.app_context():
        exported = export_case(reference)
        tokens = (
            db.session.execute(sa.text("SELECT value FROM answer WHERE value IS NOT NULL")).scalars().all()
        )
        name = db.session.execute(sa.text("SELECT person_name FROM conversation")).scalar_one()
        db.engine.dispose()
    said = [a["value"] for conv in exported["conversations"] for a in conv["answers"]]
    assert [t for t in typed if t not in said] == []
    assert len(typed) >= 3
    assert all(Fernet(NEW).decrypt(t.encode()) for t in tokens)
    assert Fernet(NEW).decrypt(name.encode()) == b"Alex"


def test_a_rotation_stopped_part_way_is_finished_by_the_next_run(app, chat):
    for n in range(3):
        chat(reference=f"PART-{n}", respondent="self").begin()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    both = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=uri, DATA_KEYS=f"{NEW},{OLD}")
    with both.app_context():
        before = rotation.left_to_rotate()
        first = rotation.rotate(batch_size=2, max_batches=1)
        assert not first.finished and first.total_rotated == 2
        assert rotation.left_to_rotate() == before - 2
        rest = rotation.rotate(batch_size=2)
        assert rest.finished and rest.total_rotated == before - 2
        assert rotation.left_to_rotate() == 0
        db.engine.dispose()


def test_the_rotate_keys_command_reports_what_it_did(app, chat):
    chat(respondent="self").begin()
    both = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], DATA_KEYS=f"{NEW},{OLD}"
    )
    result = both.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert f"under key {crypto.key_id(NEW)}" in result.output
    assert '"left": 0' in result.output and "may now be dropped" in result.output
    again = both.test_cli_runner().invoke(args=["rotate-keys"])
    assert '"rotated": 0, "left": 0' in again.output
    with both.app_context():
        db.engine.dispose()


def test_a_server_with_a_key_that_does_not_open_the_data_refuses_to_start(app, chat):
    from app import ConfigurationError

    chat(reference="LOST-1", respondent="self").begin()
    with pytest.raises(ConfigurationError, match=r"DATA_KEYS does not open what is stored \(.*answer\.value"):
        create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], DATA_KEYS=NEW)
    # With the right key among them, it starts.
    both = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], DATA_KEYS=f"{NEW},{OLD}"
    )
    with both.app_context():
        assert export_case("LOST-1") is not None
        db.engine.dispose()


def test_a_value_no_key_opens_is_an_error_never_plain_text(app):
    with app.app_context():
        foreign = Fernet(NEW).encrypt(b"words under another key").decode()
        with pytest.raises(crypto.UnreadableValue, match="rotate-keys"):
            crypto.decrypt(foreign)
        assert crypto.decrypt(crypto.encrypt("words")) == "words"


def test_nothing_is_encrypted_or_written_without_an_app_and_its_keys():
    with pytest.raises(crypto.MissingKeys):
        crypto.EncryptedText().process_bind_param("a name", None)
    with pytest.raises(crypto.MissingKeys):
        crypto.EncryptedJSON().process_bind_param(["a", "b"], None)


def test_the_demo_makes_its_own_key_once_and_keeps_it(tmp_path, migrated_db):
    from config import DevelopmentConfig

    class Demo(DevelopmentConfig):
        DATA_KEYS = None
        DATA_DIR = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'demo.sqlite3'}"

    first = create_app(Demo)
    key = (tmp_path / "dev-data-key").read_text()
    Fernet(key)  # a real key
    assert oct((tmp_path / "dev-data-key").stat().st_mode & 0o777) == "0o600"
    second = create_app(Demo)
    assert (tmp_path / "dev-data-key").read_text() == key
    for made in (first, second):
        with made.app_context():
            db.engine.dispose()


def test_existing_plain_values_are_encrypted_by_the_migration(tmp_path):
    from alembic import command

    from app.migrate import alembic_config, upgrade

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        cfg = alembic_config()
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0008")
        with db.engine.begin() as c:
            c.execute(
                sa.text(
                    'INSERT INTO "case" (id, reference, preferred_name, language, stage, created_at) '
                    "VALUES (1, 'OLD-1', 'Pat Old', 'en', 'closed', CURRENT_TIMESTAMP)"
                )
            )
            c.execute(
                sa.text(
                    "INSERT INTO conversation (id, case_id, dialogue_id, dialogue_version, state, changing, "
                    "language, easy_read, text_size, high_contrast, started_at, updated_at, version) "
                    "VALUES (1, 1, 'part1', 1, 'who', 0, 'en', 0, 'normal', 0, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, 1)"
                )
            )
            c.execute(
                sa.text(
                    "INSERT INTO answer (conversation_id, step, value, view, language, client_id, "
                    "answered_at) VALUES (1, 'outcome_words', :v, 'person', 'en', 'a1', CURRENT_TIMESTAMP)"
                ),
                {"v": '"Words from before"'},
            )
        upgrade()
        raw = db.session.execute(sa.text("SELECT value FROM answer")).scalar_one()
        name = db.session.execute(sa.text('SELECT preferred_name, closed_at FROM "case"')).one()
        assert raw.startswith(crypto.TOKEN_PREFIX) and opened(raw) == '"Words from before"'
        assert opened(name[0]) == "Pat Old"
        assert name[1] is not None  # a case already closed counts its retention from the migration
        from app.models import Answer, Case

        assert db.session.get(Case, 1).preferred_name == "Pat Old"
        assert db.session.scalars(sa.select(Answer)).one().value == "Words from before"
        db.engine.dispose()
