"""Helpers for the browser tests: a real server in a subprocess, and Debian's Chromium.

Nothing here downloads anything: the browser is the system's /usr/bin/chromium, driven through
Playwright's Python API (never ``playwright install``).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import simple_websocket

from config import TestConfig

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Where "Exit this page" goes in tests: a name that can never resolve (RFC 2606), answered by
# Playwright's router (see neutral_exit_page), so no test ever reaches the real neutral page.
EXIT_URL = "https://exit.invalid/weather"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The accountable worker (and a manager) that Server.invite gives new cases to.
TEAM = ("Test team", "duty@test.example")
WORKER = "worker@test.example"
MANAGER = "manager@test.example"
# Where the test servers count sign-in attempts: Redis, so a test can clear them (never wait them
# out). Each server has its own key prefix in this database.
RATELIMIT_REDIS = os.environ.get("TEST_RATELIMIT_REDIS_URL", "redis://127.0.0.1:6379/6")
PRIVACY_NOTICE_URL = "https://council.example/privacy/adult-safeguarding"
_INHERITED_NOT = ("FLASK_", "SOCKETIO_", "MAIL_", "MSP_ENV", "RATELIMIT_", "DATA_DIR", "ARGON2_")


class Server:
    """``flask --app app serve`` on a free port and its own SQLite file, run as production does
    (``MSP_ENV=test``: every production setting required and checked; only password hashing is
    cheap). Mail goes to ``smtp_port`` on this machine, where a test may start a real SMTP server
    (nothing listens there otherwise, and the outbox keeps retrying).

    Invitations, accounts and exports are made in this process, through the same services the
    command line calls, on the server's database (``self.app``): no ``flask`` subprocess each time.
    ``reset()`` empties the database and the rate limits, for a fresh start without a new server."""

    def __init__(self, workdir: Path, **env: str):
        self.port = free_port()
        self.smtp_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ratelimit_prefix = f"msp-test-{uuid.uuid4().hex[:12]}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_NOT)}
        self.env.update(
            MSP_ENV="test",
            SECRET_KEY="test",
            DATA_DIR=str(workdir / "data"),
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            RATELIMIT_STORAGE_URI=RATELIMIT_REDIS,
            RATELIMIT_KEY_PREFIX=self.ratelimit_prefix,
            PUBLIC_URL=self.base_url,
            EXIT_URL=EXIT_URL,
            PYTHONUNBUFFERED="1",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(self.smtp_port),
            MAIL_DEFAULT_SENDER="safeguarding@test.example",
            COUNCIL_PHONE="01632 960001",  # Ofcom's numbers for drama: never a real line
            COUNCIL_OUT_OF_HOURS_PHONE="01632 960002",
            PRIVACY_NOTICE_URL=PRIVACY_NOTICE_URL,
            RETENTION_MONTHS="72",
            DATA_KEYS=TestConfig.DATA_KEYS,
            JURISDICTION="england",
            OUTBOX_POLL_SECONDS="1",
            **env,
        )
        self.seeded = False
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self._log_files: list = []
        self._app = None

    # -- the command line ------------------------------------------------------------------------

    def flask(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """A ``flask`` command on the server's own environment, for a test of the command itself."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    @property
    def app(self):
        """An app in this process on the server's database, for the services the CLI calls (made on
        first use, before the server starts if asked then: it brings the schema up to date)."""
        if self._app is None:
            from app import create_app
            from config import TestConfig

            self._app = create_app(
                TestConfig,
                SQLALCHEMY_DATABASE_URI=self.env["DATABASE_URL"],
                PUBLIC_URL=self.base_url,
            )
        return self._app

    def seed(self) -> None:
        """The test team (with its duty inbox), its worker and its manager."""
        if self.seeded:
            return
        from app.staff.teams import create_team, create_user, find_team

        with self.app.app_context():
            if find_team(TEAM[0]) is None:
                create_team(TEAM[0], TEAM[1])
                create_user(WORKER, "worker", TEAM[0], PASSWORD)
                create_user(MANAGER, "manager", TEAM[0], PASSWORD)
        self.seeded = True

    def invite(self, case: str, part: int = 1, name: str | None = "Sam", language: str | None = None) -> dict:
        """Make an invitation for a case of the test worker's (Part 2 agreed by the test manager), as
        ``flask invite --case … --worker … [--eligible-agreed-by …]`` does; returns what that prints
        (with ``code`` and ``url``)."""
        from app.cases.services import create_invitation
        from app.cli import invitation_json

        self.seed()
        with self.app.app_context():
            by = MANAGER if part == 2 else None
            new = create_invitation(case, part, language, None, name, worker=WORKER, eligible_agreed_by=by)
            return invitation_json(new)

    def export(self, case: str) -> dict:
        """What ``flask export --case`` prints, as JSON."""
        from app.cases.services import export_case

        with self.app.app_context():
            data = export_case(case)
        assert data is not None, f"no case {case!r}"
        return json.loads(json.dumps(data, ensure_ascii=False))

    def reset(self) -> None:
        """Empty every table but the schema version, and clear this server's rate limits."""
        with self._db() as conn:
            tables = [
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if name not in ("alembic_version", "sqlite_sequence") and not name.startswith("sqlite_")
            ]
            for name in tables:
                conn.execute(f'DELETE FROM "{name}"')  # names from the schema, never input
        self.seeded = False
        self.reset_limits()

    def reset_limits(self) -> None:
        """Forget every sign-in attempt this server counted (its keys in the Redis store)."""
        import redis

        client = redis.Redis.from_url(self.env["RATELIMIT_STORAGE_URI"])
        try:
            keys = list(client.scan_iter(match=f"*{self.ratelimit_prefix}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def revoke_all(self) -> None:
        """Withdraw every invitation, as a worker would, straight in the server's database."""
        path = self.env["DATABASE_URL"].removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE invitation SET revoked_at = CURRENT_TIMESTAMP")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.env["DATABASE_URL"].removeprefix("sqlite:///"))

    def idle_for(self, minutes: float) -> None:
        """Make every open browser session look idle for ``minutes``, as if the tablet sat there."""
        with self._db() as conn:
            conn.execute(
                "UPDATE conversation SET seen_at = datetime('now', ?)", (f"-{minutes * 60:.0f} seconds",)
            )

    def conversation(self, case: str) -> dict:
        """The case's conversation row, straight from the server's database (session, urgent flag)."""
        with self._db() as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute(
                'SELECT conversation.* FROM conversation JOIN "case" ON conversation.case_id = "case".id '
                'WHERE "case".reference = ? ORDER BY conversation.id DESC',
                (case,),
            ).fetchone()
        return dict(row) if row else {}

    def session_open(self, case: str) -> bool:
        """Whether the case's conversation still has a browser session (not ended by exit/time-out)."""
        return bool(self.conversation(case).get("session_token"))

    # -- the server process ----------------------------------------------------------------------

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_files.append(log)
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so stop() can end the server and nothing else
        )

    def start(self, timeout: float = 40) -> Server:
        self.process = self._spawn(
            [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(self.port)]
        )
        if not self._wait(timeout):
            self.stop()
            raise RuntimeError(f"server did not answer:\n{self.log()}")
        return self

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        try:
            if process is not None and process.poll() is None:
                self._end(process)
        finally:
            while self._log_files:
                self._log_files.pop().close()

    def close(self) -> None:
        """Stop the server and let go of this process's connections to its database."""
        self.stop()
        if self._app is not None:
            from app import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()
            self._app = None

    @staticmethod
    def _end(process: subprocess.Popen) -> None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def rss_kb(self) -> int:
        """Resident memory of the server: gunicorn's parent and its worker process together."""
        pids = [self.process.pid]
        for pid in pids:  # grows as children are found
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as children:
                    pids.extend(int(child) for child in children.read().split())
            except FileNotFoundError:
                pass
        total = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as status:
                    total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            except (FileNotFoundError, StopIteration):
                pass
        return total

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def neutral_exit_page(context) -> None:
    """Answer the test EXIT_URL with a plain page, in this browser context only."""
    context.route(
        "https://exit.invalid/**",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body="<!doctype html><html lang=en><title>Weather</title><h1>Weather</h1></html>",
        ),
    )


def axe_source() -> str:
    """axe-core's script, from npm (``npm ci``). Missing is a failure with the fix, never a skip."""
    if not AXE.exists():
        raise AssertionError(f"axe-core is not installed ({AXE} is missing). Run `npm ci` in {ROOT} first.")
    return AXE.read_text(encoding="utf-8")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def shot(page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot under tests/artifacts/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def yes_lets_start(page, live: bool = True, timeout: float = 10_000) -> None:
    """At the opening's consent card ("Shall we start?"): choose "Yes, let's start" and send it.

    ``live``: the chat script's card (JavaScript on); otherwise the plain form the server sends.
    The option is found by its value, so this works in any language; in English its words are
    checked too. Choosing does not send: Continue does, as a person would press it."""
    from playwright.sync_api import expect

    if live:
        expect(page.locator('[data-module="app-chat"]')).to_have_attribute(
            "data-step", "consent", timeout=timeout
        )
        form = page.locator('[data-role="current"] form[data-step="consent"]')
        expect(form).to_be_visible(timeout=timeout)
    else:
        form = page.locator('form[data-role="question"]')
        expect(form.locator('input[name="step"]')).to_have_value("consent", timeout=timeout)
    option = form.locator('input[name="value"][value="yes"]')
    label = form.locator(f'label[for="{option.get_attribute("id")}"]')
    if page.locator("html").get_attribute("lang") == "en":
        expect(label).to_have_text("Yes, let's start")
    label.click()
    expect(option).to_be_checked()
    form.locator('button[type="submit"]' if live else 'button[value="answer"]').click()


def value_for(turn: dict):
    """A valid answer to a turn: its first option (or list of one), a few words, or nothing."""
    kind = turn["input"]["kind"]
    if kind == "choice":
        return turn["input"]["options"][0]["value"]
    if kind == "multi":
        return [turn["input"]["options"][0]["value"]]
    if kind == "text":
        return "Fine."
    return None


class ChatClient:
    """A python-socketio client on /chat (WebSocket only, no reconnection) that queues every
    ``turn``: the protocol as any other client speaks it, for the tests of a served instance."""

    def __init__(self, base_url: str, code: str):
        import socketio

        self.turns: queue.Queue = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("turn", self.turns.put, namespace="/chat")
        self.sio.connect(
            base_url, namespaces=["/chat"], auth={"code": code}, transports=["websocket"], wait_timeout=10
        )

    def turn(self, timeout: float = 10) -> dict:
        """The newest turn, waiting for one if none has come."""
        latest = self.turns.get(timeout=timeout)
        while not self.turns.empty():
            latest = self.turns.get_nowait()
        return latest

    def answer(self, step: str, value, answer_id: str | None = None) -> dict:
        """Send an answer and wait for its acknowledgement."""
        payload = {"id": answer_id or str(uuid.uuid4()), "step": step, "value": value}
        return self.sio.call("answer", payload, namespace="/chat", timeout=10)

    def begin(self) -> dict:
        """Through the opening: Continue at the welcome, then "Yes, let's start" at the consent
        question; return the turn that follows (the first step after consent)."""
        assert self.turn()["step"] == "welcome"
        assert self.answer("welcome", None) == {"ok": True}
        assert self.turn()["step"] == "consent"
        assert self.answer("consent", "yes") == {"ok": True}
        return self.turn()

    def send(self, step: str, value, acks: queue.Queue) -> None:
        """Send an answer without waiting; its acknowledgement goes to ``acks`` with the seconds
        it took."""
        sent = time.monotonic()
        payload = {"id": str(uuid.uuid4()), "step": step, "value": value}

        def acknowledged(ack):
            acks.put((ack, time.monotonic() - sent))

        self.sio.emit("answer", payload, namespace="/chat", callback=acknowledged)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


class WebSocketClient(simple_websocket.Client):
    """simple-websocket's client, minus a race: a message that arrives in the same read as the
    handshake's reply is left unread until more data comes (the Engine.IO open packet then waits for
    the server's first heartbeat, 25 s later). Here it is read at once."""

    def handshake(self):
        super().handshake()
        self.connected = self._handle_events()  # before the reading thread starts: nothing races it


# Part 1 opens, after consent and who is answering, on what matters to the person and what they
# would like to happen: optional questions that browser tests pass by to reach the ones they test.
PART1_OPENING = ("matters", "outcome_words", "outcome_choices", "safe_what")


def skip_opening(page, timeout: float = 10_000) -> None:
    """In the chat page with JavaScript: skip Part 1's person-led opening questions one by one (by
    the Skip button's action, so in any language), until the first question about involvement."""
    from playwright.sync_api import expect

    chat = page.locator('[data-module="app-chat"]')
    for step in PART1_OPENING:
        expect(chat).to_have_attribute("data-step", step, timeout=timeout)
        form = page.locator(f'[data-role="current"] form[data-step="{step}"]')
        expect(form).to_be_visible(timeout=timeout)
        form.locator('[data-action="skip"]').click()
    expect(chat).to_have_attribute("data-step", "involve_how", timeout=timeout)
