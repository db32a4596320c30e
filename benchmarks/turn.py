"""How fast the chat answers: a turn's latency, under load and flat out, and what a connection costs.

Starts the real server (``server_command``: ``flask --app app serve``, gunicorn as production runs it,
``MSP_ENV=test``, on a fresh SQLite file in a temporary directory) and a bare Flask-SocketIO echo
server (benchmarks/echo_server.py: the same async mode and Socket.IO settings, no app) side by side,
and drives both through the chat protocol (README, "Chat protocol") with python-socketio's asyncio
clients, all on one event loop (``Loop``):

- start: from the server process's start to the first ``turn`` a client receives (median of
  ``--starts``), on a database already made;
- sequential: one conversation, the time from sending ``answer`` to receiving the next ``turn``;
- concurrent: for each of ``--conversations`` (a list: 50,200,400), that many conversations each
  answering once a second for ``--seconds``;
- saturated: ``--clients`` conversations answering as soon as each answer is acknowledged, for
  ``--saturate-seconds``; only answers acknowledged ``ok`` count, and the server's CPU time
  (``/proc``, whatever the clients take of the cores) over them is what an answer costs it;
- idle RSS: the server's resident memory (/proc/<pid>/status, with its child processes) after
  ``--idle`` more idle connections, divided by their number.

The table's heading gives the machine's own speed before and after (``reference_us``): figures
of two runs compare only when it reads alike.

Where it compares the two servers it alternates between them (answer by answer when sequential,
block by block under load) so that the machine's own noise falls on both alike. Clients run on the
same machine as the servers and share its cores: figures are for comparing runs on one machine.
Every conversation has its own invitation, made in this process on the server's database before
measuring; a finished conversation goes on with the next one.

With ``--processes N`` (more than 1), each server is N processes: ours on a new PostgreSQL
database (``BENCH_POSTGRES_URL``, the standard port by default) with Redis as Socket.IO's message
queue and the rate limits' storage (``BENCH_REDIS_URL``), as the README's "More than one process"
sets them up, and each new connection goes to the next process in turn, as a proxy passing only
WebSockets would spread them. The database is dropped afterwards.

    python benchmarks/turn.py [--quick] [--json] [--conversations 50,200,400] [--seconds 10] [--processes 2]

About 2 minutes with the defaults; --quick takes about 30 s. Below the table it says which of
issue 11's targets this run met (``targets``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAMESPACE = "/chat"
WORKER = "worker@bench.example"
TEAM = ("Bench team", "duty@bench.example")
ANSWER_TIMEOUT = 10.0  # seconds an answer may take before it counts as an error
ECHO = "echo"
OURS = "ours"

# Defaults (about 2 minutes), and --quick's (about 30 s: starting the servers takes most of it).
DEFAULTS = dict(
    starts=3,
    sequential=200,
    conversations=(50, 200, 400),
    seconds=10,
    clients=20,
    saturate_seconds=10,
    idle=100,
    processes=1,
)
QUICK = dict(starts=1, sequential=30, conversations=(10,), seconds=4, clients=5, saturate_seconds=3, idle=20)
QUICK["processes"] = 1
# Where --processes above 1 finds its database server (a new database is made on it for the run)
# and Redis; by default the standard ports, as the tests'.
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def server_command(port: int) -> list[str]:
    """How the real server is started: change this one function to benchmark another server
    (gunicorn, say). It must listen on 127.0.0.1:``port``; it runs from the repository's root
    with the environment ``server_env`` gives."""
    return [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port)]


def echo_command(port: int) -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / "echo_server.py"), "--port", str(port)]


def server_env(workdir: Path, port: int, database: str, redis: str | None = None) -> dict[str, str]:
    """Production settings (``MSP_ENV=test``: every one required and checked), as the tests'
    servers run; mail goes to a port where nothing listens (no answer here sends any). With
    ``redis``, the setting for more than one process (README, "More than one process"): Socket.IO's
    message queue and the rate limits' storage there."""
    keep = ("FLASK_", "SOCKETIO_", "MAIL_", "MSP_ENV", "RATELIMIT_", "DATA_DIR", "ARGON2_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    env.update(
        MSP_ENV="test",
        SECRET_KEY="bench",
        DATA_DIR=str(workdir / "data"),
        DATABASE_URL=database,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(free_port()),
        MAIL_DEFAULT_SENDER="safeguarding@bench.example",
        COUNCIL_PHONE="01632 960001",
        COUNCIL_OUT_OF_HOURS_PHONE="01632 960002",
        PRIVACY_NOTICE_URL="https://council.example/privacy",
        RETENTION_MONTHS="72",
        DATA_KEYS="kY1bB4wYbIYw0o7gq3KX6Zp5c3tT0m8cXKXb2fZ9d1E=",  # TestConfig.DATA_KEYS
        JURISDICTION="england",
    )
    if redis:
        env.update(SOCKETIO_MESSAGE_QUEUE=f"{redis}/5", RATELIMIT_STORAGE_URI=f"{redis}/6")
    return env


def sqlite_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'db.sqlite3'}"


@contextlib.contextmanager
def fresh_postgres(server: str):
    """A new, empty database on the PostgreSQL server at ``server`` for this run, dropped after it
    (the servers' own start brings its schema up to date)."""
    import sqlalchemy as sa

    name = f"msp_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a generated name, never input
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- invitations -----------------------------------------------------------------------------------


class Codes:
    """Invitation codes for the real server, made in this process on its database (as the command
    line's ``invite`` does), before measuring. ``take`` makes more only if a phase runs out."""

    def __init__(self, workdir: Path, port: int, database: str):
        self._lock = threading.Lock()
        self._codes: list[str] = []
        self._made = 0
        self.made_while_measuring = 0
        from app import create_app
        from config import TestConfig

        self.app = create_app(
            TestConfig, SQLALCHEMY_DATABASE_URI=database, PUBLIC_URL=f"http://127.0.0.1:{port}"
        )
        from app.staff.teams import create_team, create_user

        with self.app.app_context():
            create_team(*TEAM)
            create_user(WORKER, "worker", TEAM[0], "a long enough password for the bench")

    def fill(self, count: int) -> None:
        """Have at least ``count`` unused codes."""
        with self._lock:
            self._make(count - len(self._codes))

    def _make(self, count: int) -> None:
        from app.cases.services import create_invitation

        with self.app.app_context():
            for _ in range(max(0, count)):
                self._made += 1
                self._codes.append(create_invitation(f"BENCH-{self._made}", 1, worker=WORKER).code)

    def take(self) -> str:
        with self._lock:
            if not self._codes:
                self.made_while_measuring += 1
                self._make(1)
            return self._codes.pop()

    def give_back(self, code: str) -> None:
        """A code only connected with (never answered) can be used again."""
        with self._lock:
            self._codes.append(code)

    def close(self) -> None:
        from app import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


class EchoCodes:
    """The echo server takes any code."""

    made_while_measuring = 0

    def fill(self, count: int) -> None:
        pass

    def take(self) -> str:
        return "ECHO"

    def give_back(self, code: str) -> None:
        pass


# -- servers ---------------------------------------------------------------------------------------


class Target:
    """One server process under test, and where its clients find their codes."""

    def __init__(self, name: str, command, port: int, env: dict[str, str], codes, workdir: Path):
        self.name, self.command, self.port, self.env, self.codes = name, command, port, env, codes
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> float:
        """Start the process; seconds from its start to the first turn a client receives."""
        code = self.codes.take()
        with open(self.log_path, "ab") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                self.command(self.port),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stop() ends the server and its children, nothing else
            )
        last = None
        try:
            deadline = started + timeout
            while time.perf_counter() < deadline and self.process.poll() is None:
                client = Conversation(self)
                try:
                    LOOP.run(client.connect(code, 5))
                except Exception as exc:  # not listening yet (socketio's ConnectionError), or no turn
                    last = exc
                    time.sleep(0.02)
                    continue
                elapsed = time.perf_counter() - started
                _close([client])
                return elapsed
            raise RuntimeError(f"{self.name} server served no turn ({last!r}):\n{self.log_tail()}")
        finally:
            self.codes.give_back(code)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
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
        """Resident memory of the server process and its descendants (workers, if any), in KB."""
        return sum(_rss_kb(pid) for pid in _descendants(self.process.pid))

    def cpu_seconds(self) -> float:
        """CPU time the server process and its descendants have used so far (user and system)."""
        return sum(_cpu_seconds(pid) for pid in _descendants(self.process.pid))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def log_errors(self) -> int:
        """Lines in the server's log that report an error or a traceback."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return 0
        marks = ("Traceback", "failed", '" 500 ')
        return sum(1 for line in text.splitlines() if any(mark in line for mark in marks))


class Group:
    """Several processes of one server, as a proxy that passes only WebSockets would spread them
    (README, "More than one process"): each new connection goes to the next process in turn. It
    answers as one ``Target`` does."""

    def __init__(self, name: str, members: list[Target]):
        self.name, self.members, self.codes = name, members, members[0].codes
        self._next = itertools.cycle(members)

    @property
    def url(self) -> str:
        return next(self._next).url

    def start(self, timeout: float = 60) -> float:
        """Start every process; seconds until the last of them served its first turn."""
        return max(member.start(timeout) for member in self.members)

    def stop(self) -> None:
        for member in self.members:
            member.stop()

    def rss_kb(self) -> int:
        return sum(member.rss_kb() for member in self.members)

    def cpu_seconds(self) -> float:
        return sum(member.cpu_seconds() for member in self.members)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(member.log_tail(lines) for member in self.members)

    def log_errors(self) -> int:
        return sum(member.log_errors() for member in self.members)


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after the command, which may hold spaces
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def reference_us() -> float:
    """The machine's own speed: microseconds for ``sum(range(1000))``, the best of five timings.
    On 2026-12-08 it read 15-28 µs on this project's machine, moving by half within minutes: the
    figures of two runs compare only when it reads alike."""
    import timeit

    return round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 1)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


# -- a conversation --------------------------------------------------------------------------------


def answer_for(turn: dict):
    """A correct answer to the turn: nothing for `none`, the first option, some text, confirm."""
    kind = turn["input"]["kind"]
    options = [option["value"] for option in turn["input"].get("options") or []]
    if kind == "choice":
        return options[0]
    if kind == "multi":
        return options[:1]
    if kind == "text":
        return "ok"
    if kind == "review":
        return "confirm"
    return None


class Loop:
    """The clients' event loop, on a thread of its own: every client of a run is an asyncio
    python-socketio client on it. A thread per client (the synchronous client: a reader, a pinger
    and a waiting caller each) cost this process about 2 ms of CPU per answer, on the cores the
    servers share: the echo could not be driven past about 500 answers a second, and at 400
    conversations most of what was measured was the clients' own threads queueing for their
    interpreter. On one loop a client costs a fraction of that."""

    def __init__(self):
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, coroutine, timeout: float | None = None):
        """Run ``coroutine`` on the loop from this (any other) thread, and return its result."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, daemon=True, name="clients").start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)


LOOP = Loop()


class Conversation:
    """One person's client: an asyncio python-socketio client that answers each turn as it comes.
    Its methods are coroutines on ``LOOP``."""

    def __init__(self, target: Target):
        self.target = target
        self.client = None
        self.code: str | None = None
        self.turn: dict | None = None
        self._turned = asyncio.Event()
        self._acked = asyncio.Event()
        self._ack = None
        self._turned_at = self._acked_at = 0.0
        self.ack_latency: float | None = None  # the last answer's, from sending to its ack

    async def connect(self, code: str, wait: float = ANSWER_TIMEOUT) -> None:
        import socketio

        self.close()
        self.code = code
        client = socketio.AsyncClient(reconnection=False)
        client.on("turn", self._on_turn, namespace=NAMESPACE)
        self._turned.clear()
        self.client = client
        try:
            await client.connect(
                self.target.url,
                namespaces=[NAMESPACE],
                auth={"code": code},
                transports=["websocket"],
                wait_timeout=wait,
            )
        except Exception:
            self.close()  # a connection that failed still has its HTTP session to close
            raise
        try:
            await asyncio.wait_for(self._turned.wait(), wait)
        except TimeoutError:
            self.close()
            raise TimeoutError("no turn after connecting") from None

    def _on_turn(self, data) -> None:
        self._turned_at = time.perf_counter()
        self.turn = data
        self._turned.set()

    def _on_ack(self, data=None) -> None:
        self._acked_at = time.perf_counter()
        self._ack = data
        self._acked.set()

    async def _until(self, event: asyncio.Event, deadline: float) -> bool:
        try:
            await asyncio.wait_for(event.wait(), max(0, deadline - time.perf_counter()))
        except TimeoutError:
            return False
        return True

    async def answer(self) -> tuple[float | None, str | None]:
        """Answer the current turn: (seconds from sending to the next turn, None) when it is
        acknowledged ok, else (None, what went wrong). A finished conversation goes on with the
        next code; a timed-out one connects again, where it is."""
        turn = self.turn
        self._turned.clear()
        self._acked.clear()
        payload = {"id": str(uuid.uuid4()), "step": turn["step"], "value": answer_for(turn)}
        sent = time.perf_counter()
        try:
            await self.client.emit("answer", payload, namespace=NAMESPACE, callback=self._on_ack)
        except Exception as exc:  # the connection went away
            await self._recover()
            return None, f"emit: {type(exc).__name__}"
        deadline = sent + ANSWER_TIMEOUT
        if not await self._until(self._acked, deadline):
            await self._recover()
            return None, "timeout"
        ack = self._ack if isinstance(self._ack, dict) else {}
        if not ack.get("ok"):
            # not_current comes with the current turn (sent before the ack); other refusals leave
            # the question as it was.
            return None, str(ack.get("code") or ack)
        if not await self._until(self._turned, deadline):
            await self._recover()
            return None, "timeout (ack, no turn)"
        latency, self.ack_latency = self._turned_at - sent, self._acked_at - sent
        if self.turn.get("finished"):
            await self.connect(self.target.codes.take())
        return latency, None

    async def _recover(self) -> None:
        try:
            await self.connect(self.code)
        except Exception:
            await self.connect(self.target.codes.take())

    def close(self) -> None:
        """Disconnect in the background (on the loop), so that closing never holds up the
        conversation or the run; ``wait_for_closes`` waits for them."""
        client, self.client = self.client, None
        if client is not None:
            _CLOSING.add(asyncio.ensure_future(_disconnect(client)))


_CLOSING: set[asyncio.Future] = set()  # only touched on the loop


async def _disconnect(client) -> None:
    try:
        await client.disconnect()
    except Exception:
        pass
    http = client.eio.http  # the client's aiohttp session, which a failed connect leaves open
    if http is not None and not http.closed:
        await http.close()


async def _closes(timeout: float) -> None:
    closing = list(_CLOSING)
    _CLOSING.clear()
    if closing:
        await asyncio.wait(closing, timeout=timeout)


def wait_for_closes(timeout: float = 15) -> None:
    """Let the clients' background disconnections finish."""
    LOOP.run(_closes(timeout))


# -- statistics ------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# -- the phases ------------------------------------------------------------------------------------


def measure_starts(targets: list[Target], times: int) -> dict:
    """Start each server ``times`` times, alternating; the median from start to first turn."""
    seen: dict[str, list[float]] = {t.name: [] for t in targets}
    for i in range(times):
        for target in targets if i % 2 == 0 else targets[::-1]:
            seen[target.name].append(target.start())
            if i < times - 1:
                target.stop()
    # The last start of each leaves it running for the other phases.
    return {name: round(statistics.median(values), 3) for name, values in seen.items()} | {
        "runs": {name: [round(v, 3) for v in values] for name, values in seen.items()}
    }


def measure_sequential(targets: list[Target], samples: int) -> dict:
    """One conversation per server, answer after answer, alternating servers answer by answer."""
    clients = {t.name: Conversation(t) for t in targets}
    for target in targets:
        LOOP.run(clients[target.name].connect(target.codes.take()))
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    acks: dict[str, list[float]] = {t.name: [] for t in targets}
    errors: dict[str, Counter] = {t.name: Counter() for t in targets}
    try:
        for _ in range(3):  # warm up: the first answers of a process pay for lazy imports
            for target in targets:
                LOOP.run(clients[target.name].answer())
        for i in range(samples):
            for target in targets if i % 2 == 0 else targets[::-1]:
                latency, error = LOOP.run(clients[target.name].answer())
                if error:
                    errors[target.name][error] += 1
                else:
                    latencies[target.name].append(latency)
                    acks[target.name].append(clients[target.name].ack_latency)
    finally:
        for client in clients.values():
            _close([client])
    return {
        name: {
            "p50_ms": ms(pct(values, 50)),
            "p90_ms": ms(pct(values, 90)),
            "ack_p50_ms": ms(pct(acks[name], 50)),
            "samples": len(values),
            "errors": dict(errors[name]),
        }
        for name, values in latencies.items()
    }


def _open(target: Target, count: int, codes: list[str] | None = None) -> list[Conversation]:
    """``count`` connected conversations, each on its own invitation (``codes``, or new ones),
    opened ten at a time (connecting is not measured)."""
    codes = codes if codes is not None else [target.codes.take() for _ in range(count)]

    async def open_all() -> list[Conversation]:
        opened = []
        for first in range(0, len(codes), 10):
            batch = [(Conversation(target), code) for code in codes[first : first + 10]]
            await asyncio.gather(*(conversation.connect(code) for conversation, code in batch))
            opened += [conversation for conversation, _ in batch]
        return opened

    return LOOP.run(open_all())


def _close(conversations: list[Conversation]) -> None:
    async def close_all() -> None:
        for conversation in conversations:
            conversation.close()

    LOOP.run(close_all())


def _drive(conversations: list[Conversation], seconds: float, think: float | None) -> dict:
    """Each conversation answers for ``seconds``, each in its own task: every ``think`` seconds
    (its first answer at a random point of the first interval), or flat out when ``think`` is None."""
    import random

    latencies: list[float] = []
    errors: Counter = Counter()
    start = time.perf_counter()
    end = start + seconds

    async def run(conversation: Conversation) -> None:
        due = start + (random.uniform(0, think) if think else 0)
        while True:
            if think:
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                due = max(due + think, time.perf_counter())
            if time.perf_counter() >= end:
                return
            try:
                latency, error = await conversation.answer()
            except Exception as exc:  # a reconnection failed: this conversation stops
                errors[f"reconnect: {type(exc).__name__}"] += 1
                return
            if error:
                errors[error] += 1
            else:
                latencies.append(latency)

    async def run_all() -> None:
        await asyncio.wait(
            [asyncio.ensure_future(run(c)) for c in conversations], timeout=seconds + 2 * ANSWER_TIMEOUT + 5
        )

    LOOP.run(run_all())
    return {"latencies": latencies, "errors": errors, "seconds": time.perf_counter() - start}


def measure_load(targets: list[Target], count: int, seconds: float, think: float | None, blocks: int) -> dict:
    """``count`` conversations on each server, driven in ``blocks`` alternating blocks that add up
    to ``seconds`` per server (the conversations stay connected between blocks)."""
    for target in targets:
        per_second = 1 / think if think else 25  # a generous guess, for the codes to make first
        target.codes.fill(count * (2 + math.ceil(seconds * per_second / 17)))
    conversations = {t.name: _open(t, count) for t in targets}
    results = {t.name: {"latencies": [], "errors": Counter(), "seconds": 0.0, "cpu": 0.0} for t in targets}
    try:
        for block in range(blocks):
            for target in targets if block % 2 == 0 else targets[::-1]:
                cpu = target.cpu_seconds()
                got = _drive(conversations[target.name], seconds / blocks, think)
                mine = results[target.name]
                mine["cpu"] += target.cpu_seconds() - cpu
                mine["latencies"] += got["latencies"]
                mine["errors"].update(got["errors"])
                mine["seconds"] += got["seconds"]
    finally:
        for opened in conversations.values():
            _close(opened)
    summary = {}
    for name, mine in results.items():
        values = mine["latencies"]
        summary[name] = {
            "p50_ms": ms(pct(values, 50)),
            "p99_ms": ms(pct(values, 99)),
            "ok": len(values),
            "errors": sum(mine["errors"].values()),
            "error_kinds": dict(mine["errors"]),
            "ok_per_second": round(len(values) / mine["seconds"], 1) if mine["seconds"] else None,
            # What an answer costs the server, whatever the clients' share of the cores: its CPU
            # time (refused answers included in the time, not the count) over the answers ok.
            "server_cpu_ms_per_ok": round(mine["cpu"] * 1000 / len(values), 2) if values else None,
        }
    return summary


def measure_idle(targets: list[Target], count: int) -> dict:
    """Server RSS before and after ``count`` more idle connections (each its own invitation)."""
    found = {}
    for target in targets:
        target.codes.fill(count)
        time.sleep(1)
        before = target.rss_kb()
        codes = [target.codes.take() for _ in range(count)]
        opened = []
        try:
            opened = _open(target, count, codes)
            time.sleep(1)  # let the server settle after the connections
            after = target.rss_kb()
        finally:
            _close(opened)
            for code in codes:
                target.codes.give_back(code)  # only connected with: still unanswered
        found[target.name] = {
            "rss_before_kb": before,
            "rss_after_kb": after,
            "per_connection_kb": round((after - before) / count, 1),
        }
    return found


def warm_up(targets: list[Target]) -> None:
    """A few answers on each server before anything is measured (lazy imports, caches)."""
    for target in targets:
        conversation = Conversation(target)
        LOOP.run(conversation.connect(target.codes.take()))
        for _ in range(5):
            LOOP.run(conversation.answer())
        _close([conversation])


# -- the report ------------------------------------------------------------------------------------


def run(settings: dict) -> dict:
    started, load_before, reference_before = time.perf_counter(), os.getloadavg(), reference_us()
    processes = settings["processes"]
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="msp-turn-bench-"))
        workdir = Path(tmp)
        # This process's app compiles catalogues under DATA_DIR too: keep it in the temp dir.
        os.environ["DATA_DIR"] = str(workdir / "bench-process")
        ports = [free_port() for _ in range(processes)]
        if processes == 1:
            database, redis = sqlite_url(workdir), None
        else:  # SQLite is for one process only
            database, redis = stack.enter_context(fresh_postgres(settings["postgres"])), settings["redis"]
        codes = Codes(workdir, ports[0], database)
        codes.fill(40)

        def env_of(port: int) -> dict[str, str]:
            return server_env(workdir, port, database, redis)

        ours = [
            Target(f"{OURS}{i}", server_command, port, env_of(port), codes, workdir)
            for i, port in enumerate(ports, 1)
        ]
        echo_env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        echoes = [
            Target(f"{ECHO}{i}", echo_command, free_port(), echo_env, EchoCodes(), workdir)
            for i in range(1, processes + 1)
        ]
        ours, echo = (ours[0], echoes[0]) if processes == 1 else (Group(OURS, ours), Group(ECHO, echoes))
        ours.name, echo.name = OURS, ECHO
        targets = [ours, echo]
        phases: dict[str, float] = {}

        def phase(name, measure, *args, **kwargs):
            begun = time.perf_counter()
            found = measure(*args, **kwargs)
            wait_for_closes()  # the next phase starts with the last one's sockets closed
            phases[name] = round(time.perf_counter() - begun, 1)
            return found

        try:
            starts = phase("start", measure_starts, targets, settings["starts"])
            phase("warm_up", warm_up, targets)
            idle = phase("idle", measure_idle, targets, settings["idle"])
            codes.fill(settings["sequential"] // 17 + 5)
            sequential = phase("sequential", measure_sequential, targets, settings["sequential"])
            concurrent = {}
            for count in settings["conversations"]:
                concurrent[count] = phase(
                    f"concurrent {count}",
                    measure_load,
                    targets,
                    count,
                    settings["seconds"],
                    think=1.0,
                    blocks=2,
                )
            saturated = phase(
                "saturated",
                measure_load,
                targets,
                settings["clients"],
                settings["saturate_seconds"],
                think=None,
                blocks=2,
            )
            log_errors = {t.name: t.log_errors() for t in targets}
        finally:
            wait_for_closes(5)
            for target in targets:
                target.stop()
            codes.close()
    seq_ratio = None
    if sequential[OURS]["p50_ms"] and sequential[ECHO]["p50_ms"]:
        seq_ratio = round(sequential[OURS]["p50_ms"] / sequential[ECHO]["p50_ms"], 1)
    return {
        "settings": settings,
        "server_command": " ".join(["python"] + ["PORT" if a == "0" else a for a in server_command(0)[1:]]),
        "database": "SQLite" if processes == 1 else "PostgreSQL, Redis",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
            # Other work on the machine while this ran (1, 5 and 15 minute load averages).
            "load_before": [round(x, 1) for x in load_before],
            "load_after": [round(x, 1) for x in os.getloadavg()],
            "reference_us_before": reference_before,
            "reference_us_after": reference_us(),
        },
        "start_to_first_turn_s": starts,
        "sequential": sequential,
        "sequential_p50_ratio": seq_ratio,
        "concurrent": concurrent,
        "saturated": saturated,
        "idle": idle,
        "server_log_error_lines": log_errors,
        "codes_made_while_measuring": codes.made_while_measuring,
        "phase_seconds": phases,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def table(result: dict) -> str:
    s = result["settings"]

    def row(label: str, ours, echo, ratio: bool = False) -> str:
        def cell(v):
            return "-" if v is None else (f"{v:,.1f}" if isinstance(v, float) else f"{v:,}")

        times = "-"
        if ratio and isinstance(ours, int | float) and isinstance(echo, int | float) and echo:
            times = f"{ours / echo:.2f}x" if ours < echo else f"{ours / echo:.1f}x"
        return f"{label:<46}{cell(ours):>11}{cell(echo):>11}{times:>10}"

    def both(label: str, found: dict, key: str, ratio: bool = True) -> str:
        """One figure of a phase, ours beside the echo's."""
        return row(label, found[OURS][key], found[ECHO][key], ratio)

    seq, con, sat, idle = result["sequential"], result["concurrent"], result["saturated"], result["idle"]
    starts = result["start_to_first_turn_s"]
    machine = result["machine"]
    load = machine["load_before"][0], machine["load_after"][0]
    lines = [
        f"Chat turn benchmark: ours = {result['server_command']} ({result['database']}), "
        "echo = benchmarks/echo_server.py"
        + (f"; {s['processes']} processes of each" if s["processes"] > 1 else ""),
        f"{machine['cpus']} CPUs, Python {machine['python']}, "
        f"clients on the same machine; {result['wall_seconds']} s; "
        f"load average {load[0]} before, {load[1]} after",
        f"the machine's speed (reference_us, lower is faster): {machine['reference_us_before']} µs before, "
        f"{machine['reference_us_after']} µs after",
        "",
        f"{'':<46}{'ours':>11}{'echo':>11}{'ours/echo':>10}",
        row(
            f"start to first turn, s (median of {s['starts']})",
            float(starts[OURS]),
            float(starts[ECHO]),
            True,
        ),
        both(f"sequential turn p50, ms ({s['sequential']} answers)", seq, "p50_ms"),
        both("sequential turn p90, ms", seq, "p90_ms"),
        both("sequential answer to its ack p50, ms", seq, "ack_p50_ms"),
    ]
    for count, found in con.items():
        lines += [
            both(f"{count} conversations x 1 answer/s: p50, ms", found, "p50_ms"),
            both(f"  p99, ms ({s['seconds']:g} s each)", found, "p99_ms"),
            both("  answers ok", found, "ok", ratio=False),
            both("  errors (not ok, timeouts)", found, "errors", ratio=False),
        ]
    lines += [
        both(
            f"saturated, {s['clients']} clients: ok turns/s ({s['saturate_seconds']:g} s)",
            sat,
            "ok_per_second",
        ),
        both("  p50, ms", sat, "p50_ms"),
        both("  p99, ms", sat, "p99_ms"),
        both("  server CPU per ok turn, ms", sat, "server_cpu_ms_per_ok"),
        both("  errors (not ok, timeouts)", sat, "errors", ratio=False),
        both(f"RSS per idle connection, KB ({s['idle']} sockets)", idle, "per_connection_kb"),
        row(
            "RSS before them, MB",
            round(idle[OURS]["rss_before_kb"] / 1024, 1),
            round(idle[ECHO]["rss_before_kb"] / 1024, 1),
        ),
    ]
    kinds = {
        f"{count} conversations {name}": found[name]["error_kinds"]
        for count, found in con.items()
        for name in (OURS, ECHO)
        if found[name]["error_kinds"]
    }
    kinds.update(
        {f"saturated {name}": sat[name]["error_kinds"] for name in (OURS, ECHO) if sat[name]["error_kinds"]}
    )
    for name in (OURS, ECHO):
        if seq[name]["errors"]:
            kinds[f"sequential {name}"] = seq[name]["errors"]
    if kinds:
        lines.append("")
        lines.append("errors: " + "; ".join(f"{k}: {v}" for k, v in kinds.items()))
    if any(result["server_log_error_lines"].values()):
        lines.append(f"server log lines mentioning an error: {result['server_log_error_lines']}")
    lines += ["", "Targets (issue 11), this run:"]
    lines += [f"  {'met    ' if met else 'NOT met'}  {text}" for text, met in targets(result)]
    return "\n".join(lines)


def targets(result: dict) -> list[tuple[str, bool]]:
    """Issue 11's targets for this machine that this run measured, each with its figure and whether
    it was met: sequential p50 at most 3x the echo, at least 300 ok turns/s saturated, p99 at most
    250 ms with 200 conversations answering once a second, and no errors with 400."""
    found = []
    ratio = result["sequential_p50_ratio"]
    if ratio is not None:
        found.append((f"sequential p50 {ratio}x the echo (target <= 3x)", ratio <= 3))
    turns = result["saturated"][OURS]["ok_per_second"]
    if turns is not None and result["database"] == "SQLite":  # the target is for SQLite
        found.append((f"saturated {turns:,.0f} ok turns/s (target >= 300)", turns >= 300))
    con = result["concurrent"]
    if 200 in con and con[200][OURS]["p99_ms"] is not None:
        p99 = con[200][OURS]["p99_ms"]
        found.append((f"200 conversations: p99 {p99:,.0f} ms (target <= 250 ms)", p99 <= 250))
    if 400 in con:
        errors = con[400][OURS]["errors"]
        found.append((f"400 conversations: {errors:,} errors (target 0)", errors == 0))
    return found


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(",") if part.strip())
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of whole numbers, e.g. 50,200,400")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, about 45 s")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--starts", type=int, help=f"server starts to time (default {DEFAULTS['starts']})")
    parser.add_argument(
        "--sequential", type=int, help=f"sequential answers (default {DEFAULTS['sequential']})"
    )
    parser.add_argument(
        "--conversations",
        type=_counts,
        help="concurrent conversations, one phase for each of a comma-separated list (default "
        + ",".join(str(n) for n in DEFAULTS["conversations"])
        + ")",
    )
    parser.add_argument(
        "--seconds", type=float, help=f"concurrent phase, per server (default {DEFAULTS['seconds']})"
    )
    parser.add_argument("--clients", type=int, help=f"saturating clients (default {DEFAULTS['clients']})")
    parser.add_argument(
        "--saturate-seconds",
        type=float,
        help=f"saturated phase, per server (default {DEFAULTS['saturate_seconds']})",
    )
    parser.add_argument("--idle", type=int, help=f"idle connections for RSS (default {DEFAULTS['idle']})")
    parser.add_argument(
        "--processes",
        type=int,
        help="server processes of each kind (default 1, on SQLite); more: on a new PostgreSQL database "
        "(BENCH_POSTGRES_URL) and Redis (BENCH_REDIS_URL), each connection to the next process in turn",
    )
    args = parser.parse_args()
    settings = dict(QUICK if args.quick else DEFAULTS)
    for key in settings:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if settings["processes"] < 1:
        parser.error("--processes: at least 1")
    settings.update(postgres=POSTGRES, redis=REDIS)
    result = run(settings)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
