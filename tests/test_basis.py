"""On what basis each conversation holds what it holds: consent, who answered and why, and the worker's
record of capacity in the Safeguarding Adults Collection's terms, on the case page and in every export."""

from __future__ import annotations

import json

import sqlalchemy as sa
from conftest import Chat
from test_staff import post, signed_in, staff  # noqa: F401  (the fixture)

from app import db, socketio
from app.cases.services import create_invitation
from app.models import AuditEvent, Conversation


def representative_conversation(app, staff, reference="CAP-1"):  # noqa: F811
    """A Part 1 an IMCA has begun for the person, with why the person is not answering."""
    with app.app_context():
        code = create_invitation(reference, 1, respondent="imca", name="Jo", worker=staff["worker"][1]).code
    c = Chat(socketio.test_client(app, namespace="/chat", auth={"code": code}), code)
    c.begin(opening=True)
    for _ in range(10):
        step = c.turn["step"]
        if step == "why_representative":
            assert c.answer("lacks_capacity")["ok"]
            break
        assert c.answer("representative_account" if step == "view" else None)["ok"], step
    c.client.disconnect(namespace="/chat")
    with app.app_context():
        conversation = db.session.scalars(sa.select(Conversation)).one()
        return conversation.case_id, conversation.id


def test_the_case_page_says_consent_who_answered_and_why(app, staff):  # noqa: F811
    case_id, _ = representative_conversation(app, staff)
    page = signed_in(app, staff, "worker").get(f"/staff/cases/{case_id}").text
    assert "Agreed to answer" in page
    assert "A representative: " in page
    assert "Jo is not able to decide about this, even with help" in page
    assert "Not recorded yet" in page  # capacity, until the worker records it


def test_a_worker_records_capacity_and_support_shown_and_exported(app, staff):  # noqa: F811
    case_id, conversation_id = representative_conversation(app, staff)
    worker = signed_in(app, staff, "worker")
    url = f"/staff/cases/{case_id}/conversations/{conversation_id}/capacity"
    response = post(worker, url, {"capacity": "lacked", "support": "yes"}, page=f"/staff/cases/{case_id}")
    assert response.status_code == 302
    page = worker.get(f"/staff/cases/{case_id}").text
    assert "Yes, they lacked capacity; Yes, supported by an advocate, family member or friend" in page
    assert "worker@north.example" in page
    exported = json.loads(worker.get(f"/staff/cases/{case_id}/export.json").data)
    part1 = exported["conversations"][0]
    assert (part1["capacity"], part1["capacity_support"], part1["consent"]) == ("lacked", "yes", "yes")
    assert part1["respondent"] == "imca" and part1["capacity_at"]
    assert {"step": "why_representative", "value": "lacks_capacity"}.items() <= next(
        a for a in part1["answers"] if a["step"] == "why_representative"
    ).items()
    pdf = worker.get(f"/staff/cases/{case_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "record_capacity")).all()
    # The page's lookup of the case, then what was recorded.
    assert [e.detail for e in events] == [None, "part1: lacked"]


def test_support_is_kept_only_where_capacity_was_lacking(app, staff):  # noqa: F811
    case_id, conversation_id = representative_conversation(app, staff)
    worker = signed_in(app, staff, "worker")
    url = f"/staff/cases/{case_id}/conversations/{conversation_id}/capacity"
    post(worker, url, {"capacity": "not_lacked", "support": "yes"}, page=f"/staff/cases/{case_id}")
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        assert (conversation.capacity, conversation.capacity_support) == ("not_lacked", None)


def test_bad_capacity_input_is_refused_calmly_and_changes_nothing(app, staff):  # noqa: F811
    case_id, conversation_id = representative_conversation(app, staff)
    worker = signed_in(app, staff, "worker")
    url = f"/staff/cases/{case_id}/conversations/{conversation_id}/capacity"
    for data, message in (
        ({"capacity": "maybe"}, "Choose whether the person lacked capacity"),
        ({"capacity": "lacked"}, "Choose whether an advocate, family member or friend supported"),
    ):
        response = post(worker, url, data, page=f"/staff/cases/{case_id}")
        assert response.status_code == 302
        assert message in worker.get(f"/staff/cases/{case_id}").text
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).capacity is None


def test_capacity_is_not_recorded_for_the_person_answering_themselves(app, staff, invite):  # noqa: F811
    with app.app_context():
        create_invitation("SELF-1", 1, respondent="self", worker=staff["worker"][1])
        conversation = db.session.scalars(sa.select(Conversation)).one()
        case_id, conversation_id = conversation.case_id, conversation.id
    worker = signed_in(app, staff, "worker")
    page = worker.get(f"/staff/cases/{case_id}").text
    assert "Record the person's capacity" not in page
    url = f"/staff/cases/{case_id}/conversations/{conversation_id}/capacity"
    post(worker, url, {"capacity": "lacked", "support": "no"}, page=f"/staff/cases/{case_id}")
    assert "Capacity is recorded when a representative answers" in worker.get(f"/staff/cases/{case_id}").text
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).capacity is None


def test_another_teams_worker_cannot_record_capacity(app, staff):  # noqa: F811
    case_id, conversation_id = representative_conversation(app, staff)
    other = signed_in(app, staff, "south_worker")
    url = f"/staff/cases/{case_id}/conversations/{conversation_id}/capacity"
    response = post(other, url, {"capacity": "lacked", "support": "no"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).capacity is None
