"""A real server process killed with SIGKILL right after it acknowledged an answer loses nothing.

The server is ``flask --app app serve`` on its own SQLite file; the client is python-socketio, the
same protocol any other client would speak.
"""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from browser_support import ChatClient as Client
from browser_support import Server

pytestmark = pytest.mark.server


@pytest.fixture
def server(tmp_path):
    """A server of its own: the test kills it and starts it again."""
    s = Server(tmp_path).start()
    yield s
    s.close()


def test_sigkill_right_after_an_ack_loses_nothing(server):
    code = server.invite("RESTART-1", part=1, name=None)["code"]
    client = Client(server.base_url, code)
    try:
        assert client.begin()["step"] == "who"  # welcome, then "Yes, let's start"
        assert client.answer("who", "self")["ok"]
        assert client.turn()["step"] == "matters"
        words = "Only with my sister there — نعم"
        assert client.answer("matters", "My flat")["ok"]
        assert client.turn()["step"] == "outcome_words"
        ack = client.answer("outcome_words", words)
        assert ack == {"ok": True}
        # The moment the ack is in: no clean shutdown, no chance to flush anything.
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    finally:
        client.close()

    server.start()
    again = Client(server.base_url, code)
    try:
        turn = again.turn()
        assert turn["step"] == "outcome_choices"  # the step after the last acknowledged answer
        said = str(turn["history"])
        assert words in said
        assert "Who is answering these questions?" in said
        assert again.answer("outcome_choices", ["feel_safe"])["ok"]
    finally:
        again.close()

    answers = {a["step"]: a["value"] for a in server.export("RESTART-1")["conversations"][0]["answers"]}
    assert answers == {
        "welcome": None,
        "consent": "yes",
        "who": "self",
        "matters": "My flat",
        "outcome_words": words,
        "outcome_choices": ["feel_safe"],
    }


def test_an_answer_resent_after_a_restart_is_stored_once(server):
    """The client never heard the ack (the server died first): it sends the same id again."""
    code = server.invite("RESTART-2", part=1, name=None)["code"]
    client = Client(server.base_url, code)
    answer_id = str(uuid.uuid4())
    try:
        assert client.begin()["step"] == "who"
        assert client.answer("who", "self", answer_id)["ok"]
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    finally:
        client.close()

    server.start()
    again = Client(server.base_url, code)
    try:
        assert again.turn()["step"] == "matters"
        resent = again.answer("who", "self", answer_id)
        assert resent["ok"] is True and resent.get("duplicate") is True
        assert again.turn()["step"] == "matters"
    finally:
        again.close()
    steps = [a["step"] for a in server.export("RESTART-2")["conversations"][0]["answers"]]
    assert steps.count("who") == 1
