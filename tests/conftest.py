"""Shared fixtures: an app on a throw-away database, clients, an invitation factory, and one real
server per test session (per xdist worker) for the browser tests, its data wiped before each test."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import create_app, db, socketio
from app.cases.services import create_invitation
from config import Config, TestConfig


def _reuse_url_builders() -> None:
    """Werkzeug compiles two URL-building functions for each route of each app (Python source made
    and compiled at run time), the largest part of building an app; the tests build one per test.
    A builder is a pure function of the rule's text, its parts and its defaults, and reaches the rule
    only through the ``self`` it is bound to, so one compiled for an identical rule before is bound
    to the new rule instead of being compiled again. Each rule still parses and matches as its own."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    if getattr(compile_builder, "reused", False):
        return
    builders: dict[tuple, object] = {}

    def reused(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        try:
            key = (
                self.rule,
                append_unknown,
                tuple(self._trace),
                tuple(str(k) for k in defaults),
                tuple(
                    self._converters[data].to_url(defaults[data])
                    for dynamic, data in self._trace
                    if dynamic and data in defaults
                ),
            )
            hash(key)
        except Exception:
            return compile_builder(self, append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    reused.reused = True
    Rule._compile_builder = reused


_reuse_url_builders()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Each test module as pytest rewrote it for its assertions is kept in tests/__pycache__
    (gitignored) even where the shell sets PYTHONDONTWRITEBYTECODE: otherwise every xdist worker
    rewrites all of them again on every run (about 3 s each). Only while a module is collected."""
    if not (isinstance(collector, pytest.Module) and sys.dont_write_bytecode):
        return (yield)
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = True


# The tests' throw-away files (SQLite databases, server logs and data, the browser's profiles) in
# memory when the machine has /dev/shm and the shell chose no TMPDIR: SQLite syncs the disk on each
# commit, which no test relies on (a killed process loses nothing either way). Set before pytest
# makes its temporary folder, and inherited by the servers and commands the tests start.
if not os.environ.get("TMPDIR") and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    os.environ["TMPDIR"] = "/dev/shm"
    tempfile.tempdir = None  # read again from TMPDIR

# The tests choose each app's mode themselves (TestConfig here, MSP_ENV=test for a server process,
# production for the subprocesses that check it refuses to start): never the shell's.
os.environ.pop("MSP_ENV", None)


class _SharedStatements:
    """SQLAlchemy compiles each statement once per engine (its cache is keyed on the engine's dialect
    object), and each test's app has an engine of its own: every test compiled the same queries
    again, as much work as building its app. This cache, put in place of an engine's, keeps what
    was compiled for any engine whose dialect is configured the same: the same class and the same
    settings, as read from the dialect once it has connected (the SQLite version among them). The
    rest of the key is SQLAlchemy's own (the statement's structure and options)."""

    _compiled: dict = {}

    def __init__(self, dialect):
        from sqlalchemy.util import LRUCache

        simple = (str, int, float, bool, tuple, type(None), type(sys))
        settings = tuple(
            sorted(
                (name, value if isinstance(value, simple) else type(value))
                for name, value in vars(dialect).items()
                if name != "_type_memos"  # a memo of what the settings give, filled as it goes
            )
        )
        self.key = (type(dialect), settings)
        self.store = self._compiled.setdefault(self.key, LRUCache(2000))

    @classmethod
    def install(cls, app) -> None:
        with app.app_context():
            engine = db.engine
            if engine.dialect._supports_statement_cache and engine._compiled_cache is not None:
                engine._compiled_cache = cls(engine.dialect)

    def get(self, key, default=None):
        return self.store.get(key[1:], default)

    def __setitem__(self, key, compiled) -> None:
        self.store[key[1:]] = compiled

    def __len__(self) -> int:
        return len(self.store)

    def clear(self) -> None:
        self.store.clear()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """An SQLite file brought to the newest schema by the app's own migrations, once a session.
    Each test's app starts from a copy: migrating from nothing takes longer than most tests."""
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite3"
    made = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with made.app_context():
        db.engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture
def app(tmp_path, migrated_db):
    """An app on its own SQLite file (a copy of the migrated one; the app checks it is up to date)."""
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(migrated_db, path)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    _SharedStatements.install(app)
    yield app
    with app.app_context():
        db.engine.dispose()


# What ``made_once`` has made in this process: key -> (the SQLite file as it was made, the value).
_MADE: dict[tuple, tuple[Path, object]] = {}


def _config_fingerprint(app, tmp: Path) -> tuple:
    """Every setting of ``app`` as text, the test's own temporary folder written as ``<tmp>`` (the
    same settings on another test's throw-away files give the same fingerprint)."""
    return tuple(sorted((key, repr(value).replace(str(tmp), "<tmp>")) for key, value in app.config.items()))


def _sqlite_path(app) -> Path:
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    assert url.get_backend_name() == "sqlite" and url.database, url
    return Path(url.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's own online backup: every page as committed, whatever is still in the write-ahead log."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def made_once(request, app, make, *inputs):
    """What a module's fixture makes through the app's real services (chats answered step by step,
    sign-ins, the staff dialogues), made once per process and copied for each later test: the
    database as ``make()`` left it and ``make``'s value (a deep copy).

    The copy is that of the very same data: the key is the module, the fixture, every setting of the
    app (but for its temporary paths) and ``inputs``, the values of the fixtures that ``make``
    builds on (e.g. ``staff``'s ids); a fixture whose making depends on anything else (the clock's
    quarter aside) must not use this. Each test still has an app and a database file of its own."""
    tmp = _sqlite_path(app).parent
    key = (request.module.__name__, request.fixturename, _config_fingerprint(app, tmp), repr(inputs))
    path = _sqlite_path(app)
    if key in _MADE:
        saved, value = _MADE[key]
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _copy_sqlite(saved, path)
        return copy.deepcopy(value)
    value = make()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    store = request.getfixturevalue("tmp_path_factory").mktemp("made")
    saved = store / "made.sqlite3"
    _copy_sqlite(path, saved)
    _MADE[key] = (saved, copy.deepcopy(value))
    return value


@pytest.fixture
def client(app):
    """A Flask test client (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the ``flask`` CLI commands."""
    return app.test_cli_runner()


def opened(token: str | None, keys: str = TestConfig.DATA_KEYS):
    """A value read straight from the database (another connection's view, not the ORM's), opened
    with the tests' key: encrypted text as it was given, an answer as its JSON text."""
    if token is None:
        return None
    from cryptography.fernet import Fernet, MultiFernet

    text = MultiFernet([Fernet(k) for k in keys.split(",")]).decrypt(token.encode()).decode()
    return text


WORKER_EMAIL = "worker@team.example"
MANAGER_EMAIL = "manager@team.example"
DUTY_EMAIL = "duty@team.example"


def ensure_team(app, name="Team", duty=DUTY_EMAIL, worker=WORKER_EMAIL, manager=MANAGER_EMAIL):
    """A team with a duty inbox, an accountable worker and a manager (accounts that cannot sign in:
    no argon2 work for tests that never sign in)."""
    from app.models import Team, User
    from app.staff.teams import find_team

    with app.app_context():
        if find_team(name) is None:
            team = Team(name=name, duty_email=duty)
            db.session.add_all(
                [
                    team,
                    User(email=worker, password_hash="!", role="worker", team=team),
                    User(email=manager, password_hash="!", role="manager", team=team),
                ]
            )
            db.session.commit()


@pytest.fixture
def invite(app):
    """Make an invitation: ``invite(part=1, respondent=None, name=None)`` -> its code.

    A new case is given to the team's worker; a Part 2 invitation records that the team's manager
    agreed the person can be approached (as the command line does for an integration), unless the
    test says ``eligible_agreed_by=None`` to check the rule itself."""

    def make(part=1, reference="CASE-1", **kwargs):
        ensure_team(app)
        kwargs.setdefault("worker", WORKER_EMAIL)
        if part == 2:
            kwargs.setdefault("eligible_agreed_by", MANAGER_EMAIL)
        with app.app_context():
            return create_invitation(reference, part, **kwargs).code

    return make


@pytest.fixture
def chat(app, invite):
    """Open a /chat socket: ``chat(code)`` -> a ``Chat`` helper around the test client."""
    opened = []

    def connect(code=None, **invite_kwargs):
        code = code or invite(**invite_kwargs)
        c = Chat(socketio.test_client(app, namespace="/chat", auth={"code": code}), code)
        opened.append(c)
        return c

    yield connect
    for c in opened:
        if c.client.is_connected("/chat"):
            c.client.disconnect(namespace="/chat")


class CompleteProduction(Config):
    """Production with every setting it requires: tests that take one away, or start production
    mode, subclass it (a database of their own, a setting set to None)."""

    SECRET_KEY = "x" * 32
    PUBLIC_URL = "https://msp.council.example"
    MAIL_SERVER = "127.0.0.1"
    MAIL_DEFAULT_SENDER = "safeguarding@council.example"
    COUNCIL_PHONE = "01632 960001"
    COUNCIL_OUT_OF_HOURS_PHONE = "01632 960002"
    PRIVACY_NOTICE_URL = "https://council.example/privacy"
    RETENTION_MONTHS = 72
    DATA_KEYS = TestConfig.DATA_KEYS
    JURISDICTION = "england"


# Part 1 opens, after consent and who is answering, on what matters to the person and what they
# would like to happen: optional questions that many tests pass by to reach the ones they test.
PART1_OPENING = ("matters", "outcome_words", "outcome_choices", "safe_what")


class Chat:
    """A small driver for the chat protocol, used by many tests."""

    def __init__(self, client, code):
        self.client, self.code = client, code
        self.turns: list[dict] = []

    @property
    def connected(self) -> bool:
        return self.client.is_connected("/chat")

    def received(self) -> list[dict]:
        """New ``turn`` payloads since the last call (also kept in ``self.turns``)."""
        new = [m["args"][0] for m in self.client.get_received("/chat") if m["name"] == "turn"]
        self.turns.extend(new)
        return new

    @property
    def turn(self) -> dict:
        self.received()
        return self.turns[-1]

    def answer(self, value, step=None, id=None) -> dict:
        """Answer the current step (or ``step``) and return the acknowledgement."""
        step = step or self.turn["step"]
        payload = {"id": id or str(uuid.uuid4()), "step": step, "value": value}
        return self.client.emit("answer", payload, namespace="/chat", callback=True)

    def emit(self, event, data=None) -> dict:
        return self.client.emit(event, data or {}, namespace="/chat", callback=True)

    def begin(self, opening: bool = False) -> dict:
        """Through the opening by hand: Continue at the welcome, then "Yes, let's start" at the
        consent question; return the turn that follows. Part 1 then asks what matters to the person
        and what they would like to happen (all optional): unless ``opening``, those are passed by
        with no answer, so a test starts at the first question about involvement (or at "who"
        when the invitation did not say who answers)."""
        assert self.turn["step"] == "welcome", self.turn["step"]
        ack = self.answer(None)
        assert ack == {"ok": True}, ("welcome", ack)
        assert self.turn["step"] == "consent", self.turn["step"]
        ack = self.answer("yes")
        assert ack == {"ok": True}, ("consent", ack)
        return self.turn if opening else self.skip_opening()

    def skip_opening(self) -> dict:
        """Pass Part 1's person-led opening questions with no answer; return the turn after them."""
        while self.turn["step"] in PART1_OPENING:
            ack = self.answer(None)
            assert ack == {"ok": True}, (self.turn["step"], ack)
        return self.turn

    def walk(self, answers: dict, default=None, limit=80) -> list[str]:
        """Answer step after step from ``answers`` (by step id) until the end; return the steps.
        The opening's "Shall we start?" is answered yes unless ``answers`` says otherwise."""
        answers = {"consent": "yes", **answers}
        steps = []
        for _ in range(limit):
            turn = self.turn
            steps.append(turn["step"])
            if turn["finished"]:
                return steps
            kind = turn["input"]["kind"]
            sid = turn["step"].split(".")[0]
            if sid in answers:
                value = answers[sid]
            elif kind == "review":
                value = "confirm"
            else:
                value = default
            ack = self.answer(value)
            assert ack["ok"], (turn["step"], ack)
        raise AssertionError(f"no end after {limit} steps: {steps}")


class Plain:
    """The identity translation: English msgids as written (for the engine's render functions)."""

    def gettext(self, message):
        return message

    def ngettext(self, singular, plural, n):
        return singular if n == 1 else plural

    def pgettext(self, context, message):
        return message


def inline_dialogue(text: str):
    """A dialogue written in a test as YAML (dedented), parsed and loaded alone as the app loads one
    from dialogues/."""
    import textwrap

    import yaml

    from app.dialogue import Registry
    from app.dialogue.engine import Dialogue
    from app.dialogue.load import parse_dialogue

    text = textwrap.dedent(text)
    spec = parse_dialogue(yaml.safe_load(text), "dialogues/tiny.yaml", text=text)
    registry = Registry()
    registry[spec.id] = Dialogue(spec, registry)
    return registry[spec.id]


@pytest.fixture(scope="module")
def registry():
    """The project's own dialogues, loaded as the app loads them."""
    from app.dialogue import Registry

    return Registry.load(Path(__file__).resolve().parents[1] / "dialogues")


@pytest.fixture(scope="session")
def extracted(tmp_path_factory):
    """What ``flask translate extract`` finds now (code, templates, dialogues), as a Babel catalogue.

    Extracted once per test run, not once per xdist worker: the catalogue is kept in the run's
    temporary folder (shared by its workers), named by a checksum of every file the extraction
    reads (babel.cfg, app/ and dialogues/) and Babel's version, and made by one worker at a time."""
    import fcntl
    import hashlib
    from importlib.metadata import version

    root = Path(__file__).resolve().parents[1]
    checksum = hashlib.sha256(version("babel").encode())
    sources = [root / "babel.cfg", *(root / "app").rglob("*"), *(root / "dialogues").rglob("*")]
    for source in sorted(p for p in sources if p.is_file() and "__pycache__" not in p.parts):
        checksum.update(str(source.relative_to(root)).encode() + b"\0" + source.read_bytes() + b"\0")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / f"messages-{checksum.hexdigest()[:20]}.pot"
    with open(shared / "messages.pot.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            _extract(root, out)
    with out.open("rb") as f:
        return read_po(f)


def _extract(root: Path, target: Path) -> None:
    out = target.with_name(target.name + ".tmp")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(out),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    out.replace(target)


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory):
    """One real server for the whole session (per xdist worker: ``--dist loadfile`` gives each
    worker whole files). Started on first use; tests reach it through ``server``."""
    from browser_support import Server

    srv = Server(tmp_path_factory.mktemp("shared-server"))
    srv.app  # noqa: B018 - the schema is made here, before the server starts
    srv.start()
    yield srv
    srv.close()


@pytest.fixture
def server(shared_server):
    """The session's real server with nothing in it: every table emptied and the rate limits
    cleared before each test (a module whose tests build on each other overrides this)."""
    shared_server.reset()
    return shared_server


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium for one module's browser tests."""
    from playwright.sync_api import sync_playwright

    from browser_support import launch_chromium

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


class SMTPSink:
    """A real SMTP server (aiosmtpd) on this machine that keeps what it receives.

    ``refuse``: recipient addresses it rejects with 550, as a real server rejects an unknown mailbox.
    ``delay``: seconds it takes over each message (to make two senders overlap)."""

    def __init__(self, port: int | None = None):
        import socket

        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port, self.messages, self.refuse, self.delay = port, [], set(), 0.0
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        from email import message_from_bytes
        from email.policy import default

        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append(
            {"to": list(envelope.rcpt_tos), "subject": message["Subject"], "body": message.get_content()}
        )
        return "250 OK"

    def start(self) -> SMTPSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


@pytest.fixture
def smtp():
    """A real SMTP server, started; stopped after the test."""
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_app(tmp_path, smtp, migrated_db):
    """An app whose mail goes to the ``smtp`` server, retrying after at most a second."""
    path = tmp_path / "mail.sqlite3"
    shutil.copyfile(migrated_db, path)
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        OUTBOX_MAX_BACKOFF_SECONDS=1,
        PUBLIC_URL="https://msp.council.example",
    )
    _SharedStatements.install(app)
    yield app
    with app.app_context():
        db.engine.dispose()
