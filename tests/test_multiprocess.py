"""Two server processes over PostgreSQL and a Redis message queue serve one conversation.

Nothing lives in a process that the other cannot rebuild: an answer given through one process is
where the other resumes, and "Exit this page" pressed on one ends the person's sockets on the other.
"""

from __future__ import annotations

import os
import queue
import re
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest
import socketio as sio
import sqlalchemy as sa

from browser_support import Server

pytestmark = pytest.mark.server

PG = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def two_servers(tmp_path):
    name = f"msp_mp_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a generated name, never input
    url = sa.make_url(PG).set(database=name).render_as_string(hide_password=False)
    servers = []
    try:
        for i in range(2):
            server = Server(tmp_path / f"s{i}")
            (tmp_path / f"s{i}").mkdir()
            server.env.update(DATABASE_URL=url, SOCKETIO_MESSAGE_QUEUE=REDIS)
            servers.append(server.start())
        yield servers
    finally:
        for server in servers:
            server.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def connect(base_url, auth=None, cookie=None):
    turns, events = queue.Queue(), queue.Queue()
    client = sio.Client(reconnection=False)
    client.on("turn", turns.put, namespace="/chat")
    client.on("ended", events.put, namespace="/chat")
    client.connect(
        base_url,
        namespaces=["/chat"],
        auth=auth or {},
        transports=["websocket"],
        headers={"Cookie": cookie} if cookie else None,
        wait_timeout=10,
    )
    return client, turns, events


def latest(turns):
    turn = turns.get(timeout=10)
    while not turns.empty():
        turn = turns.get_nowait()
    return turn


def test_one_conversation_across_two_processes(two_servers):
    first, second = two_servers
    code = first.invite("MP-1", part=1, name=None)["code"]

    a, a_turns, _ = connect(first.base_url, {"code": code})
    assert latest(a_turns)["step"] == "welcome"
    assert a.call(
        "answer", {"id": str(uuid.uuid4()), "step": "welcome", "value": None}, namespace="/chat", timeout=10
    )["ok"]
    assert a.call(
        "answer", {"id": str(uuid.uuid4()), "step": "consent", "value": "yes"}, namespace="/chat", timeout=10
    )["ok"]
    assert a.call(
        "answer", {"id": str(uuid.uuid4()), "step": "who", "value": "self"}, namespace="/chat", timeout=10
    )["ok"]

    b, b_turns, _ = connect(second.base_url, {"code": code})
    turn = latest(b_turns)
    assert turn["step"] == "matters"  # the other process rebuilds the state from the database
    assert "I am answering for myself" in str(turn["history"])
    a.disconnect()
    b.disconnect()


def test_exit_on_one_process_ends_the_persons_socket_on_the_other(two_servers):
    first, second = two_servers
    code = first.invite("MP-2", part=1, name=None)["code"]
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    try:
        browser.open(f"{first.base_url}/s/{code}")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert re.match(r"session=", cookie)

    other, turns, ended = connect(second.base_url, cookie=cookie)  # the page's socket, on process 2
    assert latest(turns)["step"] == "welcome"
    request = urllib.request.Request(
        f"{first.base_url}/exit", data=b"", method="POST", headers={"Cookie": cookie}
    )
    try:
        browser.open(request)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303
    assert ended.get(timeout=10) == {"reason": "exit"}  # through Redis, from the other process
    ack = other.call("resume", {}, namespace="/chat", timeout=10)
    assert ack["ok"] is False and ack["code"] == "closed"
    other.disconnect()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
