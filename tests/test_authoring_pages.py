"""The managers' dialogue pages: the outline, and "Try this dialogue", which saves nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import db
from app.models import Answer, Case, Conversation, Invitation
from app.staff.teams import create_team, create_user

PASSWORD = "correct horse battery staple"


@pytest.fixture
def pages(app):
    """The app with the authoring pages (registered here until app/__init__.py does it)."""
    if "authoring" not in app.blueprints:
        from app.authoring.routes import bp

        app.register_blueprint(bp)
    with app.app_context():
        create_team("North", "duty@north.example")
        for email, role in (("manager@north.example", "manager"), ("worker@north.example", "worker")):
            create_user(email, role, "North", PASSWORD)
        create_user("admin@council.example", "admin", "", PASSWORD)
    return app


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def signed_in(app, email):
    client = app.test_client()
    page = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token_from(page.text)}
    )
    assert response.status_code == 302, response.text[:300]
    return client


def counts(app):
    with app.app_context():
        return {
            m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (Case, Invitation, Conversation, Answer)
        }


def step_of(html: str) -> str:
    return re.search(r'name="step" value="([^"]+)"', html)[1]


def answer(client, html, **data):
    response = client.post(
        "/staff/dialogues/part1/try/step",
        data={"csrf_token": token_from(html), "step": step_of(html), "action": "answer", **data},
    )
    assert response.status_code == 302, response.text[:500]
    return client.get(response.headers["Location"]).text


def test_a_manager_sees_every_dialogue_and_its_outline(pages):
    manager = signed_in(pages, "manager@north.example")
    index = manager.get("/staff/dialogues/")
    assert index.status_code == 200
    for title in (
        "My Safeguarding Experience: Part 1",
        "My Safeguarding Experience: Part 2",
        "Reflecting on this enquiry",
        "Manager&#39;s case review",
    ):
        assert title in index.text
    outline = manager.get("/staff/dialogues/part1").text
    assert "Preview: nothing is saved and nobody is told." in outline
    assert "If the person is answering → " in outline
    assert "staff pages say “Lasting Power of Attorney (health and welfare)”" in outline
    assert "flowchart TD" in outline
    assert signed_in(pages, "admin@council.example").get("/staff/dialogues/part2").status_code == 200


def test_a_worker_is_not_shown_the_pages(pages):
    worker = signed_in(pages, "worker@north.example")
    assert worker.get("/staff/dialogues/").status_code == 404
    assert worker.get("/staff/dialogues/part1").status_code == 404
    page = worker.get("/staff/").text
    token = token_from(page)
    assert worker.post("/staff/dialogues/part1/try", data={"csrf_token": token}).status_code == 404
    assert pages.test_client().get("/staff/dialogues/").status_code in (302, 401, 404)  # not signed in


def test_trying_a_dialogue_steps_through_it_and_saves_nothing(pages):
    before = counts(pages)
    manager = signed_in(pages, "manager@north.example")
    outline = manager.get("/staff/dialogues/part1").text
    started = manager.post("/staff/dialogues/part1/try", data={"csrf_token": token_from(outline)})
    assert started.status_code == 302
    page = manager.get(started.headers["Location"]).text
    assert "Preview: nothing is saved and nobody is told" in page
    assert step_of(page) == "welcome" and "Hello. Thank you for talking with us." in page

    page = answer(manager, page)
    assert step_of(page) == "consent" and "Shall we start?" in page
    page = answer(manager, page, value="yes")
    assert step_of(page) == "who" and "Who is answering these questions?" in page
    page = answer(manager, page, value="representative")
    assert step_of(page) == "role"
    page = answer(manager, page, value="imca")
    assert step_of(page) == "name"
    page = answer(manager, page, value="<b>Sam</b>")
    assert step_of(page) == "view"
    assert "Whose views will your answers give about &lt;b&gt;Sam&lt;/b&gt;?" in page  # escaped
    assert "<b>Sam</b>" not in page

    # Back, then the name is still there to change.
    assert 'action="/staff/dialogues/part1/try/back"' in page  # the card's own Back form
    back = manager.post("/staff/dialogues/part1/try/back", data={"csrf_token": token_from(page)})
    page = manager.get(back.headers["Location"]).text
    assert step_of(page) == "name" and "&lt;b&gt;Sam&lt;/b&gt;</textarea>" in page

    # A required choice left empty is refused, calmly, on the same step.
    page = answer(manager, page, value="Sam")
    form = {"csrf_token": token_from(page), "step": "view", "action": "answer"}
    refused = manager.post("/staff/dialogues/part1/try/step", data=form)
    assert refused.status_code == 400 and "Choose an answer" in refused.text
    page = answer(manager, page, value="representative_account")
    assert step_of(page) == "why_representative"
    page = answer(manager, page, value="lacks_capacity")
    assert step_of(page) == "matters" and "What matters most to Sam at the moment?" in page

    # Start again goes back to the beginning.
    again = manager.post("/staff/dialogues/part1/try", data={"csrf_token": token_from(page)})
    assert step_of(manager.get(again.headers["Location"]).text) == "welcome"
    assert counts(pages) == before


def test_a_preview_can_be_easy_read_and_run_to_the_end(pages):
    before = counts(pages)
    manager = signed_in(pages, "manager@north.example")
    outline = manager.get("/staff/dialogues/part1").text
    form = {"csrf_token": token_from(outline), "respondent": "self", "easy": "1"}
    started = manager.post("/staff/dialogues/part1/try", data=form)
    page = manager.get(started.headers["Location"]).text
    assert "Someone is worried that you may not be safe." in page
    for _ in range(40):
        if "The end of the dialogue" in page:
            break
        skip = "Skip this question" in page
        # "Shall we start?" cannot be skipped: answered yes, as the rest of the way depends on it.
        yes = {"value": "yes"} if step_of(page) == "consent" else {}
        response = manager.post(
            "/staff/dialogues/part1/try/step",
            data={
                "csrf_token": token_from(page),
                "step": step_of(page),
                "action": "skip" if skip else "answer",
                **yes,
            },
        )
        assert response.status_code == 302, response.text[:300]
        page = manager.get(response.headers["Location"]).text
    assert "The end of the dialogue" in page and "We have saved your answers" in page
    assert counts(pages) == before
