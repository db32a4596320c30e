"""The opening asks consent before anything else, in both parts: who reads the answers, that saying
no changes nothing, how long the answers are kept and where the privacy notice is; then "Shall we
start?" with yes / not now / I'd like to talk to someone first, recorded on the conversation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import CompleteProduction

from app import ConfigurationError, create_app, db
from app.cases.services import export_case
from app.models import Conversation, FollowUp, Notification
from config import TestConfig

PRIVACY = TestConfig.PRIVACY_NOTICE_URL


def rows(app, model, *where):
    with app.app_context():
        return db.session.scalars(sa.select(model).where(*where).order_by(model.id)).all()


def conversation(app) -> Conversation:
    return rows(app, Conversation)[0]


def opening(c) -> dict:
    """Continue past the welcome; the turn is then "Shall we start?"."""
    assert c.turn["step"] == "welcome" and c.answer(None)["ok"]
    return c.turn


@pytest.mark.parametrize("part, after_yes", [(1, "matters"), (2, "listened")])
def test_nothing_is_asked_before_the_person_has_been_told_and_said_yes(app, chat, part, after_yes):
    c = chat(part=part, respondent="self", name="Sam")
    turn = opening(c)
    assert turn["step"] == "consent"
    said = " ".join(turn["messages"])
    assert "Answering is your choice." in said
    assert "nothing changes about the help and support you get" in said
    assert "Your safeguarding worker reads your answers, and so can the managers of their team." in said
    assert turn["messages"][-1] == "Shall we start?"
    assert [o["value"] for o in turn["input"]["options"]] == ["yes", "not_now", "talk_first"]
    assert [o["label"] for o in turn["input"]["options"]] == [
        "Yes, let's start",
        "Not now",
        "I'd like to talk to someone first",
    ]
    # How long the answers are kept comes from the council's setting, and the notice is linked.
    assert turn["privacy"]["kept"] == "The council keeps your answers for 6 years after the enquiry ends."
    assert turn["privacy"]["url"] == PRIVACY
    assert f'href="{PRIVACY}"' in turn["card"] and 'rel="noopener noreferrer"' in turn["card"]
    assert conversation(app).consent is None

    assert c.answer("yes")["ok"]
    assert c.turn["step"] == after_yes
    recorded = conversation(app)
    assert recorded.consent == "yes" and recorded.consent_at is not None
    assert rows(app, FollowUp) == []


def test_the_retention_said_is_the_setting_in_the_right_plural(tmp_path, migrated_db, invite):
    import shutil

    path = tmp_path / "one.sqlite3"
    shutil.copyfile(migrated_db, path)
    one_year = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", RETENTION_MONTHS=12)
    from conftest import Chat, ensure_team

    from app import socketio

    ensure_team(one_year)
    from app.cases.services import create_invitation

    with one_year.app_context():
        code = create_invitation("CASE-1", 1, respondent="self", worker="worker@team.example").code
    c = Chat(socketio.test_client(one_year, namespace="/chat", auth={"code": code}), code)
    assert (
        opening(c)["privacy"]["kept"] == "The council keeps your answers for 1 year after the enquiry ends."
    )
    c.client.disconnect(namespace="/chat")


def test_easy_read_and_a_representative_are_told_in_their_own_words(app, chat):
    c = chat(respondent="relative", name="Sam")
    turn = opening(c)
    said = " ".join(turn["messages"])
    assert "nothing changes about the help and support Sam gets" in said
    assert turn["privacy"]["kept"] == "The council keeps the answers for 6 years after the enquiry ends."
    assert c.emit("settings", {"easy_read": True})["ok"]
    easy = c.turn
    assert easy["step"] == "consent"
    assert easy["messages"][-1] == "Do you want to start now?"
    assert "You do not have to answer. It is a choice." in easy["messages"]
    assert easy["privacy"]["kept"] == "We keep the answers for 6 years."


def test_not_now_ends_kindly_raises_nothing_and_the_invitation_still_opens(app, chat):
    c = chat(respondent="self")
    opening(c)
    assert c.answer("not_now")["ok"]
    turn = c.turn
    assert turn["step"] == "not_now" and not turn["finished"]
    assert turn["messages"][0] == "That is fine. Nothing changes about the help and support you get."
    assert "If you are in danger now, call 999." in turn["messages"]
    assert conversation(app).consent == "not_now" and conversation(app).finished_at is None
    assert rows(app, FollowUp) == [] and rows(app, Notification) == []

    # Later, with the same code: where they left off, then asked again.
    c.client.disconnect(namespace="/chat")
    again = chat(c.code)
    assert again.turn["step"] == "not_now"
    assert again.answer(None)["ok"]
    assert again.turn["step"] == "consent"
    assert again.answer("yes")["ok"] and again.turn["step"] == "matters"
    assert conversation(app).consent == "yes"


def test_talk_to_someone_first_raises_a_follow_up_the_worker_sees(app, chat):
    c = chat(respondent="self")
    opening(c)
    assert c.answer("talk_first")["ok"]
    turn = c.turn
    assert turn["step"] == "talk_first"
    assert "Your safeguarding worker can see this now." in turn["messages"][0]
    raised = rows(app, FollowUp)
    assert [(f.kind, f.urgent, f.done_at) for f in raised] == [("talk_first", False, None)]
    assert rows(app, Notification), "the worker is emailed about it, as for every follow-up"
    assert conversation(app).consent == "talk_first"
    # Nothing else is asked: Continue comes back to the question.
    assert c.answer(None)["ok"] and c.turn["step"] == "consent"


def test_not_now_after_answering_loses_no_answer(app, chat):
    c = chat(respondent="self")
    opening(c)
    assert c.answer("yes")["ok"] and c.answer("My cat, and my flat")["ok"]  # matters
    assert c.turn["step"] == "outcome_words" and c.answer("To stay at home")["ok"]
    # Back to the opening, and "not now" this time.
    while c.turn["step"] != "consent":
        assert c.emit("back")["ok"]
    assert c.answer("not_now")["ok"] and c.turn["step"] == "not_now"
    with app.app_context():
        exported = export_case("CASE-1")["conversations"][0]
    kept = {a["step"]: a["value"] for a in exported["answers"] + exported["earlier_answers"]}
    assert kept["matters"] == "My cat, and my flat" and kept["outcome_words"] == "To stay at home"
    assert exported["consent"] == "not_now" and exported["consent_at"]
    # Saying yes again finds the answers where they were.
    assert c.answer(None)["ok"] and c.answer("yes")["ok"]
    assert c.turn["step"] == "matters" and c.turn["answer"] == "My cat, and my flat"


def test_part2_says_hello_again_to_nobody_it_cannot_know_did_part1(app, chat):
    c = chat(part=2, respondent="self")
    for variant in (c.turn,):
        assert not any("Hello again" in line for line in variant["messages"])
    assert c.emit("settings", {"easy_read": True})["ok"]
    assert not any("Hello again" in line for line in c.turn["messages"])


def test_the_choice_is_on_the_case_page(app, chat):
    import re

    from app.staff.teams import create_user

    c = chat(respondent="self")
    opening(c)
    assert c.answer("talk_first")["ok"]
    password = "a long enough test password"
    with app.app_context():
        create_user("lead@team.example", "manager", "Team", password)
        case_id = conversation(app).case_id
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/sign-in").text)[1]
    signed = client.post(
        "/staff/sign-in", data={"email": "lead@team.example", "password": password, "csrf_token": token}
    )
    assert signed.status_code == 302
    page = client.get(f"/staff/cases/{case_id}").text
    assert "Wants to talk to someone first" in page


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("PRIVACY_NOTICE_URL", None, "PRIVACY_NOTICE_URL"),
        ("RETENTION_MONTHS", None, "RETENTION_MONTHS"),
        ("DATA_KEYS", None, "DATA_KEYS"),
        ("DATA_KEYS", "not-a-key", "DATA_KEYS key 1 of 1 is not a Fernet key"),
        ("PRIVACY_NOTICE_URL", "http://council.example/privacy", "https://"),
    ],
)
def test_production_will_not_start_without_a_privacy_notice_and_retention(tmp_path, setting, value, message):
    class Production(CompleteProduction):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"

    with pytest.raises(ConfigurationError, match=message):
        create_app(Production, **{setting: value})
