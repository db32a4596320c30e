"""The person's language, reading settings, "I need help now", "Exit this page" and the idle time-out.

Over the socket (Flask-SocketIO's test client) and over the plain pages, which must both work.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import db, socketio
from app.cases.services import export_case
from app.models import Conversation, utcnow


def conversation_row(app) -> Conversation:
    with app.app_context():
        row = db.session.scalars(sa.select(Conversation)).one()
        db.session.expunge(row)
        return row


def open_in_browser(client, code):
    """Open the invitation link as the tablet's browser would."""
    response = client.get(f"/s/{code}")
    assert response.status_code == 302
    return response


def page_socket(app, client):
    """A socket opened by the page itself: no code, authenticated by the browser's session cookie."""
    return socketio.test_client(app, namespace="/chat", flask_test_client=client, auth={})


def received(sock, name="turn"):
    return [m["args"][0] for m in sock.get_received("/chat") if m["name"] == name]


def csrf(client) -> str:
    html = client.get("/chat").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


# -- language ---------------------------------------------------------------------------------------


def test_changing_language_asks_the_same_question_again_and_loses_nothing(app, chat):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    c.answer(["meetings"])
    assert c.turn["step"] == "involve_help"
    ack = c.emit("language", {"lang": "cy"})
    assert ack == {"ok": True}
    turn = c.turn
    assert turn["step"] == "involve_help" and turn["language"] == "cy" and turn["dir"] == "ltr"
    assert "history" in turn  # the log is redrawn in the new language
    assert c.answer("Siaradwch yn araf, os gwelwch yn dda") == {"ok": True}
    assert c.emit("language", {"lang": "ar"}) == {"ok": True}
    assert c.turn["dir"] == "rtl" and c.turn["language"] == "ar"
    with app.app_context():
        answers = export_case("CASE-1")["conversations"][0]["answers"]
    languages = {a["step"]: a["language"] for a in answers}
    assert languages["involve_how"] == "en" and languages["involve_help"] == "cy"
    text = next(a["value"] for a in answers if a["step"] == "involve_help")
    assert text == "Siaradwch yn araf, os gwelwch yn dda"  # free text stays as typed


@pytest.mark.parametrize("payload", [{"lang": "xx"}, {"lang": None}, {}, "cy", None, {"lang": ["cy"]}])
def test_an_unknown_language_is_refused_and_changes_nothing(app, chat, payload):
    c = chat()
    ack = c.client.emit("language", payload, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["code"] == "not_a_language"
    assert conversation_row(app).language == "en"


def test_the_invitation_language_is_the_first_language(chat):
    c = chat(language="ur")
    assert c.turn["language"] == "ur" and c.turn["dir"] == "rtl"


def test_pages_say_their_language_and_direction_from_the_locale(app, client, invite):
    open_in_browser(client, invite(language="ar"))
    html = client.get("/chat").get_data(as_text=True)
    assert re.search(r'<html[^>]*\blang="ar"', html) and re.search(r'<html[^>]*\bdir="rtl"', html)
    token = csrf(client)
    assert client.post("/language", data={"lang": "cy", "csrf_token": token}).status_code == 302
    html = client.get("/chat").get_data(as_text=True)
    assert re.search(r'<html[^>]*\blang="cy"', html) and re.search(r'<html[^>]*\bdir="ltr"', html)
    assert conversation_row(app).language == "cy"
    bad = client.post("/language", data={"lang": "klingon", "csrf_token": token})
    assert bad.status_code == 400 and conversation_row(app).language == "cy"


def test_the_start_page_follows_the_picker_and_then_the_browser(client):
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    html = client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9"}).get_data(as_text=True)
    assert re.search(r'<html[^>]*\blang="pl"', html)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    client.post("/language", data={"lang": "ur", "csrf_token": token})
    html = client.get("/", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert re.search(r'<html[^>]*\blang="ur"', html) and re.search(r'<html[^>]*\bdir="rtl"', html)


# -- reading settings -------------------------------------------------------------------------------


def test_settings_are_kept_on_the_conversation_and_sent_with_every_turn(app, chat):
    c = chat(respondent="self")
    assert c.turn["settings"] == {"easy_read": False, "text_size": "normal", "high_contrast": False}
    assert c.emit("settings", {"text_size": "larger", "high_contrast": True}) == {"ok": True}
    assert c.turn["settings"] == {"easy_read": False, "text_size": "larger", "high_contrast": True}
    again = chat(c.code)  # another device, or after a refresh
    assert again.turn["settings"]["text_size"] == "larger"


def test_easy_read_changes_the_words_and_shows_a_picture(app, chat):
    c = chat(respondent="self")
    standard = c.begin()
    assert standard["step"] == "involve_how"
    assert standard["picture"] is None
    assert c.emit("settings", {"easy_read": True}) == {"ok": True}
    easy = c.turn
    assert easy["step"] == standard["step"]
    dialogue = app.extensions["dialogues"]["part1"]
    step = dialogue.step(easy["step"])
    if step.easy:  # the Easy Read wording is written into the dialogue file
        assert easy["messages"][-1] == step.easy
        assert easy["messages"] != standard["messages"]
    if step.picture:
        assert easy["picture"] == f"/static/pictures/{step.picture}.svg"


@pytest.mark.parametrize(
    "payload",
    [{"easy_read": "yes"}, {"text_size": "huge"}, {"colour": "red"}, {}, None, "easy", {"high_contrast": 1}],
)
def test_bad_settings_are_refused_and_change_nothing(app, chat, payload):
    c = chat()
    ack = c.client.emit("settings", payload, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["code"] == "malformed"
    row = conversation_row(app)
    assert (row.easy_read, row.text_size, row.high_contrast) == (False, "normal", False)


def test_settings_work_without_javascript(app, client, invite):
    open_in_browser(client, invite())
    token = csrf(client)
    data = {"csrf_token": token, "easy_read": "on", "high_contrast": "on", "text_size": "large"}
    assert client.post("/chat/settings", data=data).status_code == 302
    row = conversation_row(app)
    assert (row.easy_read, row.text_size, row.high_contrast) == (True, "large", True)


# -- help -----------------------------------------------------------------------------------------


def test_help_now_is_recorded_and_gives_the_contacts(app, chat):
    c = chat()
    before = utcnow()
    ack = c.emit("help")
    assert ack["ok"] is True
    kinds = [contact["kind"] for contact in ack["contacts"]]
    assert kinds[0] == "emergency" and ack["contacts"][0]["number"] == "999"
    assert all(contact["label"] and contact["number"] for contact in ack["contacts"])
    urgent = conversation_row(app).urgent_at
    assert urgent is not None and urgent.replace(tzinfo=before.tzinfo) >= before - timedelta(seconds=1)
    # The person can carry on.
    assert c.answer(None) == {"ok": True}


def test_help_without_javascript_records_and_shows_the_contacts(app, client, invite):
    open_in_browser(client, invite())
    response = client.post("/chat/help", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="tel:999"' in html and "0808 2000 247" in html
    assert conversation_row(app).urgent_at is not None
    assert client.get("/chat").status_code == 200  # carrying on works


def test_the_help_page_is_there_before_any_code_and_records_nothing(client):
    response = client.get("/help")
    assert response.status_code == 200 and 'href="tel:999"' in response.get_data(as_text=True)


# -- exit this page --------------------------------------------------------------------------------


def test_exit_ends_the_session_on_the_server_and_goes_to_a_neutral_page(app, client, invite):
    code = invite(respondent="self")
    open_in_browser(client, code)
    sock = page_socket(app, client)
    assert sock.is_connected("/chat")
    other = page_socket(app, client)  # another tab of the same browser
    assert other.is_connected("/chat")
    response = client.post("/exit")  # no CSRF token needed: leaving must always work
    assert response.status_code == 303
    assert response.headers["Location"] == app.config["EXIT_URL"]
    assert conversation_row(app).session_token is None
    assert received(other, "ended") == [{"reason": "exit"}]
    ack = sock.emit(
        "answer", {"id": "x1", "step": "welcome", "value": None}, namespace="/chat", callback=True
    )
    assert ack["ok"] is False and ack["code"] == "closed"
    assert client.get("/chat").status_code == 302  # the cookie no longer opens anything
    # The answers stay, and the code opens the conversation again.
    open_in_browser(client, code)
    assert client.get("/chat").status_code == 200


def test_exit_over_the_socket_ends_every_tab(app, client, invite):
    open_in_browser(client, invite())
    first, second = page_socket(app, client), page_socket(app, client)
    assert first.emit("exit", {}, namespace="/chat", callback=True) == {"ok": True}
    assert received(second, "ended") == [{"reason": "exit"}]
    assert second.emit("resume", {}, namespace="/chat", callback=True)["code"] == "closed"


def test_a_page_socket_without_a_session_is_refused(app, client):
    sock = page_socket(app, client)
    assert not sock.is_connected("/chat")


# -- idle time-out ---------------------------------------------------------------------------------


def idle(app, minutes):
    with app.app_context():
        db.session.execute(sa.update(Conversation).values(seen_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def test_an_idle_session_times_out_and_the_answers_are_kept(app, client, invite):
    code = invite(respondent="self")
    open_in_browser(client, code)
    sock = page_socket(app, client)
    sock.emit("answer", {"id": "a1", "step": "welcome", "value": None}, namespace="/chat", callback=True)
    ack = sock.emit(
        "answer", {"id": "a2", "step": "consent", "value": "yes"}, namespace="/chat", callback=True
    )
    assert ack == {"ok": True}
    idle(app, app.config["SESSION_IDLE_MINUTES"] + 1)
    ack = sock.emit("more_time", {}, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["code"] == "closed"  # too late: it has timed out
    assert received(sock, "ended") == [{"reason": "timeout"}]
    page = client.get("/chat")
    assert page.status_code == 200
    assert "without activity" in page.get_data(as_text=True)
    assert conversation_row(app).session_token is None
    open_in_browser(client, code)
    assert conversation_row(app).state == "matters"  # nothing lost


def test_more_time_restarts_the_idle_clock(app, client, invite):
    open_in_browser(client, invite())
    sock = page_socket(app, client)
    idle(app, app.config["SESSION_IDLE_MINUTES"] - 1)
    ack = sock.emit("more_time", {}, namespace="/chat", callback=True)
    assert ack == {"ok": True, "idle_seconds": app.config["SESSION_IDLE_MINUTES"] * 60}
    idle_for = utcnow() - conversation_row(app).seen_at.replace(tzinfo=utcnow().tzinfo)
    assert idle_for < timedelta(seconds=30)


def test_stop_for_now_ends_the_session_and_keeps_the_code_working(app, client, invite):
    code = invite()
    open_in_browser(client, code)
    response = client.post("/stop", data={"csrf_token": csrf(client)})
    assert response.status_code == 200 and "come back" in response.get_data(as_text=True)
    assert conversation_row(app).session_token is None
    open_in_browser(client, code)
    assert client.get("/chat").status_code == 200


# -- personal details stay out of addresses and titles ---------------------------------------------


def test_no_personal_details_in_titles_or_addresses_on_any_person_page(app, client, invite):
    code = invite(name="Private Person-Name")
    response = open_in_browser(client, code)
    assert code not in response.headers["Location"]
    for url in ("/chat", "/help"):
        html = client.get(url).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
        assert "Private" not in title and code not in html
        assert "Private Person-Name" not in " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))


def test_reading_settings_hold_on_the_help_stopped_and_finished_pages(app, client, invite):
    open_in_browser(client, invite())
    token = csrf(client)
    client.post("/chat/settings", data={"csrf_token": token, "high_contrast": "on", "text_size": "larger"})
    chat_html = client.get("/chat").text
    classes = re.search(r"<html[^>]*class=\"([^\"]*)\"", chat_html)[1]
    assert classes  # the chat page draws the settings as classes on <html>
    for response in (
        client.post("/chat/help", data={"csrf_token": token}),
        client.get("/help"),
        client.post("/stop", data={"csrf_token": token}),
    ):
        page_classes = re.search(r"<html[^>]*class=\"([^\"]*)\"", response.text)[1]
        assert set(classes.split()) - {"app-no-js"} <= set(page_classes.split()), page_classes
