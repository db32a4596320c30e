"""Whose view each answer gives: someone answering for the person says so at each question.

An attorney may know the person's wishes on one thing and have only their own view on another, so
the card asks a representative "Whose view is this answer?" under every question they answer,
begun at the view they gave at the start (the ``view`` step) and changeable for that answer only.
Covers the turn and its card, the answer over the socket and through the plain form (``view``),
what is refused (any other value, a view from the person themself or where none is asked), a
retried id with another view (a conflict), the languages, and what staff read per answer. The
browser test is at the end.

The dialogues are being reordered: no test here relies on which question comes first. Each walks
to "an answerable question" by the server's own turns.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from app import db
from app.cases.services import create_invitation, export_case
from app.conversation.messages import error_message
from app.models import Answer, Case, Conversation
from browser_support import CHROMIUM

QUESTIONS = ("choice", "multi", "text")
VIEWS = ["person_supported", "representative_account", "representative_own"]
LEGEND = "Whose view is this answer?"


# -- helpers ----------------------------------------------------------------------------------------


def value_for(turn: dict):
    """Something a person could answer here: the first option (or a list of it), words, or nothing."""
    kind, options = turn["input"]["kind"], turn["input"]["options"]
    if kind == "choice":
        return options[0]["value"]
    if kind == "multi":
        return [options[0]["value"]]
    if kind == "text":
        return f"Words for {turn['step']}"
    return "confirm" if kind == "review" else None


def through_view(c, view: str | None) -> dict:
    """From the opening to the first question after the ``view`` step (answered ``view``), or, for
    someone answering for themselves (``view`` None), to the first question after consent. Steps in
    between are answered with ``value_for``; returns the turn of the question reached."""
    turn = c.begin()
    if view is not None:
        for _ in range(10):
            if turn["step"] == "view":
                assert c.answer(view) == {"ok": True}
                turn = c.turn
                break
            assert c.answer(value_for(turn))["ok"], turn["step"]
            turn = c.turn
        else:
            raise AssertionError("never asked whose views the answers give")
    return next_asking(c, turn)


def next_asking(c, turn: dict | None = None) -> dict:
    """This turn if it is a question that asks whose view (a representative's), or the person's own
    question; else answer on until one is."""
    turn = turn or c.turn
    for _ in range(10):
        if turn["input"]["kind"] in QUESTIONS and ("view" in turn or not c.representative):
            return turn
        assert c.answer(value_for(turn))["ok"], turn["step"]
        turn = c.turn
    raise AssertionError(f"no question that asks whose view: at {turn['step']}")


def send(c, turn: dict, view, value=None, id=None) -> dict:
    """Answer ``turn`` over the socket with ``view`` (``...``: no ``view`` key at all)."""
    payload = {"id": id or str(uuid.uuid4()), "step": turn["step"], "value": value or value_for(turn)}
    if view is not ...:
        payload["view"] = view
    return c.client.emit("answer", payload, namespace="/chat", callback=True)


def rows(app) -> list[tuple[str, object, str, bool]]:
    """Every answer stored, oldest first: (step, value, view, superseded)."""
    with app.app_context():
        return [
            (a.step, a.value, a.view, a.superseded_at is not None)
            for a in db.session.scalars(select(Answer).order_by(Answer.id))
        ]


def in_force(app) -> dict[str, str]:
    """The view of each answer in force, by step."""
    return {step: view for step, _, view, superseded in rows(app) if not superseded}


def state(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Conversation.state)).one()


def view_fieldset(card: str) -> str | None:
    found = re.search(r'<fieldset class="app-view" data-role="view">.*?</fieldset>', card, re.S)
    return found[0] if found else None


def checked_view(card: str) -> str | None:
    found = re.search(r'name="view" id="view-\d" value="(\w+)" checked', card)
    return found[1] if found else None


def malformed(app) -> dict:
    with app.test_request_context():
        return {"ok": False, "error": error_message("malformed"), "code": "malformed"}


@pytest.fixture
def attorney(chat):
    """An attorney for Sam, invited as such (so asked whose views, then the questions)."""

    def make(**kwargs):
        c = chat(**{"respondent": "attorney", "name": "Sam", **kwargs})
        c.representative = True
        return c

    return make


@pytest.fixture
def person(chat):
    def make(**kwargs):
        c = chat(respondent="self", **kwargs)
        c.representative = False
        return c

    return make


# -- the turn and its card --------------------------------------------------------------------------


def test_a_representative_is_asked_whose_view_under_each_question_begun_at_their_view(attorney):
    c = attorney()
    turn = through_view(c, "representative_account")
    assert turn["view"] == {
        "question": LEGEND,
        "options": [
            {"value": "person_supported", "label": "Sam's own view, they told me"},
            {"value": "representative_account", "label": "What I understand Sam wants"},
            {"value": "representative_own", "label": "My own view"},
            {"value": "both", "label": "Both: what Sam told me, and my own view"},
        ],
        "chosen": "representative_account",
    }
    card = turn["card"]
    fieldset = view_fieldset(card)
    assert fieldset is not None, card
    # A fieldset with its legend; four radios named "view", labelled; the conversation's view chosen.
    assert f'<legend class="app-view__legend">{LEGEND}</legend>' in fieldset
    assert re.findall(r'name="view" id="view-(\d)" value="(\w+)"', fieldset) == [
        ("1", "person_supported"),
        ("2", "representative_account"),
        ("3", "representative_own"),
        ("4", "both"),
    ]
    assert (
        '<label class="app-option__label" for="view-1">Sam&#39;s own view, they told me</label>' in fieldset
    )
    assert checked_view(card) == "representative_account"
    # Under the question, apart from the answer's own options, before Continue.
    assert card.index('name="value"') < card.index('name="view"') < card.index('class="app-actions"')


def test_the_person_answering_for_themselves_is_never_asked(person):
    c = person()
    turn = through_view(c, None)
    for _ in range(8):
        assert "view" not in turn and view_fieldset(turn["card"]) is None, turn["step"]
        assert 'name="view"' not in turn["card"]
        assert c.answer(value_for(turn))["ok"]
        turn = c.turn


def test_no_view_is_asked_where_the_representative_says_who_they_are(chat):
    """Asked who answers, in which role, the name and whose views: none of those steps asks it."""
    c = chat()  # the invitation says nothing of who answers
    c.representative = True
    turn = c.begin()
    for value in ("representative", "attorney", "Sam"):
        assert turn["step"] in ("who", "role", "name"), turn["step"]
        assert "view" not in turn and view_fieldset(turn["card"]) is None
        assert c.answer(value) == {"ok": True}
        turn = c.turn
    assert turn["step"] == "view" and "view" not in turn
    assert c.answer("person_supported") == {"ok": True}
    assert next_asking(c)["view"]["chosen"] == "person_supported"


def test_nowhere_in_a_whole_part1_is_it_asked_except_at_questions_about_the_person(attorney, app):
    c = attorney()
    through_view(c, "representative_own")
    asked, not_asked = [], []
    dialogue = app.extensions["dialogues"]["part1"]
    for _ in range(80):
        turn = c.turn
        if turn["finished"]:
            break
        step = dialogue.step(turn["step"])
        (asked if "view" in turn else not_asked).append(turn["step"])
        if "view" in turn:
            assert step.kind in QUESTIONS and step.sets is None and step.topic != "about_you"
        assert c.answer(value_for(turn))["ok"], turn["step"]
    assert asked, "no question asked whose view"
    for key in not_asked:
        step = dialogue.step(key)
        assert step.kind not in QUESTIONS or step.sets or step.topic == "about_you", key


# -- storing it -------------------------------------------------------------------------------------


def test_each_answer_keeps_the_view_said_with_it(app, attorney):
    c = attorney()
    first = through_view(c, "representative_account")
    assert send(c, first, ...) == {"ok": True}  # no view said: the conversation's
    second = next_asking(c)
    assert send(c, second, "representative_own") == {"ok": True}
    third = next_asking(c)
    assert third["view"]["chosen"] == "representative_account"  # each question begins at the default
    assert send(c, third, "person_supported") == {"ok": True}
    fourth = next_asking(c)
    assert send(c, fourth, "both") == {"ok": True}  # what the person told them, and their own
    views = in_force(app)
    assert views["view"] == "representative_account"
    assert views[first["step"]] == "representative_account"
    assert views[second["step"]] == "representative_own"
    assert views[third["step"]] == "person_supported"
    assert views[fourth["step"]] == "both"
    with app.app_context():
        exported = {a["step"]: a["view"] for a in export_case("CASE-1")["conversations"][0]["answers"]}
    assert exported[second["step"]] == "representative_own"


def test_a_view_of_null_is_the_conversations_view(app, attorney):
    c = attorney()
    turn = through_view(c, "person_supported")
    assert send(c, turn, None) == {"ok": True}
    assert in_force(app)[turn["step"]] == "person_supported"


def test_back_shows_the_view_that_answer_gave(app, attorney):
    c = attorney()
    turn = through_view(c, "representative_account")
    assert send(c, turn, "representative_own") == {"ok": True}
    assert c.emit("back")["ok"]
    again = c.turn
    assert again["step"] == turn["step"]
    assert again["view"]["chosen"] == "representative_own"
    assert checked_view(again["card"]) == "representative_own"
    # Answered again with another view: the new answer has it, the old one is kept as superseded.
    assert send(c, again, "person_supported") == {"ok": True}
    given = [(view, superseded) for step, _, view, superseded in rows(app) if step == turn["step"]]
    assert given == [("representative_own", True), ("person_supported", False)]


@pytest.mark.parametrize(
    "bad",
    [
        "person",
        "staff",
        "unknown",
        "",
        "REPRESENTATIVE_OWN",
        " representative_own",
        1,
        True,
        ["representative_own"],
        {"view": "representative_own"},
    ],  # fmt: skip
)
def test_any_other_view_is_malformed_and_changes_nothing(app, attorney, bad):
    c = attorney()
    turn = through_view(c, "representative_account")
    before, at = rows(app), state(app)
    c.received()
    assert send(c, turn, bad) == malformed(app)
    assert rows(app) == before and state(app) == at == turn["step"]
    assert c.received() == []  # the question is still on screen: no new turn


def test_a_view_from_the_person_themself_is_refused_as_malformed(app, person):
    """Refused rather than ignored: nobody asked them whose view it is, so a client that says one
    has it wrong, and storing (or silently dropping) it would record something never asked."""
    c = person()
    turn = through_view(c, None)
    before = rows(app)
    for view in VIEWS:
        assert send(c, turn, view) == malformed(app)
    assert rows(app) == before and state(app) == turn["step"]
    assert send(c, turn, ...) == {"ok": True}
    assert in_force(app)[turn["step"]] == "person"


def test_a_view_where_none_is_asked_is_refused(app, chat):
    c = chat()
    turn = c.begin()
    assert turn["step"] == "who"
    assert send(c, turn, "representative_own", value="representative") == malformed(app)
    assert state(app) == "who"
    assert send(c, turn, ..., value="representative") == {"ok": True}
    role = c.turn
    assert role["step"] == "role"
    assert send(c, role, "representative_own", value="attorney") == malformed(app)
    assert state(app) == "role"


# -- a retried id ----------------------------------------------------------------------------------


def test_a_retry_with_the_same_view_is_stored_once(app, attorney):
    c = attorney()
    turn = through_view(c, "representative_account")
    answer_id = str(uuid.uuid4())
    assert send(c, turn, "representative_own", id=answer_id) == {"ok": True}
    assert send(c, turn, "representative_own", id=answer_id) == {"ok": True, "duplicate": True}
    assert [r for r in rows(app) if r[0] == turn["step"]] == [
        (turn["step"], value_for(turn), "representative_own", False)
    ]


def test_a_retry_with_another_view_is_a_conflict_and_changes_nothing(app, attorney):
    c = attorney()
    turn = through_view(c, "representative_account")
    answer_id = str(uuid.uuid4())
    assert send(c, turn, "representative_own", id=answer_id) == {"ok": True}
    before, at = rows(app), state(app)
    c.received()
    ack = send(c, turn, "person_supported", id=answer_id)
    assert ack["ok"] is False and ack["code"] == "conflict"
    # Saying no view means the conversation's, which is not what was stored: a conflict too.
    assert send(c, turn, ..., id=answer_id)["code"] == "conflict"
    assert send(c, turn, None, id=answer_id)["code"] == "conflict"
    assert rows(app) == before and state(app) == at
    resent = c.received()
    assert resent and "history" in resent[-1]  # where they are now, as for any conflict


def test_a_retry_without_a_view_of_an_answer_given_the_default_is_stored_once(app, attorney):
    c = attorney()
    turn = through_view(c, "representative_account")
    answer_id = str(uuid.uuid4())
    assert send(c, turn, ..., id=answer_id) == {"ok": True}
    assert send(c, turn, ..., id=answer_id) == {"ok": True, "duplicate": True}
    assert send(c, turn, "representative_account", id=answer_id) == {"ok": True, "duplicate": True}
    assert send(c, turn, "representative_own", id=answer_id)["code"] == "conflict"


def test_a_retry_by_the_person_with_a_view_is_a_conflict(app, person):
    c = person()
    turn = through_view(c, None)
    answer_id = str(uuid.uuid4())
    assert send(c, turn, ..., id=answer_id) == {"ok": True}
    assert send(c, turn, ..., id=answer_id) == {"ok": True, "duplicate": True}
    assert send(c, turn, "person_supported", id=answer_id)["code"] == "conflict"
    assert send(c, turn, "nonsense", id=answer_id) == malformed(app)


# -- Part 2, and the languages ----------------------------------------------------------------------


def test_part2_asks_it_too(app, attorney):
    c = attorney(part=2, reference="CASE-2")
    turn = through_view(c, "representative_own")
    assert turn["view"]["chosen"] == "representative_own"
    assert send(c, turn, "representative_account") == {"ok": True}
    assert in_force(app)[turn["step"]] == "representative_account"


@pytest.mark.parametrize("lang", ["cy", "pl", "ro", "pa", "ur", "ar"])
def test_it_is_asked_in_the_conversations_language(attorney, lang):
    c = attorney(language=lang)
    turn = through_view(c, "representative_account")
    words = [turn["view"]["question"]] + [o["label"] for o in turn["view"]["options"]]
    assert words[0] != LEGEND and all(w and "{" not in w for w in words), words
    assert not any(re.search(r"\bview\b", w) for w in words), words  # no English left
    assert all("Sam" in w for w in words[1:3]), words  # the name, in the person's own words
    if lang in ("ur", "ar"):
        # Right to left: the Latin name is isolated, so it cannot reorder the sentence.
        assert all("\u2068Sam\u2069" in w for w in words[1:3]), words
    assert str(escape(turn["view"]["question"])) in turn["card"]


def test_without_a_name_it_says_the_person_and_in_welsh_with_its_article(app):
    from app.conversation.services import view_choice
    from app.dialogue import Facts
    from app.i18n import translating

    def labels(lang):
        with app.test_request_context(), translating(lang) as tr:
            return [o["label"] for o in view_choice(tr, Facts(), None)["options"]]

    assert labels("en")[:2] == ["the person's own view, they told me", "What I understand the person wants"]
    assert labels("cy")[:2] == [
        "Barn y person ei hun. Dywedodd wrtha i",
        "Yr hyn rwy'n deall y mae'r person ei eisiau",
    ]


# -- the plain form (no JavaScript) -----------------------------------------------------------------


def page_of(client):
    from test_pages import Page  # the plain pages' forms, read as a browser would send them

    response = client.get("/chat")
    assert response.status_code == 200, response.headers.get("Location")
    return Page(response)


def form_value(page):
    """An answer to the page's question, as the form would post it."""
    options = [i["value"] for i in page.question.choices()]
    return {
        "choice": options[0] if options else None,
        "multi": options[:1],
        "text": f"Words for {page.step}",
    }.get(page.kind)


def post(client, page, value=None, view=...):
    """Post the question form with ``value`` (default: ``form_value``) and ``view`` (``...``: none)."""
    data = {
        **page.question.hidden(),
        "action": "answer",
        "value": form_value(page) if value is None else value,
    }
    if view is not ...:
        data["view"] = view
    return client.post("/chat/answer", data=data)


def views_on(page) -> list[tuple[str, bool]]:
    """The page's "Whose view is this answer?" radios: (value, checked)."""
    return [(i["value"], "checked" in i) for i in page.question.inputs if i.get("name") == "view"]


def plain_to_question(client, code, view: str | None):
    """Through the plain pages to the first question that asks whose view (``view``: the answer
    to the ``view`` step), or for the person themself (``view`` None) the first question."""
    assert client.get(f"/s/{code}").status_code == 302
    for _ in range(14):
        page = page_of(client)
        if page.step == "consent":
            value = "yes"
        elif page.step == "view":
            value = view
        elif page.kind in QUESTIONS and (
            views_on(page) if view else page.step not in ("who", "role", "name")
        ):
            return page
        else:
            value = None
        assert post(client, page, value).status_code == 302, (page.step, page.text[:300])
    raise AssertionError(f"no question asking whose view: at {page.step}")


def test_the_plain_form_asks_and_posts_the_view(app, client, invite):
    code = invite(respondent="attorney", name="Sam")
    page = plain_to_question(client, code, "representative_account")
    assert views_on(page) == [
        ("person_supported", False),
        ("representative_account", True),
        ("representative_own", False),
        ("both", False),
    ]
    assert '<fieldset class="app-view" data-role="view">' in page.html
    assert f'<legend class="app-view__legend">{LEGEND}</legend>' in page.html
    step = page.step
    assert post(client, page, view="representative_own").status_code == 302
    assert in_force(app)[step] == "representative_own"
    # Back: the page shows the view that answer gave.
    back = client.post("/chat/back", data={"csrf_token": page.question.hidden()["csrf_token"]})
    assert back.status_code == 302
    again = page_of(client)
    assert again.step == step and ("representative_own", True) in views_on(again)
    # Answered again with no view posted (a browser that sent none): the conversation's.
    assert post(client, again).status_code == 302
    assert in_force(app)[step] == "representative_account"


@pytest.mark.parametrize("bad", ["person", "", "somebody"])
def test_the_plain_form_refuses_another_view_calmly_and_changes_nothing(app, client, invite, bad):
    code = invite(respondent="attorney", name="Sam")
    page = plain_to_question(client, code, "representative_account")
    before, at = rows(app), state(app)
    response = post(client, page, view=bad)
    assert response.status_code == 400
    assert str(escape(malformed(app)["error"])) in response.get_data(as_text=True)
    assert rows(app) == before and state(app) == at


def test_the_plain_form_of_the_person_has_no_view_and_refuses_one(app, client, invite):
    code = invite(respondent="self")
    page = plain_to_question(client, code, None)
    assert views_on(page) == [] and 'data-role="view"' not in page.html
    before = rows(app)
    assert post(client, page, view="representative_own").status_code == 400
    assert rows(app) == before
    assert post(client, page).status_code == 302
    assert in_force(app)[page.step] == "person"


# -- what staff read --------------------------------------------------------------------------------


def test_staff_read_whose_view_each_answer_gives_marked_where_not_the_persons_own(app, chat):
    from test_staff import PASSWORD, sign_in

    from app.staff.teams import create_team, create_user

    with app.app_context():
        create_team("North", "duty@north.example")
        create_user("worker@north.example", "worker", "North", PASSWORD)
        code = create_invitation(
            "V-1", 1, respondent="attorney", name="Sam", worker="worker@north.example"
        ).code
        case_id = db.session.scalars(select(Case.id).where(Case.reference == "V-1")).one()
    c = chat(code)
    c.representative = True
    first = through_view(c, "person_supported")
    assert send(c, first, "representative_own") == {"ok": True}
    second = next_asking(c)
    assert send(c, second, ...) == {"ok": True}  # the conversation's: the person's own, supported
    third = next_asking(c)
    assert send(c, third, "representative_account") == {"ok": True}

    worker = app.test_client()
    assert sign_in(worker, "worker@north.example").status_code == 302
    page = worker.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    part1 = page.split('data-part="part1"')[1].split("</section>")[0]
    # Whose view, as staff read it under each answer, by the question as asked (in English).
    shown = dict(
        re.findall(
            r'<dt class="staff-said__q">(.*?)</dt>.*?<span class="staff-said__who">(.*?)</span>', part1, re.S
        )
    )
    said = [shown[str(escape(turn["messages"][-1]))] for turn in (first, second, third)]
    # Said as the representative's own view, or their understanding: marked out, answer by answer.
    assert said[0].startswith('<strong class="staff-said__view" data-view="representative_own">'
                              "Representative&#39;s own view</strong> (attorney) · English")  # fmt: skip
    assert said[2].startswith('<strong class="staff-said__view" data-view="representative_account">'
                              "Representative, giving the person&#39;s account</strong>")  # fmt: skip
    # The person's own view (told to the attorney, who helps): said plainly, with nothing marked.
    assert said[1] == "The person, with support (attorney) · English"


# -- a real browser ---------------------------------------------------------------------------------

# The chat script has drawn a question card and is not waiting for a save.
SETTLED = """() => {
  const card = document.querySelector('[data-role="current"]');
  return Boolean(card.querySelector('form[data-step]')) && !card.hasAttribute('aria-busy');
}"""


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_in_chromium_a_representative_changes_whose_view_for_one_answer(server, browser):
    from playwright.sync_api import expect

    from browser_support import WORKER, shot, yes_lets_start

    server.seed()
    with server.app.app_context():
        made = create_invitation("VIEW-1", 1, "en", "attorney", "Sam", worker=WORKER)
        url = f"{server.base_url}/s/{made.code}"
    context = browser.new_context(
        viewport={"width": 800, "height": 1280}, device_scale_factor=1, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.goto(url)
        chat = page.locator('[data-module="app-chat"]')
        card = page.locator('[data-role="current"]')
        expect(chat).to_have_attribute("data-step", "welcome", timeout=10_000)
        expect(card.locator('form[data-step="welcome"]')).to_be_visible()
        card.get_by_role("button", name="Continue", exact=True).tap()
        yes_lets_start(page)
        expect(chat).to_have_attribute("data-step", "view", timeout=10_000)
        card.locator("label", has_text="What I understand Sam wants").tap()
        card.get_by_role("button", name="Continue", exact=True).tap()
        # On to the first question that asks whose view, answering what comes before it.
        group = card.get_by_role("group", name=LEGEND)
        left = "view"
        for _ in range(6):
            expect(chat).not_to_have_attribute("data-step", left, timeout=10_000)
            page.wait_for_function(SETTLED, timeout=10_000)
            if group.count():
                break
            left = chat.get_attribute("data-step")
            card.locator("label.app-option__label").first.tap()
            card.get_by_role("button", name="Continue", exact=True).tap()
        expect(group).to_be_visible()
        step = chat.get_attribute("data-step")
        own = group.get_by_role("radio", name="My own view", exact=True)
        expect(group.get_by_role("radio", name="What I understand Sam wants")).to_be_checked()
        expect(own).not_to_be_checked()
        # Large enough to tap.
        for label in group.locator("label").all():
            assert label.bounding_box()["height"] >= 44
        group.locator('label[for="view-3"]').tap()  # "My own view"
        expect(own).to_be_checked()
        group.scroll_into_view_if_needed()
        shot(page, "answer-view-tablet")
        if card.locator("textarea").count():
            card.locator("textarea").fill("Sam would want his garden kept")
        elif card.locator('input[name="value"]').count():
            card.locator('label[for^="opt-"]').first.tap()
        card.get_by_role("button", name="Continue", exact=True).tap()
        expect(chat).not_to_have_attribute("data-step", step, timeout=10_000)
        expect(page.locator(".app-saved--saving")).to_have_count(0, timeout=10_000)
        exported = server.export("VIEW-1")["conversations"][0]["answers"]
        views = {a["step"]: a["view"] for a in exported}
        assert views["view"] == "representative_account"
        assert views[step] == "representative_own"
    finally:
        context.close()
