"""The production server (``flask --app app serve``: gunicorn, app/serving.py), tried for real:
what it logs, how it stops, how it says no when it is full or the database is held.

Each test that changes a setting or stops the server has a server of its own."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import simple_websocket

from browser_support import ChatClient as Chat
from browser_support import Server, WebSocketClient, value_for

pytestmark = pytest.mark.server


class WriteLock:
    """Hold the server's SQLite write lock from outside, as a long write elsewhere would."""

    def __init__(self, server: Server):
        path = server.env["DATABASE_URL"].removeprefix("sqlite:///")
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.fixture
def own_server(tmp_path):
    servers = []

    def start(**env) -> Server:
        workdir = tmp_path / f"s{len(servers)}"
        workdir.mkdir()
        server = Server(workdir, **env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()


# -- what it serves and logs ------------------------------------------------------------------------


def test_healthz_says_the_database_answers_and_nothing_else(server):
    with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok", "database": "ok"}
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"


def test_one_log_line_per_request_with_the_route_never_the_code_or_the_address(server):
    invitation = server.invite("LOG-1")
    code = invitation["code"]
    start = len(server.log())
    path = urllib.parse.urlparse(invitation["url"]).path
    try:
        urllib.request.urlopen(urllib.request.Request(server.base_url + path), timeout=5).read()
    except urllib.error.HTTPError:
        pass
    form = urllib.parse.urlencode({"code": code}).encode()
    try:
        urllib.request.urlopen(urllib.request.Request(server.base_url + "/start", data=form), timeout=5)
    except urllib.error.HTTPError:
        pass  # refused without the form's token: still one line, without the code
    time.sleep(0.3)
    written = server.log()[start:]
    lines = [line for line in written.splitlines() if "app.requests" in line]
    assert any(re.search(r"GET /s/<code> 30[23] \d+\.\dms$", line) for line in lines), written
    assert any(re.search(r"POST /start \d{3} \d+\.\dms$", line) for line in lines), written
    assert code not in written
    assert code.replace("-", "") not in written.replace("-", "")
    assert "127.0.0.1" not in "\n".join(lines)


# -- full, or the database held: "unavailable" at once ----------------------------------------------


def refused_behind_a_write_lock_then_taken(server: Server, case: str, count: int) -> str:
    """``count`` conversations answer at once behind a write lock nobody releases in time: each is
    told "unavailable" well inside a second (not 30 s) and nothing is stored; once the lock is gone
    the same answers are taken. Returns the server's log as it was when they had been refused."""
    chats = [Chat(server.base_url, server.invite(f"{case}-{i}")["code"]) for i in range(count)]
    try:
        turns = [chat.turn() for chat in chats]
        acks: queue.Queue = queue.Queue()
        with WriteLock(server):
            for chat, turn in zip(chats, turns, strict=True):
                chat.send(turn["step"], value_for(turn), acks)
            results = [acks.get(timeout=10) for _ in chats]
        assert [ack["code"] for ack, _ in results] == ["unavailable"] * count
        assert max(took for _, took in results) < 1.0, [round(took, 3) for _, took in results]
        assert all(answers(server, f"{case}-{i}") == [] for i in range(count))
        log = server.log()
        for chat, turn in zip(chats, turns, strict=True):
            chat.send(turn["step"], value_for(turn), acks)
        again = [acks.get(timeout=10)[0] for _ in chats]
        assert all(ack["ok"] for ack in again), again
        assert all(answers(server, f"{case}-{i}") == [turns[i]["step"]] for i in range(count))
    finally:
        for chat in chats:
            chat.close()
    assert "Traceback" not in server.log()
    return log


def test_an_answer_that_cannot_get_the_database_is_refused_within_a_second_and_nothing_is_lost(own_server):
    # Six answers on two connections: each waits for a connection, or then for the lock.
    log = refused_behind_a_write_lock_then_taken(own_server(DB_POOL_SIZE="2"), "BUSY", 6)
    # Refusals under overload are counted in a line now and then, not logged one by one.
    assert "chat event failed" not in log
    busy_lines = log.count("database busy:")
    assert busy_lines in (1, 2), busy_lines  # six refusals: one line, or two across the 10 s mark


def test_answers_waiting_for_an_event_slot_are_still_refused_within_a_second(own_server):
    # One event at a time, and it is stuck behind the lock: the others wait for its slot, then for
    # the lock with what is left of their time. None is left waiting past a second in all.
    log = refused_behind_a_write_lock_then_taken(own_server(EVENT_SLOTS="1"), "SLOT", 4)
    assert "server busy:" in log and "chat event failed" not in log


def test_a_page_that_cannot_get_the_database_says_so_calmly_at_once(own_server):
    server = own_server()
    path = urllib.parse.urlparse(server.invite("BUSY-PAGE")["url"]).path
    with WriteLock(server):
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.base_url + path, timeout=10)
        took = time.monotonic() - started
    assert refused.value.code == 503
    assert refused.value.headers["Retry-After"] == "5"
    body = refused.value.read().decode()
    assert "We cannot open this page just now" in body
    assert "Everything you have already saved is safe" in body
    assert took < 1.0
    assert "Traceback" not in server.log()


def answers(server: Server, case: str) -> list[str]:
    return [a["step"] for c in server.export(case)["conversations"] for a in c["answers"]]


def test_websockets_past_the_limit_are_refused_at_once_and_pages_still_load(own_server):
    server = own_server(SERVER_THREADS="8")  # 4 WebSockets; 4 threads kept for pages and polls
    url = server.base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    open_ones = [WebSocketClient.connect(url) for _ in range(4)]
    try:
        started = time.monotonic()
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            WebSocketClient.connect(url)
        assert refused.value.status_code == 503
        assert time.monotonic() - started < 1.0
        with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:
            assert response.status == 200
        open_ones.pop().close()
        time.sleep(0.3)
        again = WebSocketClient.connect(url)  # a place came free
        assert again.receive(timeout=5).startswith("0{")
        open_ones.append(again)
    finally:
        for ws in open_ones:
            ws.close()


# -- stopping ---------------------------------------------------------------------------------------


def test_sigterm_lets_an_answer_in_progress_finish_then_stops(own_server):
    server = own_server()
    chat = Chat(server.base_url, server.invite("STOP-1")["code"])
    turn = chat.turn()
    acks: queue.Queue = queue.Queue()
    with WriteLock(server):
        chat.send(turn["step"], value_for(turn), acks)
        time.sleep(0.15)  # the server is now saving it, waiting for the lock
        os.kill(server.process.pid, signal.SIGTERM)  # what a deploy or `systemctl stop` sends
        time.sleep(0.15)
    # The answer that was being saved is saved and acknowledged, then the process ends by itself.
    ack, _ = acks.get(timeout=10)
    assert ack == {"ok": True}
    assert server.process.wait(timeout=15) == 0
    chat.close()
    assert answers(server, "STOP-1") == [turn["step"]]
    log = server.log()
    assert "events in progress finished" in log
    assert "Traceback" not in log


def test_a_refused_websocket_left_open_does_not_hold_a_stopping_server(own_server):
    import base64
    import socket

    server = own_server(SERVER_THREADS="8")  # 4 WebSockets
    url = server.base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    full = [WebSocketClient.connect(url) for _ in range(4)]
    # A fifth is refused (503) and its client keeps the connection open, idle (gunicorn answers it
    # keep-alive): gunicorn 25 alone waited out the whole grace for it, then killed the process.
    idle = socket.create_connection(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    idle.sendall(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    idle.settimeout(5)
    assert idle.recv(4096).startswith(b"HTTP/1.1 503")
    for ws in full:
        ws.close()
    started = time.monotonic()
    os.kill(server.process.pid, signal.SIGTERM)
    assert server.process.wait(timeout=15) == 0
    assert time.monotonic() - started < 3, "the idle connection held the stop"  # the grace is 10 s
    idle.close()


def test_a_stopped_server_frees_its_port_and_a_new_one_resumes_the_conversation(own_server, tmp_path):
    first = own_server()
    invitation = first.invite("STOP-2")
    chat = Chat(first.base_url, invitation["code"])
    turn = chat.turn()
    acks: queue.Queue = queue.Queue()
    chat.send(turn["step"], value_for(turn), acks)
    assert acks.get(timeout=10)[0] == {"ok": True}
    closed = threading.Event()
    chat.sio.on("disconnect", closed.set, namespace="/chat")
    os.kill(first.process.pid, signal.SIGTERM)
    assert first.process.wait(timeout=15) == 0
    assert closed.wait(5), "the open socket was not closed by the stopping server"
    first.process = None
    # The same port, database and code: the conversation goes on from the next question.
    first.start()
    again = Chat(first.base_url, invitation["code"])
    try:
        assert again.turn()["step"] != turn["step"]
    finally:
        again.close()
        chat.close()
