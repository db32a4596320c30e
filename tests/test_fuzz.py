"""A fuzz test of the chat's Socket.IO interface, with Hypothesis, on a real served instance.

At least 10,000 fuzzed events and packets, in four tests that share one conversation, in this order:

1. Socket.IO events, well formed on the wire, with any name, namespace, acknowledgement id and
   arguments (JSON of every shape: unicode, huge numbers, nesting, extra arguments, reserved names),
   and acknowledgements the server never asked for;
2. answers made from the current turn's valid answer and then broken in one way each: another step,
   a value not offered, the wrong type, over-long or not-text text, a reused answer id with another
   step or value, a field missing, an extra argument. Between batches a valid answer moves the
   conversation on, so that the mutations meet each kind of question;
3. raw Engine.IO and Socket.IO packets: unknown packet types, broken JSON, binary attachment counts
   that do not match, numbers and nesting past the decoder's limits, bytes, byte-level mutations of
   valid packets. Each batch on a new connection (the server may close one on a broken packet);
4. the same conversation afterwards: a valid answer is acknowledged ``ok`` and the next turn
   arrives, only the valid answers were stored, and the person's page still opens.

The oracle does not ask the server what is valid: every fuzzed event is invalid by construction (one
that could be accepted, judged by the protocol in the README, is given an extra argument, which every
handler refuses), so any ``ok`` is a failure, as is any refusal code other than the input errors
(``unavailable`` is what the server says on an unexpected exception), a missing acknowledgement, a
traceback or an ERROR line in the server log, and a 5xx. A closed connection is not a failure.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import simple_websocket
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from socketio import packet as socketio_packet

from browser_support import WebSocketClient

pytestmark = pytest.mark.server

CASE = "FUZZ-1"
TOTAL = 10_000
# Events per test, and per Hypothesis example (a batch sent in one go, then one round trip).
QUOTA = {"events": 4_000, "answers": 4_000, "raw": 2_000}
BATCH = {"events": 40, "answers": 25, "raw": 10}
ADVANCES = 10  # valid answers between the answer batches (the conversation stops short of review)

FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,
    # No shrinking: the oracle collects what it finds rather than fail an example (each a batch, and
    # the conversation on the server goes on), so an example only fails on an error of the test's own.
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}

# What the server may refuse a fuzzed event with: input errors only. Anything else (unavailable,
# busy, closed, a code the README does not name) is a failure.
INPUT_ERRORS = {
    "malformed",
    "not_current",
    "conflict",
    "not_an_option",
    "not_text",
    "too_long",
    "required",
    "no_answer_expected",
    "not_a_language",
}
VALUE_ERRORS = {"not_an_option", "not_text", "too_long", "required", "no_answer_expected"}
HANDLED = ("answer", "back", "change", "resume", "language", "settings", "help", "more_time", "exit")
ALWAYS_OK = ("back", "resume", "help", "more_time", "exit")  # acknowledged ok with any one argument
NAMES = (*HANDLED, "connect", "disconnect", "turn", "ended", "message", "error", "connect_error", "*")
TEXT_SIZES = ("normal", "large", "larger")
SETTINGS = {
    "easy_read": lambda v: isinstance(v, bool),
    "text_size": lambda v: isinstance(v, str) and v in TEXT_SIZES,
    "high_contrast": lambda v: isinstance(v, bool),
}
MAX_TEXT, MAX_ID = 2000, 64

# Acknowledgement ids: the fuzz's own count up from 1 (or from HUGE); our round trips use OURS and up,
# so that a reply is always known to be to a fuzzed event or to one of ours.
FUZZ_IDS = itertools.count(1)
HUGE = 10**20
OURS = 7 * 10**15
OUR_IDS = itertools.count(OURS)
WS_PATH = "/socket.io/?EIO=4&transport=websocket"
SERVER_PACKET = re.compile(r"4(?P<type>[0-9])(?:(?P<nsp>/[^,]*),)?(?P<id>[0-9]*)(?P<data>.*)", re.S)
LOG_TROUBLE = re.compile(r"Traceback|\bERROR\b")
# RequestLog's line for a WebSocket, written once the server is done with the connection.
WEBSOCKET_DONE = re.compile(r"GET /socket\.io/ \(websocket\) \d+ [\d.]+ms")
LOG_STAMP = re.compile(r"^\[?\d{4}-\d\d-\d\d[ T][\d:,.]+(?: [+-]\d{4})?\]? *(?:\[\d+\] *)?")

SENT: Counter = Counter()  # events actually sent, per test: the last test checks the total


def ours(ack: int) -> bool:
    return OURS <= ack < HUGE


# -- a raw client ----------------------------------------------------------------------------------


class Wire:
    """One Engine.IO WebSocket to the served instance, speaking the packets by hand (so that anything
    can be sent), its /chat namespace opened with the access code."""

    def __init__(self, server, code: str | None = None):
        url = server.base_url.replace("http://", "ws://", 1) + WS_PATH
        self.ws = WebSocketClient.connect(url)
        self.acks: dict[int, Any] = {}
        self.turns: list[dict] = []
        self.events: list[str] = []
        self.noops = 0
        self.opened = self.refused = self.closed = self.synced = False
        first = self.ws.receive(timeout=10)
        assert isinstance(first, str) and first.startswith("0{"), first  # Engine.IO's open packet
        if code is not None:
            self.send("40/chat," + json.dumps({"code": code}))
            self.wait(lambda: self.opened or self.refused, 10)

    def send(self, message: str | bytes) -> bool:
        """Send one WebSocket message; False if the connection is closed (nothing was sent)."""
        if self.closed:
            return False
        try:
            self.ws.send(message)
        except (simple_websocket.ConnectionClosed, OSError):
            self.closed = True
        return not self.closed

    def emit(self, name: Any, *args: Any, ack: int | str | None = None, namespace: str = "/chat") -> bool:
        return self.send(encode_event(name, list(args), ack, namespace))

    def call(self, name: str, *args: Any, timeout: float = 10) -> Any:
        """An event of ours, acknowledged: its reply (None if none came)."""
        ack = next(OUR_IDS)
        self.emit(name, *args, ack=ack)
        self.wait(lambda: ack in self.acks, timeout)
        reply = self.acks.pop(ack, None)
        return reply[0] if reply else None

    def ping(self) -> bool:
        """A round trip on /chat: every packet sent before it has been read."""
        reply = self.call("more_time")
        return isinstance(reply, dict) and reply.get("ok") is True

    def sync(self, expected_noops: int) -> None:
        """A round trip at the Engine.IO level (an upgrade packet is answered by a noop), which no
        Socket.IO state can swallow: every message sent before it has been decoded."""
        self.send("5")
        self.wait(lambda: self.noops >= expected_noops, 10)

    def wait(self, done, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done() and not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.pump(left)
        return done()

    def pump(self, timeout: float) -> None:
        try:
            message = self.ws.receive(timeout=timeout)
        except simple_websocket.ConnectionClosed:
            self.closed = True
            return
        if message is None or isinstance(message, bytes):
            return
        if message == "2":  # the server's heartbeat
            self.send("3")
        elif message.startswith("6"):
            self.noops += 1
        elif match := SERVER_PACKET.fullmatch(message):
            self._socketio(match)

    def _socketio(self, match: re.Match) -> None:
        if match["nsp"] != "/chat":
            return
        data = json.loads(match["data"]) if match["data"] else None
        kind = match["type"]
        if kind == "0":
            self.opened = True
        elif kind == "4":
            self.refused = True
        elif kind == "2" and isinstance(data, list) and data:
            self.events.append(data[0])
            if data[0] == "turn":
                self.turns.append(data[1])
        elif kind == "3" and match["id"]:
            self.acks[int(match["id"])] = data

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - already closed by the server: nothing to close
            pass
        self.closed = True


def encode_event(name: Any, args: list, ack: int | str | None, namespace: str = "/chat") -> str:
    """A Socket.IO EVENT packet in an Engine.IO message, as a client writes it."""
    head = "42" if namespace == "/" else f"42{namespace},"
    return head + ("" if ack is None else str(ack)) + json.dumps([name, *args])


# -- the shared conversation -----------------------------------------------------------------------


@dataclass
class Stored:
    """A valid answer we sent, and what the server should have stored for it."""

    id: str
    step: str
    kind: str
    value: Any


@dataclass
class Fuzz:
    server: Any
    code: str
    turn: dict
    steps: list[str]
    languages: tuple[str, ...]
    valid: list[Stored] = field(default_factory=list)

    @property
    def step(self) -> str:
        return self.turn["step"]

    @property
    def kind(self) -> str:
        return self.turn["input"]["kind"]

    def wire(self) -> Wire:
        """A new connection with the conversation open; the rate limits cleared if a fuzzed connect
        with a wrong code used up this address's tries (the throttle doing its job, not a failure)."""
        wire = Wire(self.server, self.code)
        if not wire.opened:
            wire.close()
            self.server.reset_limits()
            wire = Wire(self.server, self.code)
        assert wire.opened, "the conversation's code no longer opens it"
        return wire

    def answer(self, wire: Wire, value: Any) -> None:
        """A valid answer to the current turn: acknowledged ok, then we are on the next turn."""
        turn, answer_id = self.turn, str(uuid.uuid4())
        reply = wire.call("answer", {"id": answer_id, "step": turn["step"], "value": value})
        assert reply == {"ok": True}, (turn["step"], value, reply)
        self.valid.append(Stored(answer_id, turn["step"], self.kind, stored_form(turn, value)))
        self.resume(wire)
        assert self.step != turn["step"], f"still on {turn['step']} after a valid answer"

    def resume(self, wire: Wire) -> dict:
        """Where the conversation is now, as the server says."""
        wire.turns.clear()
        reply = wire.call("resume")
        assert reply == {"ok": True}, reply
        assert wire.wait(lambda: wire.turns, 10), "no turn after resume"
        self.turn = wire.turns[-1]
        return self.turn

    def might_be_accepted(self, namespace: Any, name: Any, args: list) -> bool:
        """Whether the protocol (README) could accept this event now: the fuzz never sends one."""
        if not isinstance(namespace, str) or namespace.split("?", 1)[0] != "/chat" or len(args) > 1:
            return False
        if not isinstance(name, str):
            return False
        if name in ALWAYS_OK:
            return True
        data = args[0] if args else None
        if name == "language":
            return isinstance(data, dict) and data.get("lang") in self.languages
        if name == "settings":
            return (
                isinstance(data, dict) and bool(data) and all(SETTINGS.get(k, no)(v) for k, v in data.items())
            )
        if name == "change":
            return self.kind == "review"
        if name == "answer":
            if not isinstance(data, dict) or "value" not in data:
                return False
            earlier = {s.id: s.step for s in self.valid}
            answer_id, step = data.get("id"), data.get("step")
            return step == self.step or (isinstance(answer_id, str) and earlier.get(answer_id) == step)
        return False

    def invalid(self, namespace: Any, name: Any, args: list) -> list:
        """The arguments, made invalid if they might be accepted: two or more arguments are
        ``malformed`` for every handler, which is then not run."""
        args = list(args)
        if self.might_be_accepted(namespace, name, args):
            args += [None] * max(2 - len(args), 1)
        return args


def no(_value) -> bool:
    return False


def values(turn: dict) -> list[str]:
    if turn["input"]["kind"] == "review":
        return ["confirm"]
    return [o["value"] for o in turn["input"].get("options") or []]


def normal_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def stored_form(turn: dict, value: Any) -> Any:
    """What the README says is stored for a valid answer: text trimmed, one form of line break,
    repeats in a list dropped, an empty optional answer as nothing."""
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and turn["input"]["kind"] == "text":
        return normal_text(value)
    if isinstance(value, list):
        return list(dict.fromkeys(value))
    return value


def maybe_same(earlier: Stored, value: Any) -> bool:
    """Whether ``value`` could be taken for what ``earlier`` stored (a true retry: ok, duplicate)."""
    if value == earlier.value:
        return True
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return earlier.value is None
    if isinstance(value, str):
        return normal_text(value) == earlier.value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(dict.fromkeys(value)) == earlier.value
    return False


@pytest.fixture(scope="module")
def server(shared_server):
    """This module's tests build on one conversation: the server is emptied once, before the first."""
    shared_server.reset()
    return shared_server


@pytest.fixture(scope="module")
def fuzz(server):
    """The conversation every test here fuzzes, its first step (nothing to answer) answered."""
    code = server.invite(CASE)["code"]
    app = server.app
    steps = sorted({sid for d in app.extensions["dialogues"].values() for sid in d.spec.steps})
    state = Fuzz(server, code, {}, steps, tuple(app.config["LANGUAGES"]))
    wire = state.wire()
    state.resume(wire)
    assert state.kind == "none", state.turn
    state.answer(wire, None)
    wire.close()
    return state


class LogWindow:
    """What the server writes to its log from now on."""

    def __init__(self, server):
        self.path = server.log_path
        self.start = self.mark()

    def mark(self) -> int:
        return self.path.stat().st_size

    def since(self, offset: int | None = None) -> str:
        with self.path.open("rb") as f:
            f.seek(self.start if offset is None else offset)
            return f.read().decode("utf-8", errors="replace")


def trouble(text: str) -> list[str]:
    """The log's tracebacks (each as the exception it ends in) and its other ERROR lines."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next((j for j in range(i + 1, len(lines)) if not lines[j].startswith(" ")), None)
            found.append("traceback: " + (lines[end].strip() if end is not None else "(cut off)"))
        elif LOG_TROUBLE.search(line) and not (i + 1 < len(lines) and lines[i + 1].startswith("Traceback")):
            found.append(LOG_STAMP.sub("", line).strip())
    return found


def report(problems: list[str], limit: int = 40) -> str:
    counted = Counter(problems)
    shown = [f"{n} x {p}" if n > 1 else p for p, n in counted.most_common(limit)]
    more = len(counted) - len(shown)
    return "\n".join(shown + ([f"... and {more} more kinds"] if more > 0 else []))


def check_reply(reply: Any, what: str, expect: set[str], problems: list[str]) -> None:
    """A fuzzed event's acknowledgement: a refusal with one of the ``expect`` codes, never ok."""
    first = reply[0] if isinstance(reply, list) and reply else None
    if not isinstance(first, dict) or len(reply) != 1:
        problems.append(f"acknowledged with {reply!r:.200} for {what}")
    elif first.get("ok") is not False:
        problems.append(f"acknowledged {first!r:.200} for invalid input: {what}")
    elif first.get("code") not in expect:
        problems.append(f"refused with {first.get('code')!r} (expected one of {sorted(expect)}): {what}")


def check_log(window: LogWindow, problems: list[str]) -> None:
    problems.extend(f"server log: {line}" for line in trouble(window.since()))


def fuzz_settings(test: str) -> settings:
    """As many examples (batches) as the test's quota of events takes, and a quarter more.

    Not every batch is sent whole (a packet the server might accept is left out, and a connection the
    server closes takes no more), so a run of exactly quota / batch examples can fall a few short (CI
    once sent 1,993 of 2,000). The spare examples make up for it; each test's batch returns at once
    when its quota is sent (`sent_enough`), so the spares cost nothing when they are not needed.
    """
    return settings(max_examples=math.ceil(QUOTA[test] / BATCH[test] * 1.25), **FUZZ_SETTINGS)


def sent_enough(test: str) -> bool:
    return SENT[test] >= QUOTA[test]


# -- strategies ------------------------------------------------------------------------------------

WEIRD_TEXT = [
    "",
    " ",
    "\t\n",
    "\x00",
    "\u202e",
    "\ufeff",
    "\ud800",
    "a\udfffb",
    "😀",
    "null",
    "true",
    "__proto__",
    "constructor",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%s%n",
    "\\",
    "x" * (MAX_ID + 1),
    "y" * (MAX_TEXT + 1),
]
KEYS = [
    "id",
    "step",
    "value",
    "lang",
    "code",
    "easy_read",
    "text_size",
    "high_contrast",
    "_placeholder",
    "num",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**99) + 1, max_value=10**99 - 1)  # the decoder's limit: 100 digits
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.text(st.characters(categories=["Cs", "Co", "Cf", "Zs", "Mn"]), max_size=8)
    | st.sampled_from(WEIRD_TEXT)
)


def nested(depth: int, in_dict: bool) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"value": value} if in_dict else [value]
    return value


JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
) | st.builds(nested, st.integers(1, 300), st.booleans())


def fuzzed_arguments(fuzz: Fuzz) -> dict[str, Any]:
    """For each event name, an argument shaped like what the event takes, or anything at all
    (made once per test: the conversation stays where it is during one)."""
    steps = st.sampled_from([*fuzz.steps, fuzz.step]) | JSON
    ids = st.sampled_from([s.id for s in fuzz.valid]) | st.uuids().map(str) | JSON
    shaped = {
        "answer": st.fixed_dictionaries(
            {},
            optional={"id": ids, "step": steps, "value": st.sampled_from(values(fuzz.turn) or [None]) | JSON},
        ),
        "language": st.fixed_dictionaries({}, optional={"lang": st.sampled_from(fuzz.languages) | JSON}),
        "settings": st.dictionaries(
            st.sampled_from(list(SETTINGS)) | st.text(max_size=8),
            st.booleans() | st.sampled_from(TEXT_SIZES) | JSON,
            max_size=4,
        ),
        "change": st.fixed_dictionaries({}, optional={"step": steps}),
        "connect": st.fixed_dictionaries({}, optional={"code": st.just(fuzz.code) | JSON}),
    }
    return {name: strategy | JSON for name, strategy in shaped.items()}


@st.composite
def socketio_events(draw, fuzz: Fuzz, arguments: dict[str, Any]):
    """A well-formed packet from a client: an event (most), or an acknowledgement never asked for.
    Returns (the packet, the fuzzed event it carries or None, the acknowledgement id it asks for)."""
    if draw(st.integers(0, 9)) == 0:
        ack = draw(st.none() | st.integers(0, 10**30))
        head = "43/chat," + ("" if ack is None else str(ack))
        return head + json.dumps(draw(st.lists(JSON, max_size=3))), None, None
    name = draw(st.sampled_from(NAMES) | st.text(max_size=12))
    namespace = draw(
        st.sampled_from(["/chat"] * 12 + ["/", "/staff", "/nope", "/chat/", "/CHAT", "/chat?x=1"])
    )
    args = fuzz.invalid(namespace, name, draw(st.lists(arguments.get(name, JSON), max_size=3)))
    form = draw(st.sampled_from(["id", "id", "id", "none", "zeros", "huge"]))
    number = next(FUZZ_IDS) + (HUGE if form == "huge" else 0)
    ack = {"none": None, "zeros": f"000{number}"}.get(form, number)
    packet = encode_event(name, args, ack, namespace)
    expects = namespace.split("?")[0] == "/chat" and ack is not None and name in (*HANDLED, "connect")
    return packet, (name, args), number if expects else None


# -- 1. Socket.IO events ---------------------------------------------------------------------------


def test_socketio_events_with_any_name_namespace_id_and_arguments(fuzz):
    window, problems = LogWindow(fuzz.server), []
    step = fuzz.step
    wire = fuzz.wire()
    events = socketio_events(fuzz, fuzzed_arguments(fuzz))

    @fuzz_settings("events")
    @given(st.lists(events, min_size=BATCH["events"], max_size=BATCH["events"]))
    def run(batch):
        nonlocal wire
        if sent_enough("events"):
            return
        waiting = {}
        for packet, event, ack in batch:
            if not wire.send(packet):
                break
            SENT["events"] += 1
            if ack is not None:
                waiting[ack] = event
        if not wire.ping():
            problems.append(f"the connection stopped answering after {[p[:120] for p, _, _ in batch]}")
            wire.close()
            wire = fuzz.wire()
        wire.wait(lambda: all(a in wire.acks for a in waiting), 2)  # handlers on threads: any order
        for ack, (name, args) in waiting.items():
            what = f"{name!r:.60} {json.dumps(args)[:300]}"
            if ack not in wire.acks:
                problems.append(f"no acknowledgement for {what}")
            elif name == "connect":  # a client event by that reserved name is ignored
                if wire.acks[ack] not in ([], None):
                    problems.append(f"acknowledged {wire.acks[ack]!r:.200} for a client event named connect")
            else:
                check_reply(wire.acks[ack], what, INPUT_ERRORS, problems)
        stray = [a for a in wire.acks if not ours(a) and a not in waiting]
        problems.extend(f"acknowledged {wire.acks[a]!r:.200} for no event with id {a}" for a in stray)
        wire.acks.clear()
        moved = [t["step"] for t in wire.turns if t["step"] != step]
        problems.extend(f"the conversation moved to {s} on invalid input" for s in moved[:1])
        if "ended" in wire.events:
            problems.append("the session was ended by invalid input")
        wire.turns.clear()
        wire.events.clear()

    run()
    assert fuzz.resume(wire)["step"] == step, "the conversation moved"
    wire.close()
    check_log(window, problems)
    assert SENT["events"] >= QUOTA["events"]
    assert not problems, report(problems)


# -- 2. mutated answers ----------------------------------------------------------------------------


@dataclass
class Mutation:
    kind: str
    args: list
    expect: set[str]

    def __str__(self) -> str:
        return f"{self.kind}: {json.dumps(self.args)[:300]}"


# Hypothesis draws the same kinds of things whatever the conversation's state (its data must not depend
# on the server): a recipe of numbers, text and JSON, which ``Recipe.valid`` and ``Recipe.broken``
# then map onto the current turn, in plain Python.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=120)


@dataclass
class Recipe:
    kind: str
    form: int
    pick: int
    picks: list[int]
    text: str
    length: int
    surrogate: int
    json: Any
    extra: list

    def valid(self, turn: dict) -> Any:
        """A valid answer to ``turn``, as the README describes each input kind."""
        kind, optional, offered = turn["input"]["kind"], turn["input"].get("optional"), values(turn)
        if kind == "none":
            return None
        if turn["step"] == "consent":
            # "Yes, let's start": "Not now" and "talk to someone first" lead back to this question,
            # and an answer given again at a step supersedes the first, which this oracle (every
            # valid answer kept, none superseded) does not model. The loops have tests of their own.
            return "yes"
        if kind in ("choice", "review"):
            return offered[self.pick % len(offered)]
        if kind == "multi":
            chosen = [offered[i % len(offered)] for i in self.picks]
            return chosen if chosen or optional else [offered[self.pick % len(offered)]]
        assert kind == "text", turn
        text = self.text if self.text.strip() else f"{self.text}answer {self.pick}"
        return text if len(normal_text(text)) <= MAX_TEXT else text[:MAX_TEXT].strip() or "answer"

    def other_step(self, fuzz: Fuzz, not_this: str) -> str:
        """A step name (at most 64 characters) that is not ``not_this``."""
        near = [not_this.upper(), not_this + " ", not_this[:-1], not_this + ".1", " " + not_this]
        names = [*fuzz.steps, *near, self.text[:MAX_ID]]
        name = names[self.pick % len(names)]
        return name if name != not_this else not_this + "_"

    def not_text_or_empty(self) -> Any:
        """Any JSON value but a string or an empty one."""
        value = self.json
        return value if not isinstance(value, str) and not maybe_empty(value) else [value]

    def bad_value(self, turn: dict) -> tuple[Any, set[str]]:
        """A value the current step refuses, and what it may be refused as."""
        kind, optional, offered = turn["input"]["kind"], bool(turn["input"].get("optional")), values(turn)
        empty = [] if optional else [None, [], "", "  \n\t "]
        form = self.form % 4
        if kind == "none":
            return (self.json if self.json is not None else self.extra), {"no_answer_expected"}
        if form == 3 and empty:
            return empty[self.pick % len(empty)], {"required"}
        if kind in ("choice", "review"):
            chosen = offered[self.pick % len(offered)]
            near = [chosen.upper(), chosen + " ", " " + chosen, chosen[:-1], chosen * 2, chosen + "\x00"]
            candidates = [near[self.pick % len(near)], self.text, self.json]
            value = candidates[form % 3]
            if value in offered or maybe_empty(value):
                value = {"value": value}
            return value, VALUE_ERRORS
        if kind == "multi":
            chosen = [offered[i % len(offered)] for i in self.picks]
            unknown = self.text if self.text not in offered else self.text + "\x00"
            wrong = [unknown, self.not_text_or_empty()][form % 2]
            if form == 2:  # one option, not in a list
                return offered[self.pick % len(offered)], VALUE_ERRORS
            return [*chosen, wrong, *chosen], VALUE_ERRORS
        assert kind == "text", turn
        core = "".join(c for c in self.text if not c.isspace()) or "x"
        if form == 0:  # nothing to trim: as long after the server's clean-up as sent
            length = MAX_TEXT + 1 + self.length
            return (core * (length // len(core) + 1))[:length], {"too_long"}
        if form == 1:
            return core + "\x00" + core, {"not_text"}
        if form == 2:  # a surrogate that pairs with nothing: no Unicode text, though JSON can spell it
            return f"{self.text}a{chr(self.surrogate)}b", {"not_text"}
        return self.not_text_or_empty(), VALUE_ERRORS

    def broken(self, fuzz: Fuzz) -> Mutation:
        """The current turn's valid answer, broken in one way."""
        step, fresh, value = fuzz.step, str(uuid.uuid4()), self.valid(fuzz.turn)
        if self.kind == "step":
            stale = self.other_step(fuzz, step)
            return Mutation("another step", [{"id": fresh, "step": stale, "value": value}], {"not_current"})
        if self.kind == "value":
            bad, expect = self.bad_value(fuzz.turn)
            return Mutation(f"a bad {fuzz.kind} value", [{"id": fresh, "step": step, "value": bad}], expect)
        if self.kind == "id":
            lone = f"id-{chr(self.surrogate)}-{self.pick}"  # no Unicode text: no id either
            bad_ids = ["", "i" * (MAX_ID + 1), "j" * 500, self.not_text_or_empty(), None, lone]
            bad_id = bad_ids[self.form % len(bad_ids)]
            payload = {"step": step, "value": value} | ({} if bad_id is None else {"id": bad_id})
            return Mutation("a bad id", [payload], {"malformed"})
        if self.kind == "shape":
            shapes = [
                [{"id": fresh, "step": step}],  # no value
                [{"id": fresh, "value": value}],  # no step
                [{"id": fresh, "step": "s" * (MAX_ID + 1), "value": value}],
                [{"id": fresh, "step": self.not_text_or_empty(), "value": value}],
                [self.json if not isinstance(self.json, dict) else [self.json]],  # not an object
                [],  # no argument at all
            ]
            return Mutation("a malformed answer", shapes[self.form % len(shapes)], {"malformed"})
        if self.kind == "extra":
            args = [{"id": fresh, "step": step, "value": value}, self.json, *self.extra[:1]]
            return Mutation("an extra argument", args, {"malformed"})
        assert self.kind == "reuse"
        earlier = fuzz.valid[self.pick % len(fuzz.valid)]
        if self.form % 2:
            stale = self.other_step(fuzz, earlier.step)
            payload = {"id": earlier.id, "step": stale, "value": value}
            return Mutation("a reused id, another step", [payload], {"conflict"})
        changed = next((v for v in (value, self.json) if not maybe_same(earlier, v)), {"not": value})
        payload = {"id": earlier.id, "step": earlier.step, "value": changed}
        return Mutation("a reused id, another value", [payload], {"conflict"})


RECIPES = st.builds(
    Recipe,
    kind=st.sampled_from(["step", "value", "value", "value", "id", "shape", "extra", "reuse"]),
    form=st.integers(0, 59),
    pick=st.integers(0, 10**6),
    picks=st.lists(st.integers(0, 10**6), max_size=5),
    text=TEXT,
    length=st.integers(0, 600),
    surrogate=st.integers(0xD800, 0xDFFF),
    json=JSON,
    extra=st.lists(JSON, max_size=1),
)


def maybe_empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def test_mutations_of_valid_answers_are_refused(fuzz):
    window, problems = LogWindow(fuzz.server), []
    wire = fuzz.wire()
    fuzz.resume(wire)
    examples = math.ceil(QUOTA["answers"] / BATCH["answers"])
    every = max(examples // (ADVANCES + 1), 1)
    done = [0]

    @fuzz_settings("answers")
    @given(st.lists(RECIPES, min_size=BATCH["answers"], max_size=BATCH["answers"]), RECIPES)
    def run(batch, next_answer):
        if sent_enough("answers"):
            return
        waiting = {}
        for recipe in batch:
            mutation, ack = recipe.broken(fuzz), next(FUZZ_IDS)
            if not wire.emit("answer", *mutation.args, ack=ack):
                break
            SENT["answers"] += 1
            waiting[ack] = mutation
        wire.wait(lambda: all(a in wire.acks for a in waiting), 10)
        for ack, mutation in waiting.items():  # in the order they were sent
            reply = wire.acks.pop(ack, None)
            if reply is None:
                problems.append(f"no acknowledgement at {fuzz.step} for {mutation}")
                continue
            check_reply(reply, f"at {fuzz.step}, {mutation}", mutation.expect, problems)
            if reply and isinstance(reply[0], dict) and reply[0].get("ok"):
                # The server took an invalid answer and moved on: the rest of the batch was made for
                # the step it left. Carry on from where it now is.
                fuzz.resume(wire)
                break
        done[0] += 1
        if done[0] % every == 0 and len(fuzz.valid) <= ADVANCES and fuzz.kind != "review":
            fuzz.answer(wire, next_answer.valid(fuzz.turn))
        wire.turns.clear()

    run()
    wire.close()
    check_log(window, problems)
    assert SENT["answers"] >= QUOTA["answers"]
    assert len(fuzz.valid) > ADVANCES // 2, "the conversation hardly moved on"
    assert not problems, report(problems)


# -- 3. raw packets --------------------------------------------------------------------------------


@dataclass
class Raw:
    """Messages sent together (a binary event and its attachments), described for a report."""

    frames: list[str | bytes]
    label: str

    def __str__(self) -> str:
        return f"{self.label}: {[f[:160] for f in self.frames]!r}"


PLAIN = st.text(st.characters(codec="utf-8"), max_size=40)
NAMESPACES = ["/chat,", "", "/,", "/staff,", "/nope,", "/chat", "/chat?x=,", ",", "//chat,"]
IDS = [
    "",
    "7",
    "007",
    "-1",
    "1.5",
    "1e3",
    "9" * 99,
    "9" * 100,
    "٣",
    "²",
    " 7",
]
BROKEN_JSON = [
    "",
    "[",
    "]",
    "{}",
    "[]",
    "1",
    '"answer"',
    "null",
    "[null]",
    "[1]",
    '[{"a":1}]',
    "[[1]]",
    '["answer",NaN]',
    '["answer",Infinity]',
    '["answer",' + "9" * 5000 + "]",
    '["answer",' + "[" * 3000 + "]" * 3000 + "]",
    '["answer"]x',
    '["answer",{"id":}]',
    '["answer",{"id":"a","step":"who","value":"\\ud800"',
    '\ufeff["answer"]',
]


def mutate(draw, text: str) -> str:
    """A few byte-level edits: delete, insert, replace, repeat a slice, cut short. (Positions are
    drawn whatever the text's length, which the acknowledgement ids change: the draws stay alike.)"""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, 10**6)) % (len(text) + 1)
        edit = draw(st.sampled_from(["delete", "insert", "replace", "repeat", "cut"]))
        char = draw(st.characters(codec="utf-8") | st.sampled_from(list('[]{}",:0123456789-/ \\')))
        if edit == "delete":
            text = text[:at] + text[at + 1 :]
        elif edit == "insert":
            text = text[:at] + char + text[at:]
        elif edit == "replace":
            text = text[:at] + char + text[at + 1 :]
        elif edit == "repeat":
            text = text[:at] + text[at : at + 8] * 2 + text[at + 8 :]
        else:
            text = text[:at]
    return text


@st.composite
def raw_packets(draw, fuzz: Fuzz, arguments: dict[str, Any]) -> Raw:
    form = draw(st.sampled_from(["engineio", "socketio", "socketio", "json", "mutated", "mutated", "binary"]))
    if form == "engineio":  # anything as an Engine.IO message, text or binary
        typed = draw(st.sampled_from(list("0123456789x"))) + draw(PLAIN)
        frame = draw(PLAIN | st.binary(max_size=40) | st.just(typed))
        return Raw([frame], "an Engine.IO message")
    if form == "socketio":  # a Socket.IO packet of any type, its parts anything
        kind = draw(st.sampled_from(list("0123456789x")))
        count = draw(st.sampled_from(["", "", "0-", "1-", "-", "99999999999-", "x-"]))
        head = "4" + kind + count + draw(st.sampled_from(NAMESPACES)) + draw(st.sampled_from(IDS))
        return Raw([head + draw(st.sampled_from(BROKEN_JSON) | PLAIN)], "a Socket.IO packet")
    if form == "json":  # an event whose payload is not a list with a name first
        payload = draw(st.sampled_from(BROKEN_JSON) | JSON.map(json.dumps))
        return Raw([f"42/chat,{next(FUZZ_IDS)}{payload}"], "an event payload")
    if form == "mutated":  # a valid packet with a few bytes changed
        name = draw(st.sampled_from(HANDLED))
        args = fuzz.invalid("/chat", name, draw(st.lists(arguments.get(name, JSON), max_size=2)))
        return Raw([mutate(draw, encode_event(name, args, next(FUZZ_IDS)))], "a mutated event")
    # a binary event: its attachments as many as it says, or not; placeholders that point anywhere
    name = draw(st.sampled_from(HANDLED))
    said, given_ = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    placeholders = [
        {"_placeholder": True, "num": draw(st.integers(-1, 4))} for _ in range(draw(st.integers(0, 3)))
    ]
    args = fuzz.invalid("/chat", name, [*placeholders, *draw(st.lists(JSON, max_size=1))])
    kind = draw(st.sampled_from(["5", "6"]))  # a binary event, or a binary acknowledgement
    payload = [name, *args] if kind == "5" else args
    frames: list[str | bytes] = [f"4{kind}{said}-/chat,{next(FUZZ_IDS)}" + json.dumps(payload)]
    frames += [draw(st.binary(max_size=16)) for _ in range(given_)]
    return Raw(
        frames, f"a binary {'event' if kind == '5' else 'ack'}, {said} attachments said, {given_} sent"
    )


def could_be_accepted(fuzz: Fuzz, raw: Raw) -> bool:
    """Decoded as the server decodes it (the same library): might this be an event it accepts?"""
    frame = raw.frames[0]
    if not isinstance(frame, str) or not frame.startswith("4"):
        return False
    try:
        packet = socketio_packet.Packet(encoded_packet=frame[1:])
    except Exception:  # noqa: BLE001 - what the client library cannot decode is no event
        return False
    events = (socketio_packet.EVENT, socketio_packet.BINARY_EVENT)
    if packet.packet_type not in events or not isinstance(packet.data, list) or not packet.data:
        return False
    data = json.loads(json.dumps(packet.data).replace('{"_placeholder": true', '{"bytes": true'))
    return fuzz.might_be_accepted(packet.namespace or "/", data[0], data[1:])


def send_raw(fuzz: Fuzz, packets: list[Raw], counted: bool = True) -> Wire:
    """On a new connection: the packets, then a round trip at the Engine.IO level."""
    wire = fuzz.wire()
    noops = sum(1 for raw in packets for f in raw.frames if isinstance(f, str) and f.startswith("5"))
    for raw in packets:
        for frame in raw.frames:
            if wire.send(frame) and counted:
                SENT["raw"] += 1
    wire.sync(noops + 1)
    wire.synced = wire.closed or wire.noops >= noops + 1
    return wire


def kind_of(line: str) -> str:
    """A log line with its particulars (numbers, quoted values) left out: one kind of failure."""
    return re.sub(r"b?'[^']*'|\d+", "…", line)


def test_raw_and_mutated_packets(fuzz):
    window, problems = LogWindow(fuzz.server), []
    step = fuzz.step
    traced: dict[str, list[str]] = {}  # a kind of log trouble -> the packets that cause it
    tracing = [10.0]  # seconds left for tracing trouble to its packets (spent only if there is some)

    def sent(packets: list[Raw], counted: bool = True) -> tuple[Wire, list[str]]:
        """The packets on a connection of their own, and the trouble they made in the log."""
        before = window.mark()
        wire = send_raw(fuzz, packets, counted)
        closed_by_server = wire.closed
        wire.close()
        found = trouble(window.since(before))
        # A connection the server closed: what it still does (and logs) then comes just after, up to
        # the line the server writes when it has finished with the WebSocket's request (RequestLog).
        # Waited for up to 50 ms, no longer (the whole log is checked at the end anyway).
        deadline = time.monotonic() + 0.05
        while closed_by_server and not found and time.monotonic() < deadline:
            text = window.since(before)
            found = trouble(text)
            if found or WEBSOCKET_DONE.search(text):
                break
            time.sleep(0.002)
        return wire, found

    def replay(packets: list[Raw]) -> str | None:
        found = sent(packets, counted=False)[1]
        return next((f for f in found if f.startswith("traceback: ")), found[0]) if found else None

    def blame(packets: list[Raw]) -> None:
        """The log has trouble in it: which packets did it? Each alone, else the batch as it was."""
        alone = False
        started = time.monotonic()
        for raw in packets:
            if time.monotonic() - started > tracing[0]:
                break
            if line := replay([raw]):
                traced.setdefault(kind_of(line), []).append(str(raw))
                alone = True
        if not alone and tracing[0] > 0 and (line := replay(packets)):  # only together, in that order
            traced.setdefault(kind_of(line), []).append("in turn: " + "; ".join(map(str, packets)))
        tracing[0] -= time.monotonic() - started

    raws = raw_packets(fuzz, fuzzed_arguments(fuzz))

    @fuzz_settings("raw")
    @given(st.lists(raws, min_size=BATCH["raw"], max_size=BATCH["raw"]))
    def run(batch):
        if sent_enough("raw"):
            return
        packets = [raw for raw in batch if not could_be_accepted(fuzz, raw)]
        wire, found = sent(packets)
        if not wire.synced:
            problems.append(f"no Engine.IO round trip after {[str(r) for r in packets]}")
        for ack, reply in wire.acks.items():
            if not ours(ack) and reply != []:  # [] is what a client event named connect gets
                check_reply(reply, f"a packet of {[str(r) for r in packets]}", INPUT_ERRORS, problems)
        moved = [t["step"] for t in wire.turns if t["step"] != step]
        problems.extend(f"the conversation moved to {s} on {[str(r) for r in packets]}" for s in moved[:1])
        if found:
            blame(packets)

    run()
    wire = fuzz.wire()
    assert fuzz.resume(wire)["step"] == step, "the conversation moved"
    assert wire.ping(), "the conversation stopped answering"
    wire.close()
    logged: list[str] = []
    check_log(window, logged)
    assert SENT["raw"] >= QUOTA["raw"]
    untraced = [line for line in logged if kind_of(line.removeprefix("server log: ")) not in traced]
    found = [
        f"{len(packets)} x {kind} <- e.g. {'; '.join(packets[:3])}"
        for kind, packets in sorted(traced.items(), key=lambda item: -len(item[1]))
    ]
    parts = [*found, report(problems), report(untraced, limit=10)]
    assert not (problems or traced or untraced), "\n".join(part for part in parts if part)


# -- 4. afterwards ---------------------------------------------------------------------------------


def page_status(server, code: str) -> tuple[int, str]:
    """The person's own page, opened by the code's link (the session cookie sent back by hand: it
    is Secure, and this is plain HTTP on this machine)."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(Stay)
    try:
        with opener.open(f"{server.base_url}/s/{code}", timeout=10) as response:
            return response.status, ""  # no redirect to the conversation
    except urllib.error.HTTPError as redirect:
        if redirect.code != 302:
            return redirect.code, ""
        cookie = redirect.headers["Set-Cookie"].split(";", 1)[0]
    request = urllib.request.Request(f"{server.base_url}/chat", headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as failed:
        return failed.code, ""


def test_the_conversation_still_answers_and_kept_only_the_valid_answers(fuzz):
    window, problems = LogWindow(fuzz.server), []
    assert sum(SENT.values()) >= TOTAL, f"only {sum(SENT.values())} fuzzed events were sent: {dict(SENT)}"
    wire = fuzz.wire()
    before = fuzz.resume(wire)
    assert not before["finished"], before["step"]
    wire.turns.clear()
    answer_id, value = str(uuid.uuid4()), next(iter(values(before)), None)
    if fuzz.kind == "text":
        value = "  Thank you.\r\nThat is all.  "
    elif fuzz.kind == "multi":
        value = [value]
    reply = wire.call("answer", {"id": answer_id, "step": before["step"], "value": value})
    assert reply == {"ok": True}, reply
    assert wire.wait(lambda: any(t["step"] != before["step"] for t in wire.turns), 10), "no next turn"
    fuzz.valid.append(Stored(answer_id, before["step"], fuzz.kind, stored_form(before, value)))
    finished = wire.turns[-1]["finished"]  # (if the server let the fuzz take it to "check your answers")
    if not finished:  # the same answer again is a retry: acknowledged, stored once
        retry = wire.call("answer", {"id": answer_id, "step": before["step"], "value": value})
        assert retry == {"ok": True, "duplicate": True}, retry
    wire.close()

    (conversation,) = fuzz.server.export(CASE)["conversations"]
    stored = [(a["step"], a["value"]) for a in conversation["answers"]]
    valid = [(s.step, s.value) for s in fuzz.valid]
    if extra := [a for a in stored if a not in valid]:
        problems.append(f"stored {extra!r:.1500} besides the valid answers")
    if stored != valid and not extra:
        problems.append(f"the valid answers not stored as sent: {stored!r:.500} != {valid!r:.500}")
    if (
        any(a["superseded_at"] is not None for a in conversation["answers"])
        or conversation["earlier_answers"]
    ):
        problems.append("an answer was superseded")
    status, page = page_status(fuzz.server, fuzz.code)
    if status >= 500 or (not finished and (status != 200 or "<form" not in page)):
        problems.append(f"the person's page answers {status}")
    check_log(window, problems)
    assert not problems, report(problems)
