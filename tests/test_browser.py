"""The person's side in a real browser: Debian's Chromium through Playwright, against a real server.

Run with ``pytest tests/test_browser.py -q``. Screenshots go to tests/artifacts/ (gitignored).

Covers the whole of Part 1 on a tablet, phones and tablets on their side, the plain forms without
JavaScript, calm problems, and (issue 3) languages and right-to-left, reading settings, read aloud,
"Exit this page", "I need help now" and the idle warning. Accessibility checks with axe-core, target
sizes and a keyboard-only run are in test_browser_access.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest

from browser_support import (  # noqa: E402
    CHROMIUM,
    EXIT_URL,
    PART1_OPENING,
    Server,
    neutral_exit_page,
    no_horizontal_scroll,
    shot,
    skip_opening,
    yes_lets_start,
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


# ``server`` (tests/conftest.py): the session's real server, emptied before each test.


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
        lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
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
    card(page).locator("label.app-option__label", has_text=re.compile("^" + re.escape(label) + "$")).tap()


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

        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        assert_focus_on_heading(page)
        expect(heading(page)).to_have_text("Who is answering these questions?")
        tap_option(page, "I am answering for myself")
        # choosing does not send: people who mis-tap can still change their mind
        page.wait_for_timeout(300)
        expect(chat(page)).to_have_attribute("data-step", "who")
        shot(page, "tablet-portrait-02-choice")
        tap_button(page, "Continue")

        # Person-led: first what matters to them, then what they would like to happen
        wait_step(page, "matters")
        expect(page.locator(".app-chat__log")).to_contain_text("I am answering for myself")
        # "Question 3" and, while answers to come can change the way, "12 or more questions left".
        expect(card(page).locator(".app-progress__text")).to_contain_text(re.compile(r"Question \d+\b"))
        type_answer(page, "My cat, and my flat")
        tap_button(page, "Continue")

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

        wait_step(page, "involve_how")
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

        wait_step(page, "with_you")
        tap_option(page, "Nobody. I answered on my own")
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
        card(page).get_by_role("button", name="Change How often would you like to hear from us?").tap()
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
        assert log.locator(".app-saved", has_text=SAVED).count() >= 15  # one more: "Shall we start?"
        assert log.locator("b").count() == 0
        typed = log.locator('.app-chat__pair[data-step="outcome_words"] bdi')
        expect(typed).to_have_text(TYPED_OUTCOME)
        expect(log.locator('.app-chat__pair[data-step="inform_often"]')).to_have_count(1)
        expect(log.locator('.app-chat__pair[data-step="inform_often"]')).to_contain_text(
            "Only when something changes"
        )
        assert no_horizontal_scroll(page)

        tap_button(page, "Send my answers")
        expect(page.locator(".app-panel__title")).to_have_text("Your answers are saved", timeout=10_000)
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
        expect(page.locator("main form")).to_have_count(0)  # only the header's Exit and Help
        assert not page_errors, page_errors
    finally:
        context.close()

    # What the worker will read: the answers, the typed text exactly as typed
    exported = server.export("BR-1")
    [conversation] = exported["conversations"]
    assert conversation["finished_at"] is not None
    assert conversation["respondent"] == "self"
    answers = {a["step"]: a["value"] for a in conversation["answers"]}
    every = {a["step"]: a["value"] for a in conversation["earlier_answers"] + conversation["answers"]}
    assert every["who"] == "self"
    assert answers["outcome_words"] == TYPED_OUTCOME
    assert answers["involve_help"] == "Letters in large print, please"
    assert answers["involve_how"] == ["informed_only", "not_sure"]
    assert answers["inform_how"] == ["phone", "letter"]
    assert answers["inform_often"] == "when_changes"
    assert answers["outcome_choices"] == ["feel_safe", "harm_stops"]
    assert answers["outcome_most"] == "harm_stops"
    assert answers["people_involved"] == "My daughter, Jo"
    assert answers["matters"] == "My cat, and my flat"
    assert answers["with_you"] == "nobody"
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

        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        tap_option(page, "I am answering for myself")
        tap_button(page, "Continue")

        skip_opening(page)
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
        # consent ("Yes, let's start"), who, the four opening questions (skipped), involve_how and
        # involve_help
        assert page.locator(".app-saved", has_text=SAVED).count() == 8
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

        yes_lets_start(page, live=False)  # "Shall we start?", on the plain form
        expect(form.locator('input[name="step"]')).to_have_value("who")
        expect(page.locator("h1")).to_have_text("Who is answering these questions?")
        # sending nothing gives a calm error on the page
        page.get_by_role("button", name="Continue", exact=True).click()
        expect(page.locator(".app-error-summary")).to_contain_text("Please answer this question")
        shot(page, "no-js-01-error")

        page.get_by_label("I am answering for myself", exact=True).check()
        page.get_by_role("button", name="Continue", exact=True).click()
        expect(form.locator('input[name="step"]')).to_have_value("matters")
        shot(page, "no-js-02-next-question")
        # the person-led opening may be skipped, one question at a time, on the plain form too
        for step in PART1_OPENING:
            expect(form.locator('input[name="step"]')).to_have_value(step)
            page.get_by_role("button", name="Skip this question", exact=True).click()
        expect(form.locator('input[name="step"]')).to_have_value("involve_how")

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

        yes_lets_start(page)  # "Shall we start?"
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
        expect(card(page).get_by_label("I am answering for myself", exact=True)).to_be_focused()
        page.keyboard.press("Space")
        expect(card(page).get_by_label("I am answering for myself", exact=True)).to_be_checked()
        page.keyboard.press("Tab")
        expect(card(page).get_by_role("button", name="Continue")).to_be_focused()
        page.keyboard.press("Enter")
        skip_opening(page)
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
    srv.invite("BR-INIT")  # the database exists and works before the server starts
    srv.start()
    yield srv
    srv.close()


def open_as_myself(page, url):
    """Open the invitation, carry on past the welcome, say "Yes, let's start", answer for oneself,
    skip the opening questions in one's own words: at "involve_how"."""
    page.goto(url)
    wait_step(page, "welcome")
    tap_button(page, "Continue")
    yes_lets_start(page)  # "Shall we start?"
    wait_step(page, "who")
    tap_option(page, "I am answering for myself")
    tap_button(page, "Continue")
    skip_opening(page)
    wait_step(page, "involve_how")


def test_answer_kept_while_reconnecting(own_server, browser):
    invitation = own_server.invite("BR-net", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    try:
        open_as_myself(page, invitation["url"])

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


def test_an_answer_refused_while_the_database_is_held_stays_typed_and_is_saved_on_retry(own_server, browser):
    """Overload or a long write elsewhere: the server answers "unavailable" within a second. What
    the person typed stays in the box, the page says so calmly, and sending again saves it once."""
    from test_serving import WriteLock

    invitation = own_server.invite("BR-busy", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    words = "Large print letters, please"
    try:
        open_as_myself(page, invitation["url"])
        tap_option(page, "Not sure yet")
        tap_button(page, "Continue")
        wait_step(page, "involve_help")
        type_answer(page, words)
        with WriteLock(own_server):
            tap_button(page, "Continue")
            expect(card(page)).to_contain_text("We could not save that just now.", timeout=5_000)
        wait_step(page, "involve_help")  # still here
        expect(card(page).locator("textarea")).to_have_value(words)  # nothing typed is lost
        shot(page, "tablet-portrait-08-unavailable")
        tap_button(page, "Continue")
        wait_step(page, "inform_how")
        wait_all_saved(page)
    finally:
        context.close()
    answers = own_server.export("BR-busy")["conversations"][0]["answers"]
    assert [a["value"] for a in answers if a["step"] == "involve_help"] == [words]


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


# -- e. languages: the picker, changing at any moment, right to left -------------------------------


def current(page):
    return page.locator('[data-role="current"]')


def tap_value(page, value):
    """Tap the option with this value (whatever its words in the page's language)."""
    option = card(page).locator(f'input[name="value"][value="{value}"]')
    card(page).locator(f'label[for="{option.get_attribute("id")}"]').tap()


def tap_continue(page):
    card(page).locator('form[data-role="question"] button[type="submit"]').tap()


def page_html(page, path="/chat"):
    """The page as the server sends it now, with this browser's cookies (no JavaScript involved)."""
    origin = re.match(r"https?://[^/]+", page.url)[0]
    return page.request.get(origin + path).text()


def server_words(page, selector_class):
    """What the server itself writes in an element with this class, for this browser's session."""
    html = page_html(page)
    found = re.search(rf'class="{selector_class}"[^>]*>([^<]+)<', html)
    return found[1].strip() if found else None


# A record of every change to the log: whether the live region was silenced when it happened.
LOG_WATCH = """
window.__logChanges = [];
document.addEventListener('DOMContentLoaded', () => {
  const log = document.querySelector('[data-role=log]');
  if (!log) return;
  const region = log.closest('[role=log]');
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type !== 'childList' || r.target !== log) continue;
      window.__logChanges.push({added: r.addedNodes.length, removed: r.removedNodes.length,
        live: region.getAttribute('aria-live'), busy: region.getAttribute('aria-busy')});
    }
  }).observe(log, {childList: true});
});
"""


def test_language_picker_and_changing_language_at_any_moment(server, browser, page_errors):
    invitation = server.invite("BR-lang", part=1, name=None)
    context = _context(browser, TABLET_PORTRAIT)
    context.add_init_script(LOG_WATCH)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        # The first screen offers every language in its own name and script.
        picker = page.locator('[data-role="first-language"]')
        expect(picker).to_be_visible()
        expect(picker.locator('button[name="lang"]')).to_have_count(7)
        expect(picker.locator('button[lang="cy"]')).to_have_text("Cymraeg")
        expect(picker.locator('button[lang="pa"]')).to_have_text("ਪੰਜਾਬੀ")
        expect(picker.locator('button[lang="ur"]')).to_have_attribute("dir", "rtl")
        expect(picker.locator('button[lang="ar"]')).to_have_text("العربية")
        expect(picker.locator('button[lang="en"]')).to_have_attribute("aria-current", "true")

        picker.locator('button[lang="cy"]').tap()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.locator("#first-lang-cy")).to_have_attribute("aria-current", "true")
        expect(page.locator("#first-lang-en")).not_to_have_attribute("aria-current", "true")
        expect(page.locator("#first-lang-cy")).to_be_focused()  # focus stays where the person is
        expect(chat(page)).to_have_attribute("data-step", "welcome")
        # The page's own words came too: the header says what the server says in Welsh.
        expect(page.locator(".app-exit__button")).to_have_text(server_words(page, "app-exit__button"))
        expect(card(page).locator("h1")).to_have_text(
            server_words(page, "app-bubble app-bubble--say app-bubble--lead")
        )
        shot(page, "tablet-portrait-lang-01-welsh-welcome")

        tap_continue(page)
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        expect(picker).to_be_hidden()  # the picker is for the first screen; the panel is always there
        tap_value(page, "self")
        tap_continue(page)
        skip_opening(page)
        wait_step(page, "involve_how")
        tap_value(page, "meetings")  # ticked, not sent

        # From the settings panel, at any moment: Arabic, right to left.
        page.locator("#settings-summary").tap()
        page.locator("#menu-lang-ar").tap()
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#settings-panel")).to_have_attribute("open", "")
        expect(page.locator("#menu-lang-ar")).to_be_focused()
        expect(chat(page)).to_have_attribute("data-step", "involve_how")
        # nothing is lost: the ticked option is still ticked, the log still holds one answer
        expect(card(page).locator('input[value="meetings"]')).to_be_checked()
        log = page.locator('[data-role="log"]')
        # "Shall we start?", who and the four opening questions, skipped
        expect(log.locator(".app-chat__pair")).to_have_count(6)
        expect(log.locator(".app-saved--saving")).to_have_count(0)
        expect(card(page).locator("h1")).to_have_text(server_words(page, "app-heading app-heading--question"))
        # the log was redrawn in the new language without being read out again
        page.wait_for_function(
            "() => document.querySelector('[role=log]').getAttribute('aria-live') === 'polite'"
        )
        changes = page.evaluate("window.__logChanges")
        redraws = [c for c in changes if c["removed"]]
        assert redraws, changes
        assert all(c["live"] == "off" and c["busy"] == "true" for c in redraws), changes
        assert changes[0] == {"added": 1, "removed": 0, "live": "polite", "busy": None}, changes

        tap_continue(page)
        wait_step(page, "involve_help")
        expect(log.locator(".app-chat__pair")).to_have_count(7)
        # the next answer is announced as usual: only the newest line, live again
        newest = page.evaluate("window.__logChanges")[-1]
        assert newest == {"added": 1, "removed": 0, "live": "polite", "busy": None}, newest
        assert not page_errors, page_errors
    finally:
        context.close()
    answers = server.export("BR-lang")["conversations"][0]["answers"]
    by_step = {a["step"]: a for a in answers}
    assert by_step["who"]["language"] == "cy"
    assert by_step["involve_how"]["language"] == "ar"
    assert by_step["involve_how"]["value"] == ["meetings"]


def test_start_page_language_picker(server, browser, page_errors):
    context = _context(browser, PHONE)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(server.base_url + "/")
        picker = page.locator(".app-language-choice")
        expect(picker.locator('button[name="lang"]')).to_have_count(7)
        picker.locator('button[lang="ur"]').tap()  # a plain form: the page comes back in Urdu
        expect(page.locator("html")).to_have_attribute("lang", "ur")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(picker.locator('button[lang="ur"]')).to_have_attribute("aria-current", "true")
        assert no_horizontal_scroll(page)
        shot(page, "phone-start-urdu")
        picker.locator('button[lang="en"]').tap()
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        # What "Exit this page" cannot hide, in plain words.
        expect(page.locator(".app-exit-note")).to_contain_text("This does not clear your browser history.")
        assert not page_errors, page_errors
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["cy", "ar"])
def test_chat_in_welsh_and_in_arabic(server, browser, page_errors, lang):
    invitation = server.invite(f"BR-{lang}", part=1, language=lang)
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    _watch(page, page_errors)
    rtl = lang == "ar"
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if rtl else "ltr")
        tap_continue(page)
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        tap_value(page, "self")
        tap_continue(page)
        skip_opening(page)
        wait_step(page, "involve_how")
        tap_value(page, "meetings")
        tap_value(page, "statement")
        tap_continue(page)
        wait_step(page, "involve_help")
        area = card(page).locator("textarea")
        expect(area).to_have_attribute("dir", "auto")
        type_answer(page, "Large print, please")  # typed in English, whatever the page's language
        tap_continue(page)
        wait_step(page, "inform_how")
        wait_all_saved(page)
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"tablet-portrait-{lang}-chat")
        shot(page, f"tablet-portrait-{lang}-chat-full", full_page=True)

        log = page.locator('[data-role="log"]')
        typed = log.locator('.app-chat__pair[data-step="involve_help"] bdi')
        expect(typed).to_have_text("Large print, please")  # isolated: keeps its own direction
        question = log.locator(".app-bubble--question").first.bounding_box()
        answer = log.locator(".app-bubble--answer").first.bounding_box()
        card_box = card(page).bounding_box()
        if rtl:
            # mirrored: the service speaks from the right, the person answers on the left
            assert answer["x"] < question["x"], (answer, question)
            assert abs((question["x"] + question["width"]) - (card_box["x"] + card_box["width"])) < 2
            back = card(page).locator(".app-back-link").bounding_box()
            progress = card(page).locator(".app-progress__text").bounding_box()
            assert back["x"] > progress["x"]  # Back is on the right, where a line starts
        else:
            assert answer["x"] > question["x"], (answer, question)
            assert abs(question["x"] - card_box["x"]) < 2
        chevron = page.evaluate(
            "() => getComputedStyle(document.querySelector('.app-back-link'), '::before').transform"
        )
        # rotate(45deg) points left; rotate(-135deg) points right (back, in a right-to-left page)
        assert chevron.startswith("matrix(-0.7") if rtl else chevron.startswith("matrix(0.7"), chevron
        assert no_horizontal_scroll(page)
        assert not page_errors, page_errors
    finally:
        context.close()


# -- f. reading settings: Easy Read, text size, high contrast ----------------------------------------


def test_reading_settings_easy_read_text_size_and_high_contrast(server, browser, page_errors):
    invitation = server.invite("BR-read", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    _watch(page, page_errors)
    html = page.locator("html")
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        tap_continue(page)
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        tap_value(page, "self")
        tap_continue(page)
        skip_opening(page)
        wait_step(page, "involve_how")
        tap_value(page, "not_sure")
        standard = card(page).locator("h1").inner_text()

        page.locator("#settings-summary").tap()
        page.locator("#setting-easy_read-on").check()
        expect(html).to_have_class(re.compile(r"\bapp-easy-read\b"))  # applied at once, by the page
        # The server's turn in Easy Read words has come (so the change is saved), and it says what the
        # server's own page now says. Asking the server before that raced with its commit.
        expect(card(page).locator("h1")).not_to_have_text(standard)
        expect(card(page).locator("h1")).to_have_text(server_words(page, "app-heading app-heading--question"))
        expect(card(page).locator('input[value="not_sure"]')).to_be_checked()  # kept
        # The step's picture, if it has one, beside the question: decorative, so alt="".
        served = re.search(r'<img class="app-picture" src="([^"]+)"', page_html(page))
        if served:
            expect(card(page).locator("img.app-picture")).to_have_attribute("src", served[1])
            expect(card(page).locator("img.app-picture")).to_have_attribute("alt", "")
            assert card(page).locator("img.app-picture").bounding_box()["width"] == 96
        page.locator("#settings-summary").tap()  # close the panel
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "tablet-portrait-easy-read")
        shot(page, "tablet-portrait-easy-read-full", full_page=True)
        # Easy Read back off: the standard words again.
        page.locator("#settings-summary").tap()
        page.locator("#setting-easy_read-off").check()
        expect(card(page).locator("h1")).to_have_text(standard)

        page.locator("#setting-text_size-larger").check()
        expect(html).to_have_class(re.compile(r"\bapp-text-larger\b"))
        assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == 24
        assert no_horizontal_scroll(page)
        shot(page, "tablet-portrait-text-larger")
        page.locator("#setting-text_size-normal").check()
        expect(html).not_to_have_class(re.compile(r"\bapp-text-larger\b"))

        page.locator("#setting-high_contrast-on").check()
        expect(html).to_have_class(re.compile(r"\bapp-contrast\b"))
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        page.locator("#settings-summary").tap()
        card(page).locator('input[value="meetings"]').focus()  # show the focus ring too
        shot(page, "tablet-portrait-high-contrast")

        # Kept on the conversation and drawn by the server: the same after a reload.
        page.reload()
        wait_step(page, "involve_how")
        tag = re.search(r"<html[^>]*>", page_html(page))[0]
        assert "app-contrast" in tag and "app-easy-read" not in tag
        expect(html).to_have_class(re.compile(r"\bapp-contrast\b"))
        assert not page_errors, page_errors
    finally:
        context.close()


# -- g. read aloud, where a voice for the language exists -------------------------------------------

SPEECH_STUB = """
(() => {
  const voices = %s;
  const listeners = [];
  window.__spoken = [];
  const stub = {
    speaking: false, pending: false, paused: false,
    getVoices: () => voices.slice(),
    speak: (u) => { window.__spoken.push({text: u.text, lang: u.lang}); },
    cancel: () => {}, pause: () => {}, resume: () => {},
    addEventListener: (type, fn) => { if (type === 'voiceschanged') listeners.push(fn); },
    removeEventListener: () => {},
  };
  Object.defineProperty(window, 'speechSynthesis', {value: stub, configurable: true});
  window.__addVoice = (voice) => { voices.push(voice); listeners.forEach((fn) => fn()); };
})();
"""
WELSH_VOICE = '[{"name": "Gwyneth", "lang": "cy-GB", "default": false, "localService": true}]'


def read_aloud(page):
    return card(page).locator('button[data-action="read-aloud"]')


def test_read_aloud_in_welsh_with_a_welsh_voice(server, browser, page_errors):
    invitation = server.invite("BR-speak", part=1, language="cy")
    context = _context(browser, TABLET_PORTRAIT)
    context.add_init_script(SPEECH_STUB % WELSH_VOICE)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        button = read_aloud(page)
        expect(button).to_be_visible()
        words = button.inner_text()
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
        button.tap()
        spoken = page.evaluate("window.__spoken")
        assert len(spoken) == 1 and spoken[0]["lang"] == "cy"
        assert card(page).locator("h1").inner_text() in spoken[0]["text"]
        expect(button).not_to_have_text(words)  # now it offers to stop
        tap_continue(page)
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        expect(read_aloud(page)).to_be_visible()
        read_aloud(page).tap()
        spoken = page.evaluate("window.__spoken")
        assert spoken[-1]["lang"] == "cy"
        for label in card(page).locator("label.app-option__label").all_inner_texts():
            assert label in spoken[-1]["text"]  # the options are read too
        assert not page_errors, page_errors
    finally:
        context.close()


def test_read_aloud_is_hidden_without_a_voice_for_the_language(server, browser, page_errors):
    # English conversation, only a Welsh voice: hidden.
    invitation = server.invite("BR-mute", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    context.add_init_script(SPEECH_STUB % WELSH_VOICE)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        expect(read_aloud(page)).to_have_count(1)
        expect(read_aloud(page)).to_be_hidden()
    finally:
        context.close()
    # No voices at all: hidden, until the browser's voices arrive (voiceschanged).
    invitation = server.invite("BR-mute-cy", part=1, language="cy")
    context = _context(browser, TABLET_PORTRAIT)
    context.add_init_script(SPEECH_STUB % "[]")
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        expect(read_aloud(page)).to_be_hidden()
        page.evaluate("window.__addVoice({name: 'Gwyneth', lang: 'cy-GB'})")
        expect(read_aloud(page)).to_be_visible()
        assert not page_errors, page_errors
    finally:
        context.close()


# -- h. "Exit this page" ----------------------------------------------------------------------------

# Note, as the page goes, how much of it was still on the screen (a cookie: it outlives the page).
LEAVING_WATCH = """
window.addEventListener('pagehide', () => {
  if (location.protocol !== 'http:') return;
  const left = document.body ? document.body.innerText.trim() : '';
  document.cookie = 'left_with=' + encodeURIComponent(left.slice(0, 60)) + '; path=/';
});
"""


def left_with(context, server):
    cookies = {c["name"]: c["value"] for c in context.cookies(server.base_url)}
    from urllib.parse import unquote

    return unquote(cookies.get("left_with", "?"))


def test_exit_this_page_leaves_at_once_and_back_does_not_return(server, browser, page_errors):
    invitation = server.invite("BR-exit", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    neutral_exit_page(context)
    context.add_init_script(LEAVING_WATCH)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        tap_continue(page)
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        other = context.new_page()  # the same conversation open in another tab
        other.goto(server.base_url + "/chat")
        wait_step(other, "who")
        assert server.session_open("BR-exit")

        exit_button = page.locator(".app-exit__button")
        page.mouse.wheel(0, 800)  # sticky: still on screen after scrolling
        assert exit_button.bounding_box()["y"] >= 0 and exit_button.is_visible()
        exit_button.tap()
        expect(page).to_have_url(EXIT_URL)
        expect(page).to_have_title("Weather")
        assert left_with(context, server) in ("Loading.", "")  # blanked before it went
        # The session ended on the server, and the other tab left as well.
        expect(other).to_have_url(EXIT_URL, timeout=10_000)
        assert not server.session_open("BR-exit")
        # Back does not return to the conversation.
        page.go_back()
        assert "/chat" not in page.url and "/s/" not in page.url, page.url
    finally:
        context.close()
    # The answers stay: the link opens the conversation again where it was.
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        wait_step(page, "who")
    finally:
        context.close()


def test_exit_with_shift_pressed_three_times(server, browser, page_errors):
    invitation = server.invite("BR-shift", part=1)
    context = _context(browser, TABLET_LANDSCAPE, touch=False)
    neutral_exit_page(context)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        tap_button = card(page).get_by_role("button", name="Continue")
        tap_button.click()
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        status = page.locator('[data-role="exit-status"]')
        # Shift with other keys (Shift+Tab, capitals) is not leaving.
        for _ in range(3):
            page.keyboard.press("Shift+Tab")
        expect(status).to_have_text("")
        # Shift on its own, once, then left alone: it expires after 5 seconds.
        page.keyboard.press("Shift")
        expect(status).to_have_text("Shift, press 2 more times to exit.")
        expect(status).to_have_text("Exit this page expired.", timeout=8_000)
        page.keyboard.press("Shift")
        expect(status).to_have_text("Shift, press 2 more times to exit.")
        page.keyboard.press("Shift")
        expect(status).to_have_text("Shift, press 1 more time to exit.")
        page.keyboard.press("Shift")
        expect(page).to_have_url(EXIT_URL)
        page.wait_for_timeout(300)
        assert not server.session_open("BR-shift")
    finally:
        context.close()


# -- i. "I need help now" ---------------------------------------------------------------------------


def test_help_now_dialog(server, browser, page_errors):
    invitation = server.invite("BR-help", part=1)
    context = _context(browser, TABLET_PORTRAIT, touch=False)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        card(page).get_by_role("button", name="Continue").click()
        yes_lets_start(page)  # "Shall we start?"
        wait_step(page, "who")
        help_button = page.locator('[data-action="help"]')
        help_button.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_have_accessible_name("Help is here")
        expect(dialog.locator("h2")).to_be_focused()
        numbers = dialog.locator("a.app-contact__number")
        expect(numbers).to_have_count(5)
        expect(numbers.first).to_have_attribute("href", "tel:999")
        for number in numbers.all():
            assert number.get_attribute("dir") == "ltr"
            box = number.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44
        expect(dialog).to_contain_text("0808 2000 247")
        # Only what is true: the signal and its emails are saved, so a message is on its way.
        expect(dialog.locator('[data-role="help-notice"]')).to_contain_text(
            "We are sending a message to the safeguarding team to say that you asked for help."
        )
        expect(dialog).to_contain_text("If you are in danger now, call 999.")
        expect(dialog).not_to_contain_text("worker know")
        assert server.conversation("BR-help")["urgent_at"]  # recorded for the worker
        shot(page, "tablet-portrait-help-dialog")

        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(help_button).to_be_focused()  # focus goes back where it was

        help_button.click()
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Carry on with my answers").click()
        expect(dialog).to_be_hidden()
        expect(chat(page)).to_have_attribute("data-step", "who")

        help_button.click()
        dialog.get_by_role("button", name="Stop for now").click()
        expect(page.locator("h1")).to_have_text("You have stopped for now")
        assert not server.session_open("BR-help")
        assert not page_errors, page_errors
    finally:
        context.close()


# -- j. the idle warning (WCAG 2.2.1) -------------------------------------------------------------

# The documented test hook: the page warns 4 seconds before 6 seconds of no activity.
SHORT_IDLE = "window.__appIdleSeconds = 6; window.__appWarnSeconds = 4;"


def test_idle_warning_offers_more_time_then_times_out(server, browser, page_errors):
    invitation = server.invite("BR-idle", part=1)
    context = _context(browser, TABLET_PORTRAIT, touch=False)
    context.add_init_script(SHORT_IDLE)
    page = context.new_page()
    _watch(page, page_errors)
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        dialog = page.locator('[data-role="idle-dialog"]')
        expect(dialog).to_be_visible(timeout=10_000)
        expect(page.get_by_role("dialog")).to_have_accessible_name("Do you need more time?")
        expect(dialog.locator("h2")).to_be_focused()
        expect(dialog.locator('[data-role="countdown-text"]')).to_contain_text("second")
        expect(dialog.locator('[aria-live="polite"]')).to_contain_text("second")
        shot(page, "tablet-portrait-idle-warning")

        dialog.get_by_role("button", name="I need more time").click()
        expect(dialog).to_be_hidden()
        expect(chat(page)).to_have_attribute("data-step", "welcome")
        # It comes back after another quiet while; this time nobody answers.
        expect(dialog).to_be_visible(timeout=10_000)
        notice = page.locator('[data-role="notice"]')
        expect(notice).to_contain_text("without activity", timeout=10_000)
        expect(dialog).to_be_hidden()
        expect(page.locator('[data-role="log"]')).to_be_hidden()
        expect(card(page).locator("form")).to_have_count(0)
        shot(page, "tablet-portrait-idle-timed-out")
        assert not page_errors, page_errors
    finally:
        context.close()


def test_a_time_out_on_the_server_reaches_the_open_page(server, browser, page_errors):
    invitation = server.invite("BR-timeout", part=1)
    context = _context(browser, TABLET_PORTRAIT)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        wait_step(page, "welcome")
        server.idle_for(25)  # the tablet sat there longer than SESSION_IDLE_MINUTES
        tap_continue(page)  # the next thing sent finds the session timed out
        expect(page.locator('[data-role="notice"]')).to_contain_text("without activity")
        expect(page.locator('[data-role="log"]')).to_be_hidden()
        page.reload()  # and the server's own page says the same
        expect(page.locator('[data-role="notice"]')).to_contain_text("without activity")
        expect(page.locator('form[data-role="question"]')).to_have_count(0)
    finally:
        context.close()


# -- k. the same without JavaScript --------------------------------------------------------------


def test_language_settings_help_and_exit_without_javascript(server, browser):
    invitation = server.invite("BR-nojs-2", part=1)
    context = _context(browser, TABLET_PORTRAIT, java_script_enabled=False)
    neutral_exit_page(context)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        page.locator("#first-lang-cy").click()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        expect(page.locator("#first-lang-cy")).to_have_attribute("aria-current", "true")
        page.locator("#settings-summary").click()  # <details>: opens without JavaScript
        page.locator("#setting-text_size-large").check()
        page.locator("#setting-high_contrast-on").check()
        page.locator('[data-role="settings-form"] button[type="submit"]').click()
        expect(page.locator("html")).to_have_class(re.compile(r"\bapp-text-large\b"))
        expect(page.locator("html")).to_have_class(re.compile(r"\bapp-contrast\b"))
        expect(page.locator("#setting-high_contrast-on")).to_be_checked()

        page.locator('[data-action="help"]').click()
        expect(page.locator('a[href="tel:999"]')).to_be_visible()
        assert server.conversation("BR-nojs-2")["urgent_at"]
        page.locator('a[href="/chat"].app-button').click()
        expect(page.locator('form[data-role="question"] input[name="step"]')).to_have_value("welcome")

        page.locator(".app-exit__button").click()
        expect(page).to_have_url(EXIT_URL)
        assert not server.session_open("BR-nojs-2")
        page.go_back()  # the page before is gone: the start page, not the conversation
        expect(page.locator('form[data-role="question"]')).to_have_count(0)
    finally:
        context.close()
