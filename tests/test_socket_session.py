"""A Socket.IO event uses its connection's own copy of the session, not the cookie opened again."""

from __future__ import annotations

import uuid

from conftest import WORKER_EMAIL, ensure_team
from flask.sessions import SecureCookieSessionInterface

from app import socketio
from app.cases.services import create_invitation


def test_a_page_socket_opens_the_cookie_once_and_its_answers_are_saved(app, monkeypatch):
    ensure_team(app)
    with app.app_context():
        code = create_invitation("SESSION-1", 1, respondent="self", worker=WORKER_EMAIL).code
    browser = app.test_client()
    assert browser.get(f"/s/{code}").status_code == 302  # the link: the cookie names the conversation
    opened = []
    cookie_open = SecureCookieSessionInterface.open_session

    def counted(self, app_, request):
        opened.append(request.path)
        return cookie_open(self, app_, request)

    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", counted)
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=browser, auth={})
    assert sock.is_connected("/chat")  # authenticated by the cookie, read at connect
    at_connect = len(opened)
    assert at_connect >= 1
    for _ in range(3):
        turn = [m for m in sock.get_received("/chat") if m["name"] == "turn"][-1]["args"][0]
        kind = turn["input"]["kind"]
        options = [o["value"] for o in turn["input"].get("options") or []]
        value = {"choice": options[:1] and options[0], "multi": options[:1], "text": "ok"}.get(kind)
        ack = sock.emit(
            "answer",
            {"id": str(uuid.uuid4()), "step": turn["step"], "value": value},
            namespace="/chat",
            callback=True,
        )
        assert ack == {"ok": True}, ack
    assert len(opened) == at_connect  # three answers, and the cookie was not opened again
    assert browser.get("/chat").status_code == 200  # a page still opens it as always
    assert len(opened) == at_connect + 1
