"""The person's side in a real browser: Debian's Chromium through Playwright, against a real server.

Run with ``pytest tests/test_browser.py -q``. Screenshots go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
from browser_support import (  # noqa: E402
    CHROMIUM,
    Server,
    launch_chromium,
    no_horizontal_scroll,
    shot,
)

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

TABLET_PORTRAIT = {"width": 800, "height": 1280}
TABLET_LANDSCAPE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

TYPED_OUTCOME = """I want to feel safe at home <b>&"'</b>"""
SAVED = "✓ Saved"


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server (threads and WebSockets) on its own SQLite file for this module."""
    srv = Server(tmp_path_factory.mktemp("browser-server"))
    srv.invite("BR-0")  # the database exists and works before the server starts
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(server):
    with playwright_api.sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


def _context(browser, viewport, touch=True, **kwargs):
    return browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=touch,
        has_touch=touch,
        **kwargs,
    )


@pytest.fixture
def page_errors():
    """Every JavaScript error and Content-Security-Policy complaint a page reports."""
    return []


def _watch(page, errors):
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )


# -- driving the chat ------------------------------------------------------------------------------


def chat(page):
    return page.locator('[data-module="app-chat"]')


def card(page):
    return page.locator('[data-role="current"]')


def wait_step(page, step, timeout=10_000):
    expect(chat(page)).to_have_attribute("data-step", step, timeout=timeout)
    # the question the script drew (not the server's first page)
    expect(card(page).locator(f'form[data-step="{step}"]')).to_be_visible(timeout=timeout)


def heading(page):
    return card(page).locator("h1")


def tap_option(page, label):
    card(page).locator(
        "label.app-option__label", has_text=re.compile("^" + re.escape(label) + "$")
    ).tap()


def tap_button(page, name):
    card(page).get_by_role("button", name=name, exact=True).tap()


def type_answer(page, text):
    box = card(page).locator("textarea")
    box.tap()
    box.fill("")
    box.press_sequentially(text, delay=5)


def wait_all_saved(page):
    expect(page.locator(".app-saved--saving")).to_have_count(0, timeout=10_000)


def assert_focus_on_heading(page):
    page.wait_for_function(
        "() => { const h = document.querySelector('[data-role=current] h1');"
        " return h && document.activeElement === h; }",
        timeout=5_000,
    )


# -- a. the whole of Part 1 on a tablet held upright ----------------------------------------------


def test_part1_on_tablet_portrait(server, browser, page_errors):
    invitation = server.invite("BR-1", part=1, name="Sam")
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        expect(page).to_have_url(re.compile(r"/chat$"))
        assert invitation["code"] not in page.url  # the code leaves the address bar
        wait_step(page, "welcome")
        expect(heading(page)).to_have_text("Hello. Thank you for talking with us.")
        assert page.evaluate("document.documentElement.classList.contains('app-js')")
        shot(page, "tablet-portrait-01-welcome")
        tap_button(page, "Continue")

        wait_step(page, "who")
        assert_focus_on_heading(page)
        expect(heading(page)).to_have_text("Who is answering these questions?")
        tap_option(page, "I am answering for myself")
        # choosing does not send: people who mis-tap can still change their mind
        page.wait_for_timeout(300)
        expect(chat(page)).to_have_attribute("data-step", "who")
        shot(page, "tablet-portrait-02-choice")
        tap_button(page, "Continue")

        wait_step(page, "involve_how")
        expect(page.locator(".app-chat__log")).to_contain_text("I am answering for myself")
        expect(card(page).locator(".app-progress__text")).to_contain_text(
            re.compile(r"Question \d+ of \d+")
        )
        tap_option(page, "Not go to meetings, but be kept informed")
        tap_option(page, "Not sure yet")
        shot(page, "tablet-portrait-03-multi")
        tap_button(page, "Continue")

        wait_step(page, "involve_help")
        type_answer(page, "Large print letters, please")
        shot(page, "tablet-portrait-04-text")
        tap_button(page, "Continue")

        # Back once, and change the answer to the question before
        wait_step(page, "inform_how")
        tap_button(page, "Back")
        wait_step(page, "involve_help")
        assert_focus_on_heading(page)
        expect(card(page).locator("textarea")).to_have_value("Large print letters, please")
        # the answer being changed is not shown twice in the log
        expect(page.locator('.app-chat__pair[data-step="involve_help"]')).to_have_count(0)
        type_answer(page, "Letters in large print, please")
        tap_button(page, "Continue")

        wait_step(page, "inform_how")
        tap_option(page, "Phone call")
        tap_option(page, "Letter")
        tap_button(page, "Continue")

        wait_step(page, "inform_often")
        tap_option(page, "About once a week")
        tap_button(page, "Continue")

        wait_step(page, "inform_times")
        tap_button(page, "Skip this question")
        wait_step(page, "inform_unsafe")
        tap_button(page, "Skip this question")

        wait_step(page, "comm_needs")
        tap_option(page, "Large print")
        tap_button(page, "Continue")

        wait_step(page, "comm_needs_more")
        tap_button(page, "Skip this question")

        wait_step(page, "people_involved")
        type_answer(page, "My daughter, Jo")
        tap_button(page, "Continue")

        wait_step(page, "people_not_told")
        tap_button(page, "Skip this question")

        wait_step(page, "outcome_words")
        type_answer(page, TYPED_OUTCOME)
        tap_button(page, "Continue")

        wait_step(page, "outcome_choices")
        tap_option(page, "To feel safe")
        tap_option(page, "For the harm to stop")
        tap_button(page, "Continue")

        wait_step(page, "safe_what")
        tap_button(page, "Skip this question")

        wait_step(page, "outcome_most")
        expect(heading(page)).to_have_text("Which of these matters most to you?")
        # the person's own words are offered back as plain text, never as markup
        expect(card(page).locator("label.app-option__label").first).to_have_text(TYPED_OUTCOME)
        tap_option(page, "For the harm to stop")
        tap_button(page, "Continue")

        wait_step(page, "check")
        wait_all_saved(page)
        expect(heading(page)).to_have_text("Check your answers")
        summary = card(page).locator(".app-summary")
        expect(summary).to_contain_text(TYPED_OUTCOME)
        expect(summary).to_contain_text("Letters in large print, please")
        expect(summary).to_contain_text("About once a week")
        shot(page, "tablet-portrait-05-check-answers")
        shot(page, "tablet-portrait-05-check-answers-full", full_page=True)

        # Change one answer from the list, then come back to it
        card(page).get_by_role(
            "button", name="Change How often would you like to hear from us?"
        ).tap()
        wait_step(page, "inform_often")
        expect(card(page).get_by_label("About once a week")).to_be_checked()
        tap_option(page, "Only when something changes")
        tap_button(page, "Continue")
        wait_step(page, "check")
        expect(card(page).locator(".app-summary")).to_contain_text("Only when something changes")
        expect(card(page).locator(".app-summary")).not_to_contain_text("About once a week")

        # Every answer given shows as saved; the typed text is text, not markup
        log = page.locator(".app-chat__log")
        wait_all_saved(page)
        assert log.locator(".app-saved", has_text=SAVED).count() >= 14
        assert log.locator("b").count() == 0
        typed = log.locator('.app-chat__pair[data-step="outcome_words"] bdi')
        expect(typed).to_have_text(TYPED_OUTCOME)
        expect(log.locator('.app-chat__pair[data-step="inform_often"]')).to_have_count(1)
        expect(log.locator('.app-chat__pair[data-step="inform_often"]')).to_contain_text(
            "Only when something changes"
        )
        assert no_horizontal_scroll(page)

        tap_button(page, "Send my answers")
        expect(page.locator(".app-panel__title")).to_have_text(
            "Your answers are saved", timeout=10_000
        )
        expect(card(page)).to_contain_text("Thank you. Your answers are saved.")
        expect(card(page)).to_contain_text("If you are in danger now, call 999.")
        expect(card(page).locator("form")).to_have_count(0)
        expect(chat(page)).to_have_attribute("data-finished", "true")
        assert_focus_on_heading(page)
        # once finished, nothing the person said is left on the screen
        expect(log).to_be_hidden()
        expect(page.locator("body")).not_to_contain_text(TYPED_OUTCOME)
        shot(page, "tablet-portrait-06-closing")
        # the socket is closed: a reload shows the finished page, not the questions
        page.wait_for_timeout(300)
        page.reload()
        expect(page.locator(".app-panel__title")).to_have_text("Your answers are saved")
        expect(page.locator("form")).to_have_count(0)
        assert not page_errors, page_errors
    finally:
        context.close()

    # What the worker will read: the answers, the typed text exactly as typed
    exported = server.export("BR-1")
    [conversation] = exported["conversations"]
    assert conversation["finished_at"] is not None
    assert conversation["respondent"] == "self"
    answers = {a["step"]: a["value"] for a in conversation["answers"]}
    every = {
        a["step"]: a["value"] for a in conversation["earlier_answers"] + conversation["answers"]
    }
    assert every["who"] == "self"
    assert answers["outcome_words"] == TYPED_OUTCOME
    assert answers["involve_help"] == "Letters in large print, please"
    assert answers["involve_how"] == ["informed_only", "not_sure"]
    assert answers["inform_how"] == ["phone", "letter"]
    assert answers["inform_often"] == "when_changes"
    assert answers["outcome_choices"] == ["feel_safe", "harm_stops"]
    assert answers["outcome_most"] == "harm_stops"
    assert answers["people_involved"] == "My daughter, Jo"
    assert answers["inform_times"] is None  # skipped
    earlier = {(a["step"], str(a["value"])) for a in conversation["earlier_answers"]}
    assert ("involve_help", "Large print letters, please") in earlier
    assert ("inform_often", "weekly") in earlier


# -- b. a phone, and a tablet on its side ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("phone", PHONE), ("tablet-landscape", TABLET_LANDSCAPE)],
)
def test_layout_fits(server, browser, page_errors, name, viewport):
    invitation = server.invite(f"BR-{name}", part=1)
    context = _context(browser, viewport)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        assert no_horizontal_scroll(page)
        shot(page, f"{name}-01-welcome")
        tap_button(page, "Continue")

        wait_step(page, "who")
        tap_option(page, "I am answering for myself")
        tap_button(page, "Continue")

        wait_step(page, "involve_how")
        tap_option(page, "Go to meetings about the enquiry")
        tap_option(page, "Hold meetings in a local community venue")
        shot(page, f"{name}-02-multi")
        tap_button(page, "Continue")

        wait_step(page, "involve_help")
        type_answer(page, "A quiet room, and time to think")
        tap_button(page, "Continue")

        wait_step(page, "inform_how")
        wait_all_saved(page)
        assert page.locator(".app-saved", has_text=SAVED).count() == 3
        assert no_horizontal_scroll(page)
        shot(page, f"{name}-03-after-answers")
        shot(page, f"{name}-03-after-answers-full", full_page=True)

        heights = (
            card(page)
            .locator(".app-option__label")
            .evaluate_all("labels => labels.map(l => l.getBoundingClientRect().height)")
        )
        assert heights and min(heights) >= 44, heights
        for button in card(page).get_by_role("button").all():
            assert button.bounding_box()["height"] >= 44, button.inner_text()
        assert not page_errors, page_errors
    finally:
        context.close()


# -- c. no JavaScript: the plain form still works -------------------------------------------------


def test_without_javascript(server, browser):
    invitation = server.invite("BR-nojs", part=1)
    context = _context(browser, TABLET_PORTRAIT, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        expect(page.locator("html")).to_have_class(re.compile(r"\bapp-no-js\b"))
        form = page.locator('form[data-role="question"]')
        expect(form.locator('input[name="step"]')).to_have_value("welcome")
        page.get_by_role("button", name="Continue", exact=True).click()

        expect(form.locator('input[name="step"]')).to_have_value("who")
        expect(page.locator("h1")).to_have_text("Who is answering these questions?")
        # sending nothing gives a calm error on the page
        page.get_by_role("button", name="Continue", exact=True).click()
        expect(page.locator(".app-error-summary")).to_contain_text("Please answer this question")
        shot(page, "no-js-01-error")

        page.get_by_label("I am answering for myself").check()
        page.get_by_role("button", name="Continue", exact=True).click()
        expect(form.locator('input[name="step"]')).to_have_value("involve_how")
        shot(page, "no-js-02-next-question")

        page.get_by_label("Not sure yet").check()
        page.get_by_role("button", name="Continue", exact=True).click()
        expect(form.locator('input[name="step"]')).to_have_value("involve_help")
        expect(page.locator(".app-chat__log")).to_contain_text("Not sure yet")
        expect(page.locator(".app-chat__log .app-saved").last).to_have_text(SAVED)
        shot(page, "no-js-03-text-question")
    finally:
        context.close()
    conversation = server.export("BR-nojs")["conversations"][0]
    stored = conversation["earlier_answers"] + conversation["answers"]
    values = {a["step"]: a["value"] for a in stored}
    assert values["who"] == "self"
    assert values["involve_how"] == ["not_sure"]


# -- d. problems, calmly: a refused answer, a lost connection, a code that cannot be used -------


def test_error_message_and_keyboard(server, browser, page_errors):
    invitation = server.invite("BR-keys", part=1)
    context = _context(browser, TABLET_LANDSCAPE, touch=False)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        page.keyboard.press("Tab")  # the skip link comes first
        expect(page.locator(".app-skip-link")).to_be_focused()
        card(page).get_by_role("button", name="Continue").focus()
        page.keyboard.press("Enter")

        wait_step(page, "who")
        assert_focus_on_heading(page)
        # Continue with nothing chosen: the server's calm message, beside the question
        card(page).get_by_role("button", name="Continue").click()
        alert = card(page).get_by_role("alert")
        expect(alert).to_have_text("Please answer this question to carry on.")
        expect(chat(page)).to_have_attribute("data-step", "who")
        expect(page.locator('.app-chat__pair[data-step="who"]')).to_have_count(0)
        shot(page, "tablet-landscape-04-error")

        # keyboard only: from the heading, Tab to the options, Space to choose, Enter to send
        heading(page).focus()
        page.keyboard.press("Tab")
        expect(card(page).get_by_label("I am answering for myself")).to_be_focused()
        page.keyboard.press("Space")
        expect(card(page).get_by_label("I am answering for myself")).to_be_checked()
        page.keyboard.press("Tab")
        expect(card(page).get_by_role("button", name="Continue")).to_be_focused()
        page.keyboard.press("Enter")
        wait_step(page, "involve_how")
        expect(card(page).get_by_role("alert")).to_have_count(0)
        assert_focus_on_heading(page)
        assert not page_errors, page_errors
    finally:
        context.close()


@pytest.fixture
def own_server(tmp_path):
    """A server of its own, for a test that stops and starts it."""
    srv = Server(tmp_path)
    srv.invite("BR-INIT")
    srv.start()
    yield srv
    srv.stop()


def test_answer_kept_while_reconnecting(own_server, browser):
    invitation = own_server.invite("BR-net", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        tap_button(page, "Continue")
        wait_step(page, "who")
        tap_option(page, "I am answering for myself")
        tap_button(page, "Continue")
        wait_step(page, "involve_how")

        own_server.stop()  # the connection drops (a tablet going to sleep, a lost signal)
        status = page.locator('[data-role="status"]')
        expect(status).to_have_text("Reconnecting… your saved answers are safe.", timeout=15_000)
        tap_option(page, "Not sure yet")
        tap_button(page, "Continue")
        pending = page.locator('.app-chat__pair[data-step="involve_how"] .app-saved')
        expect(pending).to_have_text("Saving…")
        shot(page, "tablet-portrait-07-reconnecting")

        own_server.start()  # same port, same database
        wait_step(page, "involve_help", timeout=30_000)
        expect(pending).to_have_text(SAVED)
        expect(status).to_have_text("")
        expect(page.locator('.app-chat__pair[data-step="involve_how"]')).to_have_count(1)
    finally:
        context.close()
    answers = own_server.export("BR-net")["conversations"][0]["answers"]
    assert [a["value"] for a in answers if a["step"] == "involve_how"] == [["not_sure"]]


def test_code_that_cannot_be_used(server, browser):
    invitation = server.invite("BR-refused", part=1)
    context = _context(browser, PHONE)
    page = context.new_page()
    try:
        page.goto(invitation["url"])  # the session is open
        wait_step(page, "welcome")
        server.revoke_all()  # the worker withdraws the invitation while the page is open
        tap_button(page, "Continue")
        notice = card(page).locator('[data-role="refused"]')
        expect(notice).to_contain_text("cannot be continued")
        expect(notice).to_have_attribute("role", "alert")
        expect(card(page).locator("form")).to_have_count(0)
        shot(page, "phone-04-refused")
        page.reload()  # and the page itself now says the link cannot be used
        expect(page.locator("body")).to_contain_text("This link or code cannot be used")
    finally:
        context.close()
