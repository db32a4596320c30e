"""The chat protocol over Socket.IO (namespace /chat), through Flask-SocketIO's test client.

What is checked against the database is read through a second engine on the same file, so "saved"
means committed and visible to any other process, not merely flushed in this one's session.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import opened
from sqlalchemy.exc import OperationalError

from app import db, socketio
from app.cases.services import export_case
from app.models import Conversation, Invitation, utcnow

PERSON = {"consent": "yes", "who": "self"}


@pytest.fixture
def other_engine(app):
    """A second connection to the same database, as another server process would have."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


def committed_answers(engine, step=None) -> list[dict]:
    query = "SELECT step, value, superseded_at, client_id FROM answer"
    params = {}
    if step is not None:
        query += " WHERE step = :step"
        params["step"] = step
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(query + " ORDER BY id"), params)]
    # Stored encrypted: opened, and given back as JSON text (the form these tests compare with).
    return [{**row, "value": _json_text(opened(row["value"]))} for row in rows]


def _json_text(text):
    return None if text is None else json.dumps(json.loads(text))


def committed_state(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT state FROM conversation")).scalar_one()


def to_step(c, step, answers=None):
    """Answer (or skip) until ``step`` is the current one."""
    answers = {**PERSON, **(answers or {})}
    for _ in range(40):
        turn = c.turn
        if turn["step"] == step:
            return turn
        sid = turn["step"].split(".")[0]
        ack = c.answer(answers.get(sid))
        assert ack["ok"], (turn["step"], ack)
    raise AssertionError(f"never reached {step}")


# -- connecting ------------------------------------------------------------------------------------


def test_connect_sends_the_current_turn_in_the_documented_shape(chat):
    c = chat()
    assert c.connected
    turn = c.turn
    assert turn["step"] == "welcome"
    assert turn["finished"] is False
    assert turn["messages"] and all(isinstance(m, str) for m in turn["messages"])
    assert "You can skip most questions. Each one says if you can." in turn["messages"]
    assert any("Your answers are saved" in m for m in turn["messages"])
    assert turn["input"] == {"kind": "none", "options": [], "optional": False} or (
        turn["input"]["kind"] == "none" and turn["input"]["options"] == []
    )
    assert turn["history"] == []
    c.answer(None)
    consent = c.turn
    assert consent["step"] == "consent" and consent["input"]["kind"] == "choice"
    assert [o["value"] for o in consent["input"]["options"]] == ["yes", "not_now", "talk_first"]
    assert consent["input"]["optional"] is False
    c.answer("yes")
    who = c.turn
    assert who["step"] == "who" and who["input"]["kind"] == "choice"
    assert [o["value"] for o in who["input"]["options"]] == ["self", "self_helped", "representative"]
    assert all(set(o) == {"value", "label"} for o in who["input"]["options"])
    assert {"current", "total", "text"} <= set(who["progress"])


def refused(app, auth):
    client = socketio.test_client(app, namespace="/chat", auth=auth)
    return not client.is_connected("/chat")


def test_wrong_expired_revoked_and_finished_codes_are_all_refused(app, invite, chat):
    assert refused(app, {"code": "ABCD-EFGH-JKLM"})
    assert refused(app, {"code": 12})
    assert refused(app, {})
    assert refused(app, None)

    expired, revoked = invite(reference="EXP"), invite(reference="REV")
    with app.app_context():
        for conversation in db.session.scalars(sa.select(Conversation)):
            if conversation.case.reference == "EXP":
                conversation.invitation.expires_at = utcnow() - timedelta(minutes=1)
            if conversation.case.reference == "REV":
                conversation.invitation.revoked_at = utcnow()
        db.session.commit()
    assert refused(app, {"code": expired})
    assert refused(app, {"code": revoked})

    c = chat(reference="DONE", respondent="self")
    c.walk({}, default=None)
    assert c.turn["finished"] is True
    assert refused(app, {"code": c.code})


def test_a_code_revoked_mid_conversation_stops_the_next_answer(app, chat, other_engine):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"  # welcome, consent
    with app.app_context():
        db.session.execute(sa.update(Invitation).values(revoked_at=utcnow()))
        db.session.commit()
    before = committed_state(other_engine)
    ack = c.answer(["meetings"])
    assert ack["ok"] is False and ack["code"] == "closed"
    assert "cannot be continued" in ack["error"]
    assert committed_state(other_engine) == before
    assert committed_answers(other_engine, "involve_how") == []
    assert c.emit("back")["code"] == "closed"
    assert c.emit("resume")["code"] == "closed"


# -- saving ----------------------------------------------------------------------------------------


def test_the_ack_comes_only_after_the_answer_is_committed(chat, other_engine):
    c = chat()
    assert c.begin()["step"] == "who"
    ack = c.answer("self")
    assert ack == {"ok": True}
    # Read at the moment of the acknowledgement, from another connection.
    rows = committed_answers(other_engine, "who")
    assert [(r["step"], r["value"]) for r in rows] == [("who", '"self"')]
    assert committed_state(other_engine) == "matters"
    assert c.turn["step"] == "matters"


def test_a_failed_commit_is_acknowledged_as_not_saved_and_changes_nothing(chat, other_engine, monkeypatch):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    answer_id = str(uuid.uuid4())

    def fail():
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(db.session, "commit", fail)
    ack = c.answer(["meetings"], id=answer_id)
    assert ack["ok"] is False and ack["code"] == "unavailable"
    assert "Nothing is lost" in ack["error"]
    assert committed_answers(other_engine, "involve_how") == []
    assert committed_state(other_engine) == "involve_how"

    monkeypatch.undo()  # the database is back: the client sends the same answer again
    assert c.answer(["meetings"], id=answer_id, step="involve_how") == {"ok": True}
    assert [r["value"] for r in committed_answers(other_engine, "involve_how")] == ['["meetings"]']


def test_an_unexpected_failure_is_acknowledged_calmly_and_the_server_carries_on(chat, monkeypatch):
    from app.conversation import services

    c = chat(respondent="self")

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "answer", explode)
    ack = c.answer(None)
    assert ack["ok"] is False and ack["code"] == "unavailable"
    monkeypatch.undo()
    assert c.answer(None) == {"ok": True}
    assert c.turn["step"] == "consent"
    assert c.answer("yes") == {"ok": True}
    assert c.skip_opening()["step"] == "involve_how"


def test_an_answer_sent_twice_with_the_same_id_is_stored_once(chat, other_engine):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    answer_id = str(uuid.uuid4())
    assert c.answer(["meetings", "statement"], id=answer_id) == {"ok": True}
    assert c.turn["step"] == "involve_help"
    # The retry of a client that never heard the first ack: names the old step, same id.
    again = c.answer(["meetings", "statement"], id=answer_id, step="involve_how")
    assert again["ok"] is True and again.get("duplicate") is True
    rows = committed_answers(other_engine, "involve_how")
    assert len(rows) == 1 and rows[0]["client_id"] == answer_id
    assert committed_state(other_engine) == "involve_help"
    assert c.turn["step"] == "involve_help"  # still where they were: the retry did not move them


# -- moving around ---------------------------------------------------------------------------------


def test_back_shows_the_earlier_answer_and_a_new_answer_replaces_it(app, chat, other_engine):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    c.answer(["meetings"])
    assert c.turn["step"] == "involve_help"
    assert c.emit("back") == {"ok": True}
    turn = c.turn
    assert turn["step"] == "involve_how" and turn["answer"] == ["meetings"]
    assert turn["can_go_back"] is True
    assert c.answer(["informed_only"]) == {"ok": True}
    rows = committed_answers(other_engine, "involve_how")
    assert [(r["value"], r["superseded_at"] is None) for r in rows] == [
        ('["meetings"]', False),
        ('["informed_only"]', True),
    ]
    with app.app_context():
        exported = export_case("CASE-1")["conversations"][0]
    current = [a for a in exported["answers"] if a["step"] == "involve_how"]
    assert [a["value"] for a in current] == [["informed_only"]]
    assert [a["value"] for a in exported["earlier_answers"]] == [["meetings"]]


def test_back_at_the_first_step_is_harmless(chat):
    c = chat()
    assert c.emit("back") == {"ok": True}
    assert c.turn["step"] == "welcome"


def test_change_from_check_your_answers_returns_there(chat):
    c = chat(respondent="self")
    review = to_step(c, "check", {"outcome_words": "To feel safe at home"})
    keys = [row["step"] for row in review["review"]]
    assert "outcome_words" in keys
    assert c.emit("change", {"step": "outcome_words"}) == {"ok": True}
    turn = c.turn
    assert turn["step"] == "outcome_words" and turn["answer"] == "To feel safe at home"
    assert c.answer("To stay in my own home") == {"ok": True}
    review = c.turn
    assert review["step"] == "check"
    row = next(r for r in review["review"] if r["step"] == "outcome_words")
    assert "To stay in my own home" in str(row)
    # Changing is only offered from the review, and only to a question on the route.
    assert c.emit("change", {"step": "role"})["ok"] is False
    assert c.emit("change", {"step": "nowhere"})["ok"] is False
    # Nor to "Shall we start?", which the review does not list: sent anyway, it is refused.
    assert "consent" not in keys
    assert c.emit("change", {"step": "consent"})["ok"] is False and c.turn["step"] == "check"
    assert c.emit("change", "outcome_words")["ok"] is False


def test_reconnecting_resumes_with_what_was_said_so_far(app, chat):
    c = chat()
    c.begin()
    c.answer("self")
    c.answer(["meetings"])
    c.answer("Please call my daughter first")
    where = c.turn["step"]
    c.client.disconnect(namespace="/chat")

    again = chat(c.code)
    turn = again.turn
    assert turn["step"] == where
    said = str(turn["history"])
    assert "Please call my daughter first" in said
    assert "Who is answering these questions?" in said
    assert again.emit("resume")["ok"] is True
    assert again.turn["step"] == where


# -- bad input -------------------------------------------------------------------------------------

LONG = "x" * 2001

BAD = [
    ("not the current step", {"step": "who", "value": "self"}, "not_current"),
    ("unknown step", {"step": "no_such_step", "value": None}, "not_current"),
    ("value not an option", {"step": "involve_how", "value": ["parachute"]}, "not_an_option"),
    ("choice sent as a list", {"step": "involve_how", "value": "meetings"}, "not_an_option"),
    ("an object for a value", {"step": "involve_how", "value": {"a": 1}}, "not_an_option"),
    ("a number for a value", {"step": "involve_how", "value": 7}, "not_an_option"),
    ("no id", {"id": None, "step": "involve_how", "value": []}, "malformed"),
    ("id not a string", {"id": 5, "step": "involve_how", "value": []}, "malformed"),
    ("id too long", {"id": "i" * 65, "step": "involve_how", "value": []}, "malformed"),
    ("step not a string", {"step": ["involve_how"], "value": []}, "malformed"),
    ("step too long", {"step": "s" * 500, "value": []}, "malformed"),
]


@pytest.mark.parametrize("label, payload, code", BAD, ids=[b[0] for b in BAD])
def test_bad_answers_are_refused_calmly_and_change_nothing(chat, other_engine, label, payload, code):
    c = chat(respondent="self")
    assert c.begin()["step"] == "involve_how"
    before = (committed_state(other_engine), committed_answers(other_engine))
    ack = c.client.emit("answer", {"id": str(uuid.uuid4()), **payload}, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["code"] == code, ack
    assert isinstance(ack["error"], str) and ack["error"]
    assert (committed_state(other_engine), committed_answers(other_engine)) == before
    assert c.answer(["meetings"]) == {"ok": True}  # and the server carries on


@pytest.mark.parametrize(
    "payload", [None, "hello", 42, [], ["answer"], {"id": "x", "step": "welcome"}], ids=repr
)
def test_malformed_payloads_are_refused(chat, other_engine, payload):
    c = chat(respondent="self")
    before = committed_answers(other_engine)
    ack = c.client.emit("answer", payload, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["code"] == "malformed"
    assert committed_answers(other_engine) == before
    assert c.answer(None) == {"ok": True}


def test_over_long_text_is_refused_and_the_limit_is_2000(chat, other_engine):
    c = chat(respondent="self")
    to_step(c, "involve_help")
    ack = c.answer(LONG)
    assert ack["ok"] is False and ack["code"] == "too_long" and "2000" in ack["error"]
    assert committed_answers(other_engine, "involve_help") == []
    # Exactly at the limit is fine, and surrounding spaces do not count.
    assert c.answer("  " + "y" * 2000 + "\n") == {"ok": True}
    assert committed_answers(other_engine, "involve_help")[0]["value"] == '"' + "y" * 2000 + '"'


def test_a_value_for_a_step_with_nothing_to_answer_is_refused(chat, other_engine):
    c = chat()
    ack = c.answer("hello")
    assert ack["ok"] is False and ack["code"] == "no_answer_expected"
    assert committed_answers(other_engine) == []
    assert c.turn["step"] == "welcome"


def test_a_required_question_cannot_be_skipped(chat, other_engine):
    c = chat()
    c.answer(None)
    ack = c.answer(None)  # "Shall we start?": required
    assert ack["ok"] is False and ack["code"] == "required"
    assert committed_answers(other_engine, "consent") == []
    assert c.turn["step"] == "consent"
    assert c.answer("yes") == {"ok": True}
    ack = c.answer(None)  # who is answering: required
    assert ack["ok"] is False and ack["code"] == "required"
    assert committed_answers(other_engine, "who") == []


def test_text_is_stored_exactly_as_typed(chat, other_engine, app):
    c = chat(respondent="self")
    to_step(c, "involve_help")
    typed = "<b>Ask Zofia</b> — “not him”; نعم 😊"
    assert c.answer(typed) == {"ok": True}
    with app.app_context():
        answers = export_case("CASE-1")["conversations"][0]["answers"]
    assert next(a["value"] for a in answers if a["step"] == "involve_help") == typed


def test_events_other_than_connect_need_an_open_conversation(app):
    client = socketio.test_client(app, namespace="/chat", auth={"code": "nope"})
    assert not client.is_connected("/chat")


# -- someone answering for the person --------------------------------------------------------------


def test_an_imca_answers_in_the_third_person_and_each_answer_records_whose_view(app, chat):
    c = chat()
    assert c.begin()["step"] == "who"
    c.answer("representative")
    assert c.turn["step"] == "role"
    c.answer("imca")
    assert c.turn["step"] == "name"
    c.answer("Sam")
    assert c.turn["step"] == "view"
    c.answer("representative_account")
    assert c.turn["step"] == "why_representative"
    c.answer("lacks_capacity")
    turn = c.turn
    assert turn["step"] == "matters"
    assert "Sam" in " ".join(turn["messages"])
    to_step(c, "outcome_words")
    assert "what would Sam like to happen?" in " ".join(c.turn["messages"])
    c.answer("Sam wants to keep seeing his nephew")
    c.walk({}, default=None)
    with app.app_context():
        conversation = export_case("CASE-1")["conversations"][0]
    assert conversation["respondent_role"] == "imca"
    given = {a["step"]: a for a in conversation["answers"]}
    assert given["outcome_words"]["value"] == "Sam wants to keep seeing his nephew"
    assert given["outcome_words"]["view"] == "representative_account"
    assert given["outcome_words"]["respondent"] == "imca"
    assert given["who"]["value"] == "representative" and given["role"]["value"] == "imca"


def test_the_person_answering_with_support_is_recorded_as_their_view(app, chat):
    c = chat(respondent="carer", name="Ann")
    assert c.turn["step"] == "welcome"
    c.answer(None)
    assert c.turn["step"] == "consent"
    c.answer("yes")
    assert c.turn["step"] == "view"  # the invitation said who answers and the name
    c.answer("person_supported")
    assert c.turn["step"] == "why_representative"
    c.answer("chose")
    c.skip_opening()
    c.answer(["meetings"])
    with app.app_context():
        answers = export_case("CASE-1")["conversations"][0]["answers"]
    assert {a["step"]: a["view"] for a in answers}["involve_how"] == "person_supported"


def test_part2_reads_back_part1_outcomes_in_the_persons_words(app, chat):
    one = chat(reference="CASE-9", respondent="self")
    one.walk({"outcome_words": "I want him to stop coming round", "outcome_choices": ["apology"]})
    two = chat(reference="CASE-9", part=2, respondent="self")
    turn = to_step(two, "outcome_met.1")
    assert "“I want him to stop coming round”" in " ".join(turn["messages"])
    two.answer("partly")
    assert "“An apology”" in " ".join(two.turn["messages"])
    two.answer("changed_mind")
    with app.app_context():
        part2 = export_case("CASE-9")["conversations"][1]
    met = [a for a in part2["answers"] if a["step"].startswith("outcome_met")]
    assert [(a["step"], a["value"], a["about"]) for a in met] == [
        ("outcome_met.1", "partly", "I want him to stop coming round"),
        ("outcome_met.2", "changed_mind", "An apology"),
    ]


def test_answering_for_oneself_with_someone_helping_records_the_persons_own_view_with_support(app, chat):
    c = chat()
    assert c.begin()["step"] == "who"
    assert c.answer("self_helped") == {"ok": True}
    turn = c.skip_opening()
    assert turn["step"] == "involve_how" and "view" not in turn  # never asked whose view: their own
    assert "How would you like to be involved?" in turn["messages"]
    assert c.answer(["meetings"]) == {"ok": True}
    with app.app_context():
        conversation = export_case("CASE-1")["conversations"][0]
    assert conversation["respondent"] == "self_helped"
    given = {a["step"]: a for a in conversation["answers"]}
    assert given["involve_how"]["view"] == "person_supported"


def test_an_answer_reads_its_conversation_once_and_makes_no_lazy_loads(app, chat):
    """One SELECT brings the conversation, its invitation, case and answers (gathered into its one
    row); saving writes plain statements. A lazy load (an attribute the turn reads that the load
    did not bring) would show here as one more SELECT for every answer."""
    c = chat()
    c.begin()
    c.answer("self")
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        step, kind = c.turn["step"], c.turn["input"]["kind"]
        options = [o["value"] for o in c.turn["input"].get("options") or []]
        c.answer({"choice": options[:1] and options[0], "multi": options[:1], "text": "ok"}.get(kind))
        assert c.turn["step"] != step
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len([s for s in selects if "FROM conversation" in s]) == 1, selects
    others = [s for s in selects if "FROM conversation" not in s]
    assert [s for s in others if "FROM answer" in s or "FROM invitation" in s or 'FROM "case"' in s] == []
    writes = [s.split()[0] for s in statements if not s.startswith("SELECT")]
    assert writes.count("UPDATE") == 1 and writes.count("INSERT") == 1, statements


def test_turns_go_out_as_plain_json_events_and_binary_events_are_still_read_as_such(app):
    """The server's packets (app.socket_guards.JSONPackets): an outgoing payload is JSON, never
    searched for bytes to send as attachments; a client's binary event is decoded as before (and
    then refused as any malformed input is: tests/test_fuzz.py)."""
    from socketio import packet

    from app import socketio

    packets = socketio.server.packet_class
    assert packets.uses_binary_events is False
    turn = ["turn", {"card": "<p>Hello</p>", "history": [{"said": ["Yes"]}]}]
    assert packets(packet.EVENT, turn, namespace="/chat").encode() == (
        '2/chat,["turn",{"card":"<p>Hello</p>","history":[{"said":["Yes"]}]}]'
    )
    sent = packets(encoded_packet='51-/chat,["answer",{"_placeholder":true,"num":0}]')
    assert (sent.packet_type, sent.attachment_count) == (packet.BINARY_EVENT, 1)
