"""Hardening at the edges (issue 11): ids out of range, reused answer ids, extra event arguments,
and no invitation code in any cookie. What lives in the server process itself (headers on the
Engine.IO polling responses) is tested against a served instance in ``test_hardening_served.py``."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import pytest
from test_staff import new_case, post, signed_in, staff  # noqa: F401

from app import socketio
from app.security import MAX_ID

STAFF_ID_URLS = [
    ("get", "/staff/cases/{id}"),
    ("get", "/staff/cases/{id}/export.json"),
    ("get", "/staff/cases/{id}/export.pdf"),
    ("get", "/staff/invitations/{id}/hand-over"),
    ("get", "/staff/cases/{id}/reflection"),
    ("post", "/staff/cases/{id}/stage"),
    ("post", "/staff/cases/{id}/worker"),
    ("post", "/staff/cases/{id}/invitations"),
    ("post", "/staff/cases/{id}/eligibility"),
    ("post", "/staff/cases/{id}/eligibility/{id}/decide"),
    ("post", "/staff/invitations/{id}/revoke"),
    ("post", "/staff/invitations/{id}/hand-over"),
    ("post", "/staff/follow-ups/{id}/done"),
    ("post", "/staff/follow-ups/{id}/acknowledge"),
    ("post", "/staff/users/{id}/active"),
    ("post", "/staff/teams/{id}"),
]


@pytest.mark.parametrize("number", ["99999999999999999999", str(MAX_ID + 1), "0"])
def test_an_id_out_of_range_in_any_staff_url_is_not_found(app, staff, number):  # noqa: F811
    clients = {signed_in(app, staff, "manager"): "/staff/", signed_in(app, staff, "admin"): "/staff/users"}
    for method, url in STAFF_ID_URLS:
        path = url.format(id=number)
        for client, page in clients.items():
            response = post(client, path, page=page) if method == "post" else client.get(path)
            assert response.status_code == 404, (path, response.status_code)


def test_the_largest_id_is_still_looked_up_and_simply_not_found(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    assert worker.get(f"/staff/cases/{MAX_ID}").status_code == 404
    case_id = new_case(worker, "H-1")
    assert worker.get(f"/staff/cases/{case_id}").status_code == 200


def test_the_staff_socket_takes_an_id_out_of_range_as_not_found(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=worker)
    assert sock.is_connected("/staff")
    for wrong in (99999999999999999999, MAX_ID + 1, -1, 0, True, 1.5, "1"):
        reply = sock.emit("case", {"id": wrong}, namespace="/staff", callback=True)
        assert reply == {"ok": False, "code": "not_found"}, wrong


# -- a reused answer id ----------------------------------------------------------------------------


def _answers(app):
    import sqlalchemy as sa

    from app import db
    from app.models import Answer

    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).order_by(Answer.id))
        return [(a.step, a.value, a.client_id) for a in rows]


def _state(app):
    from app import db
    from app.models import Conversation

    with app.app_context():
        return db.session.scalars(db.select(Conversation)).one().state


def test_a_reused_answer_id_with_another_value_or_step_is_a_conflict_and_changes_nothing(app, chat):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"  # welcome, consent
    answer_id = str(uuid.uuid4())
    assert c.answer(["meetings"], id=answer_id) == {"ok": True}
    assert c.turn["step"] == "involve_help"
    before, state = _answers(app), _state(app)
    c.received()

    # the same id, another value for the same step
    refused = c.answer(["meetings", "statement"], id=answer_id, step="involve_how")
    assert refused["ok"] is False and refused["code"] == "conflict"
    assert refused["error"] == (
        "This answer was already sent differently, so nothing has been changed. Here is where you are now."
    )
    # ... and the same id for another step (the one now current), with a value it would take
    refused = c.answer("Large print please", id=answer_id, step="involve_help")
    assert refused["ok"] is False and refused["code"] == "conflict"
    assert _answers(app) == before and _state(app) == state
    turns = c.received()
    assert turns and turns[-1]["step"] == "involve_help" and "history" in turns[-1]  # where they are

    # a true retry stays ok, stored once; so does one that differs only as the service normalises
    assert c.answer(["meetings"], id=answer_id, step="involve_how") == {"ok": True, "duplicate": True}
    assert c.answer(["meetings", "meetings"], id=answer_id, step="involve_how") == {
        "ok": True,
        "duplicate": True,
    }
    text_id = str(uuid.uuid4())
    assert c.answer("  Large print\r\nplease ", id=text_id) == {"ok": True}
    assert c.answer("Large print\nplease", id=text_id, step="involve_help") == {"ok": True, "duplicate": True}
    assert c.answer("Something else", id=text_id, step="involve_help")["code"] == "conflict"
    assert [row[2] for row in _answers(app)].count(answer_id) == 1


def test_the_conflict_message_is_translated(app, chat):
    c = chat(respondent="self", language="cy")
    assert c.begin()["step"] == "involve_how"
    answer_id = str(uuid.uuid4())
    assert c.answer(["meetings"], id=answer_id)["ok"] is True
    refused = c.answer(["statement"], id=answer_id, step="involve_how")
    assert refused["code"] == "conflict" and refused["error"].startswith("Mae'r ateb hwn")


def test_the_plain_form_refuses_a_reused_id_with_another_value_calmly(app, client, invite):
    from test_pages import begin, open_link, send

    open_link(client, invite(respondent="self"))
    page = begin(client)  # the welcome, then "Yes, let's start"
    assert page.step == "involve_how"
    assert send(client, page, ["meetings"]).status_code == 302
    before = _answers(app)
    # the browser's Back shows the old form (the same id); another choice is refused, nothing changes
    response = send(client, page, ["statement"])
    assert response.status_code == 400
    assert "This answer was already sent differently, so nothing has been changed." in response.text
    assert _answers(app) == before
    assert send(client, page, ["meetings"]).status_code == 302  # the same again: a retry, stored once
    assert _answers(app) == before


# -- extra arguments, reserved names, and the one short log line ----------------------------------


@pytest.fixture
def malformed_log(monkeypatch, caplog):
    """The chat's log, its rate limit starting afresh (it is per process)."""
    from app import socket_guards

    monkeypatch.setattr(socket_guards, "_malformed_last", [float("-inf")])
    caplog.set_level(logging.INFO, logger="app.conversation.events")
    return caplog


def test_extra_event_arguments_are_malformed_and_change_nothing(app, chat, malformed_log):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    before, state = _answers(app), _state(app)
    payload = {"id": str(uuid.uuid4()), "step": "involve_how", "value": ["meetings"]}
    reply = c.client.emit("answer", payload, "extra", namespace="/chat", callback=True)
    assert reply["ok"] is False and reply["code"] == "malformed"
    assert reply["error"] == "We could not read that answer. Please try again."
    for event in ("back", "resume", "language", "settings", "help", "more_time", "change", "exit"):
        reply = c.client.emit(event, {}, {}, namespace="/chat", callback=True)
        assert reply["code"] == "malformed", event
    assert _answers(app) == before and _state(app) == state
    assert c.connected and c.answer(["meetings"])["ok"] is True  # the socket still works
    records = [r for r in malformed_log.records if r.name == "app.conversation.events"]
    assert len(records) == 1, [r.getMessage() for r in records]  # one line, however many came
    line = records[0]
    assert line.levelno == logging.WARNING and not line.exc_info and "meetings" not in line.getMessage()
    assert len(line.getMessage()) < 100 and "unavailable" not in line.getMessage()
    assert not [r for r in malformed_log.records if r.levelno >= logging.ERROR]


def test_the_malformed_line_is_written_again_after_the_quiet_minute(app, chat, malformed_log, monkeypatch):
    from app import socket_guards

    c = chat(respondent="self")
    c.client.emit("back", {}, 1, namespace="/chat", callback=True)
    c.client.emit("back", {}, 2, namespace="/chat", callback=True)
    quiet_minute_ago = time.monotonic() - socket_guards.MALFORMED_LOG_EVERY - 1
    monkeypatch.setattr(socket_guards, "_malformed_last", [quiet_minute_ago])
    c.client.emit("back", {}, 3, namespace="/chat", callback=True)
    assert len([r for r in malformed_log.records if "malformed" in r.getMessage()]) == 2


def test_a_client_emitting_a_reserved_event_name_is_ignored(app, chat, invite, malformed_log):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    c.received()
    other = invite(reference="CASE-2")  # a code to another conversation: must not switch to it
    c.client.emit("connect", {"code": other}, namespace="/chat")
    c.client.emit("connect", namespace="/chat")
    c.client.emit("disconnect", namespace="/chat")
    assert c.connected
    assert c.received() == []  # the connect handler did not run again: no turn, no other conversation
    assert c.answer(["meetings"])["ok"] is True and c.turn["step"] == "involve_help"
    assert _answers(app)[-1][0] == "involve_how"
    assert not [r for r in malformed_log.records if r.levelno >= logging.ERROR]
    assert any("reserved" in r.getMessage() for r in malformed_log.records)


# -- no invitation code in any cookie ---------------------------------------------------------------


def _cookies_read(app, responses) -> list[str]:
    """Every cookie the responses set, as its raw value and, for Flask's session, decoded (it is
    signed, not encrypted: base64 of JSON, perhaps compressed, that anyone holding it can read)."""
    serializer = app.session_interface.get_signing_serializer(app)
    read = []
    for response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            read.append(header)
            if name == app.config["SESSION_COOKIE_NAME"] and value:
                read.append(json.dumps(serializer.loads(value)))
    return read


def test_a_new_invitations_code_is_shown_once_and_never_put_in_a_cookie(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "CK-1")
    page = worker.get(f"/staff/cases/{case_id}")
    made = post(worker, f"/staff/cases/{case_id}/invitations", {"part": "1"}, f"/staff/cases/{case_id}")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    code = re.search(r'data-role="code">([A-Z0-9-]+)<', made.text)[1]
    link = re.search(r'data-role="link">([^<]+)<', made.text)[1]
    after = worker.get(f"/staff/cases/{case_id}")
    again = worker.get(f"/staff/cases/{case_id}/invitations")  # the POST's address, opened again
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"/staff/cases/{case_id}#invitations"
    )
    responses = [page, made, after, again]
    cookies = _cookies_read(app, responses)
    # (before, the POST's Set-Cookie carried the code in the session, to show it after a redirect)
    for cookie in cookies:
        assert code not in cookie and code.replace("-", "") not in cookie and link not in cookie
    # shown once: the case page after it has no code, and neither does the test client's cookie jar
    assert code not in after.text and 'id="new-invitation"' not in after.text
    jar = list(worker._cookies.values())
    session_cookies = [c for c in jar if c.key == app.config["SESSION_COOKIE_NAME"]]
    assert session_cookies, "the staff session cookie is read, not missed"
    for cookie in jar:
        assert code not in cookie.value
    serializer = app.session_interface.get_signing_serializer(app)
    for cookie in session_cookies:
        decoded = json.dumps(serializer.loads(cookie.value))
        assert "_user_id" in decoded, decoded  # it is read: the signed-in worker is in it
        assert code not in decoded and link not in decoded


def test_a_lone_surrogate_is_no_text_and_no_id_and_changes_nothing(app, chat):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"  # welcome, consent
    assert c.answer(["meetings"]) == {"ok": True}
    assert c.turn["step"] == "involve_help"  # a text question
    before, state = _answers(app), _state(app)
    # JSON can spell half a surrogate pair; it is no character, and stored it broke every page.
    assert c.answer("Large print\ud800please")["code"] == "not_text"
    assert c.answer("Large print", id="id-\udfff-1")["code"] == "malformed"
    assert _answers(app) == before and _state(app) == state
    assert c.answer("Large print please") == {"ok": True}


def test_a_staff_save_that_lost_a_race_gets_a_calm_page_not_a_500(app, staff, monkeypatch):  # noqa: F811
    from sqlalchemy.orm.exc import StaleDataError

    from app import followups

    client = signed_in(app, staff, "worker")

    def lost_the_race(*args, **kwargs):
        # What the version check raises when someone else saved the same row a moment before.
        raise StaleDataError("UPDATE statement on table 'conversation' expected to update 1 row(s)")

    monkeypatch.setattr(followups, "follow_ups_for", lost_the_race)
    response = client.get("/staff/")
    assert response.status_code == 409
    assert "This changed while you were saving" in response.text
    assert 'href="/staff/"' in response.text  # back to the page as it now is
