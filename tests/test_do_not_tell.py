"""A representative the person asked not to be told is never invited: the invitation is stopped, with a
calm word to the worker, nothing is written, nothing typed is lost, and the attempt is audited."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from conftest import MANAGER_EMAIL, WORKER_EMAIL

from app import db
from app.cases.services import DoNotTellError, create_invitation, find_case
from app.models import Answer, AuditEvent, Conversation, Invitation, utcnow
from app.staff.teams import create_team, create_user

ANSWER = "my son Darren, and Mrs Patel next door"
STOPPED = (
    "{} is someone the person asked not to be told about this. No invitation was made. "
    "Talk to the person or your manager before inviting them."
)


def said_in_part1(app, text, reference="CASE-1", superseded=False):
    """The person's Part 1 answer to "Is there anyone you do not want to be told about this?"."""
    with app.app_context():
        case = find_case(reference)
        conversation = db.session.scalars(
            sa.select(Conversation).where(
                Conversation.case_id == case.id, Conversation.dialogue_id == "part1"
            )
        ).first()
        if superseded:  # the person changed their answer: the earlier one is kept, superseded
            for row in db.session.scalars(sa.select(Answer).where(Answer.step == "people_not_told")):
                row.superseded_at = row.superseded_at or utcnow()
        db.session.add(
            Answer(
                conversation_id=conversation.id,
                step="people_not_told",
                value=text,
                view="person",
                respondent="self",
                language="en",
                client_id=str(uuid.uuid4()),
            )
        )
        db.session.commit()


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def invite_representative(app, name, part=1, **kwargs):
    kwargs.setdefault("worker", WORKER_EMAIL)
    if part == 2:
        kwargs.setdefault("eligible_agreed_by", MANAGER_EMAIL)
    with app.app_context():
        new = create_invitation(
            "CASE-1", part, respondent="representative", representative_name=name, **kwargs
        )
        return new.invitation.representative_name  # the name kept with the invitation made


# -- the service -----------------------------------------------------------------------------------


def test_the_persons_own_words_from_the_chat_stop_the_invitation(app, chat):
    c = chat(respondent="self")
    c.walk({"people_not_told": ANSWER})
    before = count(app, Invitation), count(app, Conversation)
    with pytest.raises(DoNotTellError) as stopped:
        invite_representative(app, "Darren")
    assert str(stopped.value) == STOPPED.format("Darren")
    assert (count(app, Invitation), count(app, Conversation)) == before  # nothing was written


@pytest.mark.parametrize("name", ["Darren", "  darren ", "DARREN", "Mrs  Patel", "mrs patel"])
def test_a_whole_name_in_the_answer_stops_it_whatever_its_case_and_spacing(app, invite, name):
    invite(respondent="self")
    said_in_part1(app, ANSWER)
    with pytest.raises(DoNotTellError) as stopped:
        invite_representative(app, name)
    assert str(stopped.value) == STOPPED.format(" ".join(name.split()))


def test_a_name_the_person_gave_only_in_part_stops_it_and_says_it_may_be_the_same_person(app, invite):
    invite(respondent="self")
    said_in_part1(app, ANSWER)
    with pytest.raises(DoNotTellError) as stopped:
        invite_representative(app, "Darren Smith")
    assert str(stopped.value).startswith(
        'The person named "Darren" as someone not to be told about this, and Darren Smith may be the '
        "same person. No invitation was made."
    )
    with pytest.raises(DoNotTellError) as stopped:
        invite_representative(app, "Raj Patel")
    assert 'named "Mrs Patel"' in str(stopped.value)


@pytest.mark.parametrize("name", ["Dar", "Darrens", "Mr Smith", "Patricia Jones"])
def test_anyone_else_is_invited_and_the_name_is_kept(app, invite, name):
    invite(respondent="self")
    said_in_part1(app, ANSWER)
    assert invite_representative(app, name) == " ".join(name.split())


def test_an_ordinary_word_of_the_answer_is_not_taken_for_a_name(app, invite):
    invite(respondent="self")
    said_in_part1(app, "nobody, I will tell them myself")
    assert invite_representative(app, "Will Brown") == "Will Brown"


def test_the_latest_answer_is_the_one_that_counts(app, invite):
    invite(respondent="self")
    said_in_part1(app, ANSWER)
    said_in_part1(app, "Nobody now", superseded=True)
    assert invite_representative(app, "Darren") == "Darren"


def test_without_a_part1_answer_or_a_name_nothing_is_stopped(app, invite):
    invite(respondent="self")
    assert invite_representative(app, "Darren") == "Darren"
    said_in_part1(app, ANSWER)
    assert invite_representative(app, None) is None


def test_part2_checks_the_representative_a_manager_agreed(app, invite):
    from app.cases.eligibility import record_eligibility
    from app.staff.teams import find_team

    invite(respondent="self")
    said_in_part1(app, ANSWER)
    with app.app_context():
        manager = create_user("lead@team.example", "manager", find_team("Team").name, "x" * 16)
        record_eligibility(
            manager, find_case("CASE-1"), "representative", None, None, "Mrs Patel", "relative"
        )
    before = count(app, Invitation)
    with app.app_context(), pytest.raises(DoNotTellError, match="Mrs Patel is someone the person asked"):
        create_invitation("CASE-1", 2)
    assert count(app, Invitation) == before


# -- the staff pages -------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def test_the_worker_is_told_calmly_and_nothing_typed_is_lost(app, chat):
    with app.app_context():
        create_team("North", "duty@north.example")
        worker = create_user("worker@north.example", "worker", "North", PASSWORD)
        worker_id = worker.id
    client = app.test_client()
    form = client.get("/staff/sign-in").text
    client.post(
        "/staff/sign-in",
        data={"email": "worker@north.example", "password": PASSWORD, "csrf_token": csrf(form)},
    )
    page = client.get("/staff/cases/new").text
    client.post(
        "/staff/cases/new",
        data={"reference": "DNT-1", "preferred_name": "Sam", "language": "en", "csrf_token": csrf(page)},
    )
    with app.app_context():
        case_id = find_case("DNT-1").id
    case_url = f"/staff/cases/{case_id}"
    made = client.post(
        f"{case_url}/invitations", data={"part": "1", "csrf_token": csrf(client.get(case_url).text)}
    )
    code = re.search(r'data-role="code">([A-Z0-9-]+)<', made.text)[1]
    chat(code).walk({"who": "self", "people_not_told": ANSWER})
    invitations = count(app, Invitation)

    sent = {"part": "1", "language": "cy", "respondent": "relative", "representative_name": "Darren"}
    response = client.post(
        f"{case_url}/invitations", data={**sent, "csrf_token": csrf(client.get(case_url).text)}
    )
    assert response.status_code == 400
    html = response.text
    error = html.split('data-role="invite-error"')[1].split("</div>")[0]
    assert STOPPED.format("Darren") in error
    assert 'data-role="code"' not in html and count(app, Invitation) == invitations
    form = html.split('id="invite-title"')[1].split("</form>")[0]
    assert 'name="representative_name" maxlength="120"' in form and 'value="Darren"' in form
    assert re.search(r'<option value="cy" selected>', form)
    assert re.search(r'<option value="relative" selected>', form)
    assert 'value="1" checked' in form
    with app.app_context():
        stopped = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "invitation_stopped")
        ).one()
        assert (stopped.case_id, stopped.user_id) == (case_id, worker_id)
        assert "Darren" not in (stopped.detail or "")

    # Someone else is invited as usual, and their name is kept with the invitation.
    sent["representative_name"] = "Jo Bloggs"
    response = client.post(
        f"{case_url}/invitations", data={**sent, "csrf_token": csrf(client.get(case_url).text)}
    )
    assert response.status_code == 200 and 'data-role="code"' in response.text
    with app.app_context():
        newest = db.session.scalars(sa.select(Invitation).order_by(Invitation.id.desc())).first()
        assert newest.representative_name == "Jo Bloggs" and newest.respondent == "relative"
