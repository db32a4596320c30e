"""The no-JavaScript path: the start page, the invitation link and one question per plain HTML form.

Covers: opening a conversation by typed code or by link (the code never reaches the address bar, the
title or the HTML), CSRF protection on every POST, a whole Part 1 walked through the forms (progress,
Back with the earlier answer shown again, check your answers, Change, confirm, the closing words,
and the session and code being finished), calm refusals of bad input that change nothing, escaping
of everything typed, and the security headers.

Forms are read from the HTML (``html.parser``), so these tests post what a browser would post.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from conftest import PART1_OPENING, WORKER_EMAIL, ensure_team
from sqlalchemy import select

from app import create_app, db
from app.cases.services import create_invitation
from app.conversation import codes
from app.conversation.messages import error_message, refused_message
from app.models import Answer, Conversation
from config import TestConfig

SCRIPT = "<script>alert(1)</script>"
PRIVATE_NAME = "Sam Doe-Private"
SKIP = object()  # in an answer plan: press "Skip this question"

# -- reading pages ---------------------------------------------------------------------------------


@dataclass
class Form:
    """One <form>: its fields as a browser would send them, its options and its buttons."""

    action: str
    id: str | None = None
    inputs: list[dict] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=list)
    textareas: dict[str, str] = field(default_factory=dict)

    def hidden(self) -> dict[str, str]:
        return {i["name"]: i.get("value", "") for i in self.inputs if i.get("type") == "hidden"}

    def choices(self) -> list[dict]:
        """The radio buttons or checkboxes named ``value``: value, label and whether checked."""
        return [i for i in self.inputs if i.get("type") in ("radio", "checkbox") and i["name"] == "value"]

    def checked(self) -> list[str]:
        return [i["value"] for i in self.choices() if "checked" in i]


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.title = ""
        self.scripts: list[dict] = []
        self.labels: dict[str, str] = {}
        self._open_form: Form | None = None
        self._text_into: tuple[str, object] | None = None  # ("title"|"textarea"|"label"|"button", key)
        self._late_buttons: list[dict] = []  # buttons that name their form with form="..."

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._open_form = Form(action=a.get("action", ""), id=a.get("id"))
            self.forms.append(self._open_form)
        elif tag == "input" and "name" in a and self._open_form is not None:
            self._open_form.inputs.append(a)
        elif tag == "textarea":
            self._open_form.textareas[a["name"]] = ""
            self._text_into = ("textarea", a["name"])
        elif tag == "button":
            button = {**a, "text": ""}
            if "form" in a:
                self._late_buttons.append(button)
            elif self._open_form is not None:
                self._open_form.buttons.append(button)
            self._text_into = ("button", button)
        elif tag == "label" and "for" in a:
            self.labels[a["for"]] = ""
            self._text_into = ("label", a["for"])
        elif tag == "title":
            self._text_into = ("title", None)
        elif tag == "script":
            self.scripts.append(a)

    def handle_endtag(self, tag):
        if tag == "form":
            self._open_form = None
        elif tag in ("textarea", "button", "label", "title"):
            self._text_into = None

    def handle_data(self, data):
        if self._text_into is None:
            return
        where, key = self._text_into
        if where == "title":
            self.title += data
        elif where == "textarea":
            self._open_form.textareas[key] += data
        elif where == "label":
            self.labels[key] += data
        elif where == "button":
            key["text"] += data

    def close(self):
        super().close()
        by_id = {f.id: f for f in self.forms if f.id}
        for button in self._late_buttons:
            by_id[button["form"]].buttons.append(button)
        for form in self.forms:
            for i in form.inputs:
                if "id" in i:
                    i["label"] = " ".join(self.labels.get(i["id"], "").split())


@dataclass
class Page:
    """A response with its HTML read: forms, title, scripts and the visible text."""

    response: object

    def __post_init__(self):
        self.html = self.response.get_data(as_text=True)
        reader = _Reader()
        reader.feed(self.html)
        reader.close()
        self.forms, self.title, self.scripts = reader.forms, reader.title.strip(), reader.scripts
        # Tags dropped and entities decoded: what a person reads (to compare with plain strings).
        self.text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", self.html)).split())

    def form(self, action: str) -> Form | None:
        return next((f for f in self.forms if f.action == action), None)

    @property
    def question(self) -> Form:
        form = self.form("/chat/answer")
        assert form is not None, f"no question on this page: {self.text[:300]}"
        return form

    @property
    def step(self) -> str:
        return self.question.hidden()["step"]

    @property
    def kind(self) -> str:
        return self.question.hidden()["kind"]

    @property
    def progress(self) -> tuple[int, int | None] | None:
        """(question number, total), the total None while the way ahead is not yet known."""
        found = re.search(r"Question (\d+)(?: of (\d+))?", self.text)
        return (int(found[1]), int(found[2]) if found[2] else None) if found else None


def get_chat(client) -> Page:
    """The current question page (a 200, not a redirect)."""
    response = client.get("/chat")
    assert response.status_code == 200, response.headers.get("Location")
    return Page(response)


def token(page: Page) -> str:
    """The CSRF token the page's forms carry (all the same; "Exit this page" needs none)."""
    return next(f.hidden()["csrf_token"] for f in page.forms if "csrf_token" in f.hidden())


def send(client, page: Page, value=None, skip: bool = False, **fields):
    """Post the question form as a browser would: hidden fields, the value(s), and the button."""
    data = {**page.question.hidden(), "action": "skip" if skip else "answer", **fields}
    if value is not None:
        data["value"] = value  # a list becomes repeated ``value`` fields
    return client.post("/chat/answer", data=data)


def default_value(page: Page):
    """An answer a person could give here: the first option, two options, or some words."""
    options = [o["value"] for o in page.question.choices()]
    return {
        "choice": options[0] if options else None,
        "multi": options[:2],
        "text": f"My words about {page.step}",
        "review": "confirm",
    }.get(page.kind)


def begin(client, opening: bool = False) -> Page:
    """Through the opening by hand: Continue at the welcome, then "Yes, let's start" at the
    consent question; return the page that follows. Unless ``opening``, Part 1's person-led
    opening questions (what matters, what they would like to happen) are skipped, as a person may."""
    page = get_chat(client)
    assert page.step == "welcome"
    assert send(client, page).status_code == 302
    page = get_chat(client)
    assert page.step == "consent"
    assert "yes" in [o["value"] for o in page.question.choices()]
    assert send(client, page, "yes").status_code == 302
    page = get_chat(client)
    while not opening and page.step in PART1_OPENING:
        assert send(client, page, skip=True).status_code == 302
        page = get_chat(client)
    return page


def walk_to_review(client, plan: dict) -> list[str]:
    """Answer from ``plan`` (by step; SKIP to skip), else a default, until check your answers.
    "Shall we start?" is answered yes unless ``plan`` says otherwise."""
    plan = {"consent": "yes", **plan}
    steps = []
    for _ in range(60):
        page = get_chat(client)
        if page.kind == "review":
            return steps
        steps.append(page.step)
        value = plan.get(page.step, default_value(page))
        response = send(client, page, None if value is SKIP else value, skip=value is SKIP)
        assert response.status_code == 302, (page.step, Page(response).text[:500])
    raise AssertionError(f"never reached check your answers: {steps}")


def open_link(client, code: str):
    return client.get(f"/s/{code}")


def start_with(client, code: str):
    """Type a code on the start page, with the CSRF token the page gave."""
    page = Page(client.get("/"))
    return client.post("/start", data={"csrf_token": token(page), "code": code})


def stored(app) -> list[tuple[str, object]]:
    """Every answer row committed, oldest first: (step, value)."""
    with app.app_context():
        return [(a.step, a.value) for a in db.session.scalars(select(Answer).order_by(Answer.id))]


def state(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Conversation.state)).one()


def message(app, code: str) -> str:
    """The calm message the app shows for an error code, as the app words it."""
    with app.test_request_context():
        return error_message(code)


def refusal(app) -> str:
    with app.test_request_context():
        return refused_message()


def closing_words(app) -> list[str]:
    """Part 1's closing lines spoken to the person (the 'done' step), from the dialogue itself."""
    dialogue = app.extensions["dialogues"]["part1"]
    return list(dialogue.spec.steps["done"].say)


# -- the start page and the link ------------------------------------------------------------------


def test_start_page_asks_for_the_code(client):
    page = Page(client.get("/"))
    assert page.response.status_code == 200
    form = page.form("/start")
    assert form is not None
    assert any(i["name"] == "code" and i.get("type") == "text" for i in form.inputs)
    assert form.hidden()["csrf_token"]


@pytest.mark.parametrize(
    "make_code",
    [lambda: "NOT-A-CODE", lambda: "", codes.new_code],
    ids=["nonsense", "empty", "well-formed-but-unknown"],
)
def test_a_wrong_code_is_refused_with_the_one_generic_message(app, client, invite, make_code):
    invite()  # a real invitation exists; the typed code is simply not it
    response = start_with(client, make_code())
    assert response.status_code == 400
    # One message whatever the reason, so a refusal tells a guesser nothing.
    assert refusal(app) in Page(response).text
    with client.session_transaction() as session:
        assert "conversation_id" not in session
    assert client.get("/chat").headers["Location"] == "/"


def test_a_good_code_opens_the_chat_without_the_code_in_the_address(app, client, invite):
    code = invite()
    # Typed as a person might: lower case, spaces instead of hyphens.
    response = start_with(client, code.lower().replace("-", " "))
    assert response.status_code == 302
    assert response.headers["Location"] == "/chat"
    assert code not in response.headers["Location"]
    assert get_chat(client).step == "welcome"


def test_the_link_opens_the_chat_and_the_code_and_name_stay_out_of_the_page(client, invite):
    code = invite(name=PRIVATE_NAME)
    response = open_link(client, code)
    assert response.status_code == 302 and response.headers["Location"] == "/chat"

    response = client.get(f"/s/{code}", follow_redirects=True)
    assert response.request.path == "/chat"
    page = Page(response)
    final_url = response.request.url
    for secret in (code, codes.normalise(code), PRIVATE_NAME):
        assert secret not in final_url
        assert secret not in page.title
    # The page's HTML (scripts' data-* included) never carries the code, in any spelling.
    assert code not in page.html and codes.normalise(code) not in page.html
    # The session cookie is signed, not encrypted: it must not hold the code either.
    with client.session_transaction() as session:
        assert code not in repr(dict(session)) and codes.normalise(code) not in repr(dict(session))


def test_an_unusable_link_is_refused(app, client):
    response = open_link(client, codes.new_code())
    assert response.status_code == 404
    assert refusal(app) in Page(response).text
    with client.session_transaction() as session:
        assert "conversation_id" not in session


# -- CSRF ------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, whatever TestConfig says."""
    app = create_app(
        TestConfig,
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'csrf.sqlite3'}",
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(csrf_app):
    client = csrf_app.test_client()
    ensure_team(csrf_app)
    with csrf_app.app_context():
        code = create_invitation("CASE-CSRF", 1, worker=WORKER_EMAIL).code
    open_link(client, code)
    page = get_chat(client)
    assert page.step == "welcome"
    fields = {k: v for k, v in page.question.hidden().items() if k != "csrf_token"}

    # No token, then a made-up one: both refused, nothing stored, nothing moved.
    for forged in ({}, {"csrf_token": "not-the-token"}):
        response = client.post("/chat/answer", data={**fields, **forged, "action": "answer"})
        assert response.status_code == 400
        response = client.post("/chat/back", data=forged)
        assert response.status_code == 400
    assert stored(csrf_app) == []
    assert state(csrf_app) == "welcome"
    assert get_chat(client).step == "welcome"

    # The start page's form is protected too.
    other = csrf_app.test_client()
    assert other.post("/start", data={"code": code}).status_code == 400
    with other.session_transaction() as session:
        assert "conversation_id" not in session

    # With the token the form carries, the same answer goes through.
    response = send(client, page)
    assert response.status_code == 302
    assert stored(csrf_app) == [("welcome", None)]
    assert get_chat(client).step != "welcome"


# -- a whole Part 1 through the forms --------------------------------------------------------------


def test_whole_part1_through_plain_forms(app, client, invite):
    code = invite(name=PRIVATE_NAME)
    open_link(client, code)
    plan = {
        "consent": "yes",
        "who": "self",
        "involve_how": ["meetings", "statement"],
        "involve_help": "Please speak slowly.\r\nAnd not before 10am.",
        "inform_times": SKIP,
        "outcome_words": "I want to feel safe at home",
    }
    asked, progress = [], []
    went_back = set()
    page = get_chat(client)
    assert page.progress is None  # the welcome is not a question, so it is not counted

    for _ in range(60):
        page = get_chat(client)
        if page.kind == "review":
            break
        step = page.step
        if page.progress:
            progress.append(page.progress)
        value = plan.get(step, default_value(page))
        assert send(client, page, None if value is SKIP else value, skip=value is SKIP).status_code == 302
        asked.append(step)

        # Back, once each from a multi and a text question: the earlier answer is there again.
        if step in ("involve_how", "involve_help") and step not in went_back:
            went_back.add(step)
            after = get_chat(client)
            assert any(f.action == "/chat/back" for f in after.forms)
            response = client.post("/chat/back", data={"csrf_token": token(after)})
            assert response.status_code == 302 and response.headers["Location"] == "/chat"
            again = get_chat(client)
            assert again.step == step
            assert again.progress == progress[-1]
            if again.kind == "multi":
                assert again.question.checked() == value
            else:
                # The text is shown again as given (line breaks compared as a browser sends them).
                shown = again.question.textareas["value"]
                assert shown.replace("\r\n", "\n") == value.replace("\r\n", "\n")
            # Continue from the pre-filled form, as a person pressing Continue would.
            resent = value if again.kind == "multi" else again.question.textareas["value"]
            assert send(client, again, resent).status_code == 302
    else:
        raise AssertionError(f"never reached check your answers: {asked}")

    assert set(plan) <= set(asked) and went_back == {"involve_how", "involve_help"}

    # Progress counts each question once, in order, and the last one is "M of M".
    numbers = [n for n, _ in progress]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(n <= m for n, m in progress if m is not None)
    assert progress[-1][0] == progress[-1][1]
    # A total once shown never shrinks.
    totals = [m for _, m in progress if m is not None]
    assert totals == sorted(totals)

    # Check your answers: every question asked is listed with a Change button.
    review = get_chat(client)
    assert review.kind == "review"
    change_form = review.form("/chat/change")
    assert change_form is not None
    changes = [b["value"] for b in change_form.buttons if b.get("name") == "step"]
    questions = [s for s in asked if s not in ("welcome", "consent")]  # consent is not changed here
    assert changes == questions
    assert all("Change" in b["text"] for b in change_form.buttons)
    assert "I want to feel safe at home" in review.text
    assert "Skipped" in review.text  # inform_times was skipped

    # Change one answer: it opens pre-filled, and answering it comes back here. Not "Shall we
    # start?" or "who": another answer to those changes the way on, not only the answer.
    choice_step = next(s for s in questions if s not in ("consent", "who") and s in _choice_steps(app))
    response = client.post("/chat/change", data={"csrf_token": token(review), "step": choice_step})
    assert response.status_code == 302
    changing = get_chat(client)
    assert changing.step == choice_step
    old = changing.question.checked()
    assert len(old) == 1
    new = next(o for o in changing.question.choices() if o["value"] != old[0])
    assert send(client, changing, new["value"]).status_code == 302
    back_at_review = get_chat(client)
    assert back_at_review.kind == "review"
    assert new["label"] in back_at_review.text
    # Rows are oldest first, so the dict keeps the latest answer per step.
    assert dict(stored(app))[choice_step] == new["value"]

    # Confirm: the finished page with the closing words.
    response = send(client, back_at_review, "confirm")
    assert response.status_code == 302
    finished = client.get("/chat")
    assert finished.status_code == 200
    assert "no-store" in finished.headers["Cache-Control"]
    text = Page(finished).text
    assert "Your answers are saved" in text
    for line in closing_words(app):
        assert line in text
    assert Page(finished).form("/chat/answer") is None

    # The session is cleared: the conversation is no longer shown, and the code no longer opens it.
    with client.session_transaction() as session:
        assert "conversation_id" not in session
    assert client.get("/chat").headers["Location"] == "/"
    response = start_with(client, code)
    assert response.status_code == 400 and refusal(app) in Page(response).text
    assert open_link(client, code).status_code == 404
    # The old page's form, posted again after the end, stores nothing (its session is gone).
    before = stored(app)
    assert send(client, back_at_review, "confirm", id="after-the-end").status_code in (302, 400)
    assert stored(app) == before


def _choice_steps(app) -> set[str]:
    dialogue = app.extensions["dialogues"]["part1"]
    return {s.id for s in dialogue.spec.steps.values() if s.kind == "choice" and s.options}


# -- bad input -------------------------------------------------------------------------------------


def to_step(client, kind: str) -> Page:
    """Answer with defaults until a question of this kind is current."""
    for _ in range(30):
        page = get_chat(client)
        if page.kind == kind:
            return page
        value = {"consent": "yes", "who": "self"}.get(page.step, default_value(page))
        assert send(client, page, value).status_code == 302
    raise AssertionError(f"no {kind} question reached")


def assert_refused_calmly(app, client, page: Page, response, code: str):
    """A 400 with the calm message on the same question; nothing stored, nothing moved."""
    assert response.status_code == 400
    shown = Page(response)
    assert message(app, code) in shown.text
    assert "There is a problem" in shown.text
    assert shown.step == page.step
    assert get_chat(client).step == page.step


def test_an_option_not_offered_is_refused_and_changes_nothing(app, client, invite):
    open_link(client, invite())
    page = to_step(client, "choice")
    before = stored(app)
    assert_refused_calmly(app, client, page, send(client, page, "not-an-option"), "not_an_option")

    page = to_step(client, "multi")
    offered = [o["value"] for o in page.question.choices()]
    response = send(client, page, [offered[0], "not-an-option"])
    assert_refused_calmly(app, client, page, response, "not_an_option")
    # Only the good answers on the way are stored: "Shall we start?" (where "not-an-option" was
    # refused), who, and the two questions in the person's own words before the first menu.
    assert stored(app)[len(before) :] == [
        ("consent", "yes"),
        ("who", "self"),
        ("matters", "My words about matters"),
        ("outcome_words", "My words about outcome_words"),
    ]


def test_a_required_question_cannot_be_skipped(app, client, invite):
    open_link(client, invite())
    page = to_step(client, "choice")
    assert page.step == "consent"  # "Shall we start?" must be answered: nothing is asked until yes
    before = stored(app)
    assert_refused_calmly(app, client, page, send(client, page, skip=True), "required")
    assert stored(app) == before
    assert send(client, page, "yes").status_code == 302
    page = get_chat(client)
    assert page.step == "who"  # 'who' must be answered: the route depends on it
    before = stored(app)
    assert_refused_calmly(app, client, page, send(client, page, skip=True), "required")
    assert stored(app) == before


def test_text_longer_than_the_limit_is_refused_and_the_limit_itself_is_accepted(app, client, invite):
    open_link(client, invite())
    page = to_step(client, "text")
    limit = app.config["MAX_TEXT_LENGTH"]
    assert limit == 2000
    before = stored(app)
    response = send(client, page, "a" * (limit + 1))
    assert_refused_calmly(app, client, page, response, "too_long")
    assert str(limit) in Page(response).text
    assert stored(app) == before

    assert send(client, get_chat(client), "a" * limit).status_code == 302
    assert stored(app)[-1] == (page.step, "a" * limit)


def test_line_breaks_count_once_toward_the_limit(app, client, invite):
    # A browser sends each line break in a textarea as CRLF, but its maxlength (and a person) counts
    # it as one character: 2000 characters typed with line breaks must not be refused as too long.
    open_link(client, invite())
    page = to_step(client, "text")
    typed = "\n".join(["x" * 99] * 20) + "x"  # 20 lines, 19 line breaks: 2000 characters as typed
    assert len(typed) == app.config["MAX_TEXT_LENGTH"] == 2000
    response = send(client, page, typed.replace("\n", "\r\n"))
    assert response.status_code == 302, Page(response).text.partition("There is a problem")[2][:120]


def test_a_step_that_is_not_current_changes_nothing(app, client, invite):
    open_link(client, invite())
    page = get_chat(client)
    assert page.step == "welcome"
    # A stale or forged form for a later question: nothing is stored, the person is told calmly
    # and sees the question they are really on.
    response = send(client, page, ["meetings"], step="involve_how", kind="multi")
    assert response.status_code == 409
    assert message(app, "not_current") in Page(response).text
    assert Page(response).step == "welcome"
    assert stored(app) == []
    assert state(app) == "welcome"
    assert get_chat(client).step == "welcome"


def test_a_change_request_not_from_check_your_answers_changes_nothing(app, client, invite):
    open_link(client, invite())
    page = to_step(client, "multi")
    response = client.post("/chat/change", data={"csrf_token": token(page), "step": "who"})
    assert response.status_code == 302
    assert get_chat(client).step == page.step


# -- escaping --------------------------------------------------------------------------------------


def test_everything_typed_is_shown_escaped(client, invite):
    open_link(client, invite())
    page = to_step(client, "text")
    assert send(client, page, SCRIPT).status_code == 302

    # The next page's conversation log, then the check page, then the question opened to change it.
    pages = [get_chat(client)]
    walk_to_review(client, {"who": "self", "outcome_words": "To be safe " + SCRIPT})
    review = get_chat(client)
    pages.append(review)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in review.html
    response = client.post("/chat/change", data={"csrf_token": token(review), "step": page.step})
    assert response.status_code == 302
    reopened = get_chat(client)
    assert reopened.question.textareas["value"] == SCRIPT
    pages.append(reopened)

    for shown in pages:
        assert "<script>alert" not in shown.html
        assert SCRIPT in shown.text  # it is there, as words
        assert all("src" in s for s in shown.scripts)  # no script but the app's own files


# -- headers ---------------------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def test_the_chat_page_has_the_security_headers(client, invite):
    open_link(client, invite())
    response = client.get("/chat")
    assert response.status_code == 200
    headers = response.headers
    assert "no-store" in headers["Cache-Control"]
    csp = csp_directives(headers["Content-Security-Policy"])
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts is not None
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert csp.get("frame-ancestors") == ["'none'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"

    # The policy would block inline script and handlers, so the page must not rely on any.
    page = Page(response)
    assert page.scripts and all(s.get("src") for s in page.scripts)
    assert not re.search(r"\son[a-z]+\s*=", page.html)


@pytest.mark.parametrize("path", ["/", "/chat"])
def test_no_page_is_kept_in_a_cache(client, invite, path):
    open_link(client, invite())
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_the_address_bar_is_just_chat(client, invite):
    # Every redirect the forms produce goes to a bare path: no code, no answer in any URL.
    code = invite()
    opened = open_link(client, code)
    answered = send(client, get_chat(client))
    for response in (opened, answered):
        location = urlsplit(response.headers["Location"])
        assert location.path == "/chat" and not location.query
