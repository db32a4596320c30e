"""The staff pages in a real browser: Debian's Chromium through Playwright, against a real server.

Workers and managers sign in, make a case, invite the person, hand the tablet over, record whether
the person can be approached for Part 2, read Part 1 and Part 2 side by side, act on follow-ups and
reflect, and every staff page passes axe-core. Run with ``pytest tests/test_browser_staff.py -q``;
screenshots go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest
from conftest import opened

from app.staff.services import qr_svg
from browser_support import (  # noqa: E402
    CHROMIUM,
    axe_source,
    no_horizontal_scroll,
    shot,
)

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

TABLET_LANDSCAPE = {"width": 1280, "height": 800}  # a 10-inch council tablet on its side
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}  # the person's own phone, for Part 2

PASSWORD = "correct horse battery staple"
ACCOUNTS = {  # who: (email, role, team)
    "worker": ("worker@north.example", "worker", "North"),
    "manager": ("manager@north.example", "manager", "North"),
    "south": ("worker@south.example", "worker", "South"),
    "admin": ("admin@council.example", "admin", None),
}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

OUTCOME = "I want him to stop coming round"
QUESTION = "Who can I call about the new locks?"
PART1_ANSWERS = {
    "consent": "yes",  # "Yes, let's start"
    "who": "self",
    "involve_how": ["informed_only"],
    "outcome_words": OUTCOME,
    "outcome_choices": ["apology"],
}
PART2_ANSWERS = {
    "consent": "yes",
    "who": "self",
    "listened": "yes",
    "outcome_met.1": "partly",  # OUTCOME, in the person's own words
    "outcome_met.2": "not_at_all",  # "An apology"
    "has_questions": "yes",
    "questions": QUESTION,
}


# -- the server, accounts and signing in -----------------------------------------------------------


@pytest.fixture(scope="module")
def server(shared_server):
    """The session's real server, emptied, with four accounts, for this whole module: its tests
    build on each other (one signed-in session per account, one answered case)."""
    from app.staff.teams import create_team, create_user

    shared_server.reset()
    with shared_server.app.app_context():
        for team in ("North", "South"):  # a worker or manager joins a team made first, with its duty inbox
            create_team(team, f"duty@{team.lower()}.example")
        for email, role, team in ACCOUNTS.values():
            create_user(email, role, team or "", PASSWORD)
    return shared_server


@pytest.fixture(autouse=True)
def fresh_rate_limits(server):
    """Sign-in attempts start uncounted in each test (the data stays: the module builds on it)."""
    server.reset_limits()


def sign_in(page, server, who, password=PASSWORD, email=None):
    """Sign in through the form; the final response of the navigation (after any redirect).

    Sign-in is limited to 10 tries a minute from one address: if this module ever meets the limit,
    the server's count is cleared and the sign-in tried again, rather than fail for a reason that is
    not the page's (never by waiting the window out).
    """
    for _ in range(3):
        page.goto(server.base_url + "/staff/sign-in")
        page.get_by_label("Email address").fill(email or ACCOUNTS[who][0])
        page.get_by_label("Password", exact=True).fill(password)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Sign in", exact=True).click()
        response = navigation.value
        if response.status != 429:
            return response
        server.reset_limits()
    raise AssertionError("sign-in stayed rate limited")


@pytest.fixture(scope="module")
def signed_in_as(server, browser):
    """One signed-in session per account, shared by the contexts that need it (fewer sign-ins)."""
    states = {}

    def state(who):
        if who not in states:
            context = browser.new_context(viewport=DESK)
            page = context.new_page()
            response = sign_in(page, server, who)
            assert response.status == 200, page.content()[:500]
            states[who] = context.storage_state()
            context.close()
        return states[who]

    return state


def staff_context(browser, signed_in_as, who, viewport=DESK, **kwargs):
    return browser.new_context(
        viewport=viewport, device_scale_factor=1, storage_state=signed_in_as(who), **kwargs
    )


def person_context(browser, viewport=PHONE):
    return browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=True, has_touch=True)


def watch(page, errors, allow=()):
    """Record JavaScript errors, CSP complaints and HTTP errors (except the ones a test expects)."""
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")  # see "response"
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 and r.status not in allow else None
        ),
    )


def db_rows(server, sql, *params):
    with sqlite3.connect(server.env["DATABASE_URL"].removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, params).fetchall()


# -- staff actions, as a worker does them ----------------------------------------------------------


def new_case(page, server, reference, name="Sam", language="en", needs="Large print, and time to answer"):
    page.goto(server.base_url + "/staff/cases/new")
    page.get_by_label("Case reference").fill(reference)
    page.get_by_label("The person's preferred name").fill(name)
    page.get_by_label("Language").select_option(language)
    page.get_by_label("Communication needs").fill(needs)
    page.get_by_role("button", name="Create case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
    return int(re.search(r"/staff/cases/(\d+)", page.url)[1])


def invite(page, part, language=None):
    """Make an invitation from the case page; returns what the new panel shows."""
    form = page.locator("#invite form")
    form.get_by_label(f"Part {part} (", exact=False).check()
    if language:
        form.get_by_label("Language").select_option(language)
    form.get_by_role("button", name="Make invitation").click()
    panel = page.locator("#new-invitation")
    expect(panel).to_be_visible()
    return {
        "code": panel.locator('[data-role="code"]').inner_text().strip(),
        "url": panel.locator('[data-role="link"]').inner_text().strip(),
        "expires": panel.locator('[data-role="expires"]').inner_text().strip(),
    }


def record_eligibility(page, browser, signed_in_as):
    """The worker proposes "yes" on the open case page; a manager of the team, with their own
    account, agrees it on the same case; the worker's page then shows the agreed decision."""
    worker, manager = ACCOUNTS["worker"][0], ACCOUNTS["manager"][0]
    case_url = page.url.split("#")[0]
    section = page.locator("#eligibility")
    section.get_by_label("Yes", exact=True).check()
    section.get_by_role("button", name="Propose to a manager").click()
    recorded = page.locator('[data-role="eligibility"]')
    expect(recorded).to_contain_text(re.compile(rf"^Proposed – recorded .* by {re.escape(worker)}:"))
    expect(recorded).to_contain_text("Waiting for a manager of the team to agree it.")
    expect(page.locator('[data-role="decide"]')).to_have_count(0)  # a worker cannot agree it

    context = staff_context(browser, signed_in_as, "manager")
    try:
        other = context.new_page()
        other.goto(case_url)
        other.locator('[data-role="decide"]').get_by_role("button", name="Agree", exact=True).click()
        expect(other.locator('[data-role="eligibility"]')).to_contain_text(f"Agreed by {manager} on")
    finally:
        context.close()

    page.goto(case_url)
    agreed = re.compile(
        rf"^Agreed – recorded \d\d \w{{3}} \d{{4}} by {re.escape(worker)}:\s+yes, the person can be "
        rf"approached\.\s+Agreed by {re.escape(manager)} on \d\d \w{{3}} \d{{4}}\.$"
    )
    expect(recorded).to_have_text(agreed)


# -- the person's chat (static/js/chat.js) ---------------------------------------------------------

NEXT_TURN = """prev => {
  const chat = document.querySelector('[data-module="app-chat"]');
  if (!chat) return false;
  if (chat.getAttribute('data-finished') === 'true') return true;
  const form = document.querySelector('[data-role="current"] form[data-step]');
  return !!form && form.getAttribute('data-step') !== prev;
}"""


def chat(page):
    return page.locator('[data-module="app-chat"]')


def answer_chat(page, answers, help_at=None, touch=True):
    """Answer every question the chat asks, tapping, until it is finished.

    ``answers`` is by step key (``outcome_met.1``) or step id (``who``); a value is chosen by its
    option's value (so any language works), a string is typed. Other questions are skipped, or the
    first option taken when a question cannot be skipped. ``help_at``: press "I need help now" there.
    Returns the step keys seen.
    """

    def press(locator):
        locator.tap() if touch else locator.click()

    seen, previous = [], None
    for _ in range(80):
        page.wait_for_function(NEXT_TURN, arg=previous, timeout=15_000)
        if chat(page).get_attribute("data-finished") == "true":
            return seen
        form = page.locator('[data-role="current"] form[data-step]')
        step = form.get_attribute("data-step")
        seen.append(step)
        if step == help_at:
            press(page.locator('[data-action="help"]'))
            dialog = page.locator('[data-role="help-dialog"]')
            expect(dialog).to_be_visible()
            press(dialog.locator('[data-action="carry-on"]'))
            expect(dialog).to_be_hidden()
        value = answers.get(step, answers.get(step.split(".")[0]))
        skip = form.locator('[data-action="skip"]')
        options = form.locator("input.app-option__input")
        box = form.locator("textarea")
        if value is None and skip.count():
            press(skip)
        else:
            if options.count():
                values = value if isinstance(value, list) else [value] if value else []
                for chosen in values or [options.first.get_attribute("value")]:
                    input_id = form.locator(f'input.app-option__input[value="{chosen}"]').get_attribute("id")
                    press(form.locator(f'label[for="{input_id}"]'))
            elif box.count():
                box.fill(value or "Not sure")
            press(form.locator('.app-actions button[type="submit"]'))
        previous = step
    raise AssertionError(f"the chat never finished: {seen}")


# -- 1. signing in and out -------------------------------------------------------------------------


def test_sign_in_and_out_and_the_back_button(server, browser):
    context = browser.new_context(viewport=DESK, device_scale_factor=1)
    page = context.new_page()
    errors = []
    watch(page, errors, allow=(400,))
    try:
        page.goto(server.base_url + "/staff/")
        expect(page).to_have_url(re.compile(r"/staff/sign-in"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        assert no_horizontal_scroll(page)
        shot(page, "staff-sign-in")

        wrong = sign_in(page, server, "worker", password="not the password at all")
        assert wrong.status == 400
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("The email or password is not right")
        expect(alert).not_to_contain_text("worker@north.example")
        # the same words as for an account that does not exist
        generic = alert.inner_text()
        assert sign_in(page, server, None, email="nobody@north.example").status == 400
        expect(page.get_by_role("alert")).to_have_text(generic)
        shot(page, "staff-sign-in-error")

        right = sign_in(page, server, "worker")
        assert right.status == 200
        expect(page).to_have_url(server.base_url + "/staff/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your cases")
        expect(page.get_by_role("navigation", name="Staff")).to_contain_text("Cases")

        case_id = new_case(page, server, "MSP-SIGN-1", name="Ada")
        response = page.goto(f"{server.base_url}/staff/cases/{case_id}")
        assert response.headers["cache-control"] == "no-store"
        expect(page.locator("main")).to_contain_text("Ada")

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/staff/sign-in$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

        # Back: nothing was kept, so the browser asks again, and is sent to sign in.
        page.go_back()
        expect(page).to_have_url(re.compile(r"/staff/sign-in"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.locator("body")).not_to_contain_text("MSP-SIGN-1")
        expect(page.locator("body")).not_to_contain_text("Ada")
        assert not errors, errors
    finally:
        context.close()


# -- 2. a worker's whole flow on a tablet ----------------------------------------------------------


def test_a_worker_takes_a_case_from_invitation_to_follow_up_on_a_tablet(server, browser, signed_in_as):
    context = browser.new_context(
        viewport=TABLET_LANDSCAPE, device_scale_factor=1, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors = []
    watch(page, errors)
    reference = "MSP-2024-0417"
    try:
        assert sign_in(page, server, "worker").status == 200
        page.get_by_role("link", name="New case", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("New case")
        assert no_horizontal_scroll(page)
        case_id = new_case(
            page,
            server,
            reference,
            name="Sam",
            language="en",
            needs="Large print. Needs time to answer; prefers mornings.",
        )
        facts = page.locator(".staff-facts").first
        expect(facts).to_contain_text("Sam")
        expect(facts).to_contain_text("English")
        expect(facts).to_contain_text("Large print. Needs time to answer; prefers mornings.")

        # Part 1: code, link, QR code and expiry, shown once
        invitation = invite(page, 1)
        assert re.fullmatch(r"[A-Z0-9-]{6,}", invitation["code"]), invitation
        assert invitation["url"].startswith(server.base_url + "/s/")
        assert re.fullmatch(r"\d{1,2} \w+ \d{4}", invitation["expires"]), invitation
        qr = page.locator("#new-invitation img.staff-qr")
        expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        expect(qr).to_have_attribute("alt", re.compile("QR code"))
        size = qr.bounding_box()
        assert size["width"] >= 180 and size["height"] >= 180, size
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        # the QR code is the link shown beside it, drawn by the same code as the server's
        assert qr.get_attribute("src") == qr_svg(invitation["url"])
        panel = page.locator("#new-invitation")
        panel_box = panel.bounding_box()
        assert panel_box["y"] + panel_box["height"] <= TABLET_LANDSCAPE["height"], "panel below the fold"
        assert no_horizontal_scroll(page)
        shot(page, "staff-invitation-qr")

        # Hand the tablet over: the person's chat, with nothing of the staff side on the page
        panel.get_by_role("button", name="Hand the tablet over").click()
        expect(page).to_have_url(server.base_url + "/chat")
        expect(chat(page)).to_have_attribute("data-step", "welcome", timeout=10_000)
        assert page.locator('[href*="/staff"], [action*="/staff"], [src*="/staff"]').count() == 0
        assert "/staff" not in page.content()
        assert reference not in page.content()
        steps = answer_chat(page, PART1_ANSWERS)
        assert {"welcome", "consent", "who", "outcome_words", "outcome_choices", "check"} <= set(steps), steps
        assert steps[:3] == ["welcome", "consent", "who"], steps
        expect(page.locator(".app-panel__title")).to_be_visible()

        # Getting back to the staff pages needs the worker to sign in again
        page.goto(server.base_url + "/staff/")
        expect(page).to_have_url(re.compile(r"/staff/sign-in"))
        page.goto(f"{server.base_url}/staff/cases/{case_id}")
        expect(page).to_have_url(re.compile(r"/staff/sign-in"))
        expect(page.locator("body")).not_to_contain_text(reference)
        assert sign_in(page, server, "worker").status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text("Your cases")
        page.get_by_role("link", name=reference, exact=True).click()
        part1 = page.locator('[data-part="part1"]')
        expect(part1).to_contain_text(OUTCOME)
        expect(part1).to_contain_text("Finished")

        # Part 2 needs the decision: proposed by the worker, agreed by a manager with their own account
        record_eligibility(page, browser, signed_in_as)
        invitation2 = invite(page, 2, language="pl")
        assert invitation2["code"] != invitation["code"]

        # The person answers Part 2 on their own phone, in Polish, and asks for help now
        phone = person_context(browser)
        person = phone.new_page()
        try:
            person.goto(invitation2["url"])
            expect(person.locator("html")).to_have_attribute("lang", "pl")
            steps2 = answer_chat(person, PART2_ANSWERS, help_at="has_questions")
            assert {"consent", "outcome_met.1", "outcome_met.2", "has_questions", "questions"} <= set(
                steps2
            ), steps2
        finally:
            phone.close()

        # Needs follow-up: help now first, then the question; one marked done with a note
        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Needs follow-up").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Needs follow-up")
        items = page.locator("li.staff-follow-up")
        expect(items.first).to_have_attribute("data-kind", "help_now")
        expect(items.first).to_contain_text("Asked for help now")
        kinds = items.evaluate_all("lis => lis.map(li => li.dataset.kind)")
        assert kinds[0] == "help_now" and "questions" in kinds, kinds
        assert no_horizontal_scroll(page)
        shot(page, "staff-follow-ups")
        question = page.locator('li.staff-follow-up[data-kind="questions"]')
        question.get_by_label("What you did").fill("Rang Sam back and explained who fits the locks.")
        question.get_by_role("button", name=re.compile("^Mark done")).click()
        expect(page.locator('li.staff-follow-up[data-kind="questions"]')).to_have_count(0)
        expect(page.locator('li.staff-follow-up[data-kind="help_now"]')).to_have_count(1)
        done = db_rows(server, "SELECT kind, note FROM follow_up WHERE done_at IS NOT NULL")
        # The note is stored encrypted: opened with the tests' key.
        assert [(kind, opened(note)) for kind, note in done] == [
            ("questions", "Rang Sam back and explained who fits the locks.")
        ]

        # The case page: Part 1 and Part 2 side by side, who said it and in which language
        page.goto(f"{server.base_url}/staff/cases/{case_id}")
        outcomes = page.locator("#outcomes table")
        wanted = outcomes.locator("tbody tr", has_text=OUTCOME)
        expect(wanted).to_contain_text("Partly")
        expect(wanted).to_contain_text("The person · Polish")
        expect(outcomes.locator("tbody tr", has_text="An apology")).to_contain_text("Not at all")
        part1, part2 = page.locator('[data-part="part1"]'), page.locator('[data-part="part2"]')
        expect(part1).to_contain_text("The person · English")
        expect(part2).to_contain_text("The person · Polish")
        expect(part2).to_contain_text(QUESTION)
        expect(part2).to_contain_text("Asked for help now")
        left, right = part1.bounding_box(), part2.bounding_box()
        assert abs(left["y"] - right["y"]) < 2 and right["x"] >= left["x"] + left["width"], (left, right)
        follow_ups = page.locator("#follow-ups")
        expect(follow_ups).to_contain_text("Rang Sam back and explained who fits the locks.")
        assert no_horizontal_scroll(page)
        part1.scroll_into_view_if_needed()
        shot(page, "staff-case-side-by-side", full_page=True)
        assert not errors, errors
    finally:
        context.close()


# -- a case with answers, for the manager's pages and axe ------------------------------------------


@pytest.fixture(scope="module")
def answered_case(server, browser, signed_in_as):
    """A worker's case with Part 1 and Part 2 answered and follow-ups open; returns (id, reference)."""
    reference = "MSP-2024-0552"
    context = staff_context(browser, signed_in_as, "worker")
    page = context.new_page()
    try:
        case_id = new_case(page, server, reference, name="Jo", language="en")
        first = invite(page, 1)
        person = person_context(browser)
        try:
            answer_chat(_open(person, first["url"]), PART1_ANSWERS)
        finally:
            person.close()
        page.goto(f"{server.base_url}/staff/cases/{case_id}")
        record_eligibility(page, browser, signed_in_as)
        second = invite(page, 2)
        person = person_context(browser)
        try:
            answer_chat(_open(person, second["url"]), PART2_ANSWERS, help_at="listened")
        finally:
            person.close()
    finally:
        context.close()
    return case_id, reference


def _open(context, url):
    page = context.new_page()
    page.goto(url)
    return page


# -- 3. a manager's view, and another team's worker ------------------------------------------------


def test_a_manager_sees_the_team_summary_and_audit_log_and_other_teams_see_nothing(
    server, browser, signed_in_as, answered_case
):
    case_id, reference = answered_case
    context = staff_context(browser, signed_in_as, "manager")
    page = context.new_page()
    errors = []
    watch(page, errors)
    try:
        page.goto(server.base_url + "/staff/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your team's cases")
        expect(page.get_by_role("link", name=reference, exact=True)).to_be_visible()

        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Needs follow-up").click()
        summary = page.locator('table[data-role="summary"]')
        expect(summary).to_be_visible()
        help_row = summary.locator("tbody tr", has_text="Asked for help now")
        count = int(help_row.locator("td").last.inner_text())
        assert count >= 1
        questions_row = summary.locator("tbody tr", has_text="Has questions")
        assert int(questions_row.locator("td").last.inner_text()) >= 1
        link = page.locator(f'li.staff-follow-up a[href$="/staff/cases/{case_id}#follow-ups"]')
        expect(link.first).to_be_visible()
        assert no_horizontal_scroll(page)
        shot(page, "staff-follow-ups-manager")

        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit log").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
        viewed = page.locator("tbody tr", has_text="view_case").filter(has_text=ACCOUNTS["worker"][0])
        on_case = page.locator("td", has_text=re.compile(rf"^{re.escape(reference)}$"))
        expect(viewed.filter(has=on_case).first).to_be_visible()
        shot(page, "staff-audit-log")
        assert not errors, errors
    finally:
        context.close()

    # A worker from another team types the case's address: "not found", nothing of the case shown
    other = staff_context(browser, signed_in_as, "south")
    page = other.new_page()
    try:
        response = page.goto(f"{server.base_url}/staff/cases/{case_id}")
        assert response.status == 404
        expect(page.locator("body")).to_contain_text(re.compile("not found", re.I))
        expect(page.locator("body")).not_to_contain_text(reference)
        expect(page.locator("body")).not_to_contain_text(OUTCOME)
        page.goto(server.base_url + "/staff/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your cases")
        expect(page.locator("main")).not_to_contain_text(reference)
    finally:
        other.close()
    south_id = db_rows(server, "SELECT id FROM staff_user WHERE email = ?", ACCOUNTS["south"][0])[0][0]
    refused = db_rows(
        server, "SELECT case_id FROM audit_event WHERE action = 'refused' AND user_id = ?", south_id
    )
    assert (case_id,) in refused


# -- 4. the staff's own dialogues, with the keyboard alone -----------------------------------------


def tab_to(page, target, limit=60):
    """Press Tab until ``target`` has the focus (it must be reachable with the keyboard)."""
    if target.evaluate("el => el === document.activeElement"):
        return
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def step_of(page):
    return page.locator("[data-step]").first.get_attribute("data-step")


def key_answer(page, value=None, action="Continue"):
    """Answer the question on screen with the keyboard: Tab, Space or arrows, then Enter."""
    form = page.locator("main form:has(input[name=kind])")
    radios = form.locator("input[type=radio]")
    checkboxes = form.locator("input[type=checkbox]")
    box = form.locator("textarea")
    if value is not None and radios.count():
        target = form.locator(f'input[type=radio][value="{value}"]')
        if not any(r.evaluate("el => el === document.activeElement") for r in radios.all()):
            _tab_into(page, radios)
        for _ in range(radios.count()):
            if target.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Space")
        expect(target).to_be_checked()
    elif value is not None and checkboxes.count():
        for chosen in value:
            tab_to(page, form.locator(f'input[type=checkbox][value="{chosen}"]'))
            page.keyboard.press("Space")
    elif value is not None and box.count():
        tab_to(page, box)
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    button = form.get_by_role("button", name=action, exact=True)
    tab_to(page, button)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _tab_into(page, radios, limit=60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if any(r.evaluate("el => el === document.activeElement") for r in radios.all()):
            return
    raise AssertionError("Tab never reached the options")


NOT_ASKED = ("intro", "check")


def _opened_json(value):
    return json.loads(opened(value)) if value else value


def saved_answers(server, dialogue_id):
    rows = db_rows(
        server,
        "SELECT a.step, a.value FROM answer a JOIN conversation c ON c.id = a.conversation_id"
        " WHERE c.dialogue_id = ? AND a.superseded_at IS NULL ORDER BY a.id",
        dialogue_id,
    )
    # the opening words and the check page are "answered" too, with nothing
    return {
        step: json.loads(opened(value)) if value else value for step, value in rows if step not in NOT_ASKED
    }


def test_reflection_and_case_review_with_the_keyboard_alone(server, browser, signed_in_as, answered_case):
    case_id, reference = answered_case

    # The worker's reflection
    context = staff_context(browser, signed_in_as, "worker")
    page = context.new_page()
    errors = []
    watch(page, errors)
    try:
        page.goto(f"{server.base_url}/staff/cases/{case_id}")
        tab_to(page, page.get_by_role("link", name="Reflect on this enquiry"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert step_of(page) == "intro"
        expect(page.locator("main")).to_contain_text(reference)
        # the focus is plain to see: the GOV.UK yellow on the button reached with Tab
        go = page.get_by_role("button", name="Continue", exact=True)
        tab_to(page, go)
        assert go.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 221, 0)"
        key_answer(page)  # intro: Continue
        assert step_of(page) == "protective"
        key_answer(page, "at_times")
        assert saved_answers(server, "reflection") == {"protective": "at_times"}
        key_answer(page, "I steered her towards moving out.")
        assert saved_answers(server, "reflection")["protective_more"] == "I steered her towards moving out."
        key_answer(page, "yes")  # avoided → avoided_why
        assert step_of(page) == "avoided_why"

        # Reload half-way: the same question, and the answers so far are kept
        page.reload()
        assert step_of(page) == "avoided_why"
        assert saved_answers(server, "reflection") == {
            "protective": "at_times",
            "protective_more": "I steered her towards moving out.",
            "avoided": "yes",
        }
        key_answer(page, "Talking about her son")
        key_answer(page, action="Skip")  # process
        assert saved_answers(server, "reflection")["process"] is None
        key_answer(page, "partly")  # outcomes
        key_answer(page, "Ask about outcomes earlier")  # differently
        key_answer(page, "yes")  # supervision
        assert step_of(page) == "check"
        check = page.locator("main")
        expect(check).to_contain_text("Talking about her son")
        expect(check).to_contain_text("Ask about outcomes earlier")
        expect(check).to_contain_text("At times")
        key_answer(page, action="Save and finish")
        thanks = "Thank you. Your reflection is saved with the case."
        expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
        assert saved_answers(server, "reflection")["avoided_why"] == "Talking about her son"
        assert not errors, errors
    finally:
        context.close()

    # The manager's case review, with its case-file audit question
    context = staff_context(browser, signed_in_as, "manager")
    page = context.new_page()
    watch(page, errors)
    try:
        page.goto(f"{server.base_url}/staff/cases/{case_id}")
        tab_to(page, page.get_by_role("link", name="Manager's case review"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        key_answer(page)  # intro
        key_answer(page, "Earlier advocacy")  # better
        key_answer(page, "partly")  # together
        assert saved_answers(server, "review") == {"better": "Earlier advocacy", "together": "partly"}
        page.reload()
        assert step_of(page) == "together_more"
        key_answer(page, action="Skip")  # together_more
        key_answer(page, "Share the Part 1 outcomes with the police")  # changes
        key_answer(page, "no")  # systems → systems_what
        key_answer(page, "The referral form has no space for outcomes")
        key_answer(page, "yes")  # training → training_what
        key_answer(page, "MSP for new starters")
        assert step_of(page) == "audit_quality"
        key_answer(page, "adequate")
        key_answer(page, action="Skip")  # audit_notes
        assert step_of(page) == "check"
        expect(page.locator("main")).to_contain_text("MSP for new starters")
        key_answer(page, action="Save and finish")
        thanks = "Thank you. Your review is saved with the case."
        expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
        saved = saved_answers(server, "review")
        assert saved["audit_quality"] == "adequate" and saved["training_what"] == "MSP for new starters"
        assert not errors, errors
    finally:
        context.close()


# -- 5. axe-core on every staff page ---------------------------------------------------------------


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now, one readable line each."""
    page.add_script_tag(content=axe_source())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"][:5]:
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at "
                f"{node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return found


def test_every_staff_page_passes_axe(server, browser, signed_in_as, answered_case):
    axe_source()  # missing axe-core is a failure that says how to install it, never a skip
    case_id, _reference = answered_case
    problems: dict[str, list[str]] = {}

    def check(page, name):
        expect(page.locator("main")).to_be_visible()
        problems[name] = axe_violations(page)

    def open_context(who=None, viewport=DESK):
        kwargs = {"viewport": viewport, "device_scale_factor": 1, "bypass_csp": True}
        if who:
            kwargs["storage_state"] = signed_in_as(who)
        return browser.new_context(**kwargs)

    # Signing in
    context = open_context()
    page = context.new_page()
    try:
        page.goto(server.base_url + "/staff/sign-in")
        check(page, "sign-in")
        assert sign_in(page, server, None, "not a password", email="nobody@example.org").status == 400
        expect(page.get_by_role("alert")).to_be_visible()
        check(page, "sign-in with error")
    finally:
        context.close()

    # The worker's pages, on a desk screen and on the tablet
    for viewport_name, viewport in (("desk", DESK), ("tablet", TABLET_LANDSCAPE)):
        context = open_context("worker", viewport)
        page = context.new_page()
        try:
            page.goto(server.base_url + "/staff/")
            check(page, f"cases ({viewport_name})")
            page.goto(server.base_url + "/staff/cases/new")
            page.get_by_role("button", name="Create case").click()
            expect(page.get_by_role("alert")).to_be_visible()
            check(page, f"new case with error ({viewport_name})")
            page.goto(f"{server.base_url}/staff/cases/{case_id}")
            invite(page, 1)
            expect(page.locator('[data-part="part2"] .staff-said')).to_be_visible()
            expect(page.locator("#follow-ups li.staff-follow-up").first).to_be_visible()
            expect(page.locator("#eligibility form")).to_be_visible()
            check(page, f"case with invitation, answers, follow-ups and eligibility ({viewport_name})")
            page.goto(server.base_url + "/staff/follow-ups")
            check(page, f"follow-ups ({viewport_name})")
            if viewport_name == "desk":
                page.goto(f"{server.base_url}/staff/cases/{case_id}")
                page.locator("#invitations").get_by_role("link", name="Hand the tablet over").first.click()
                expect(page.locator("h1")).to_contain_text("Hand the tablet over")
                check(page, "hand-over screen")
                shot(page, "staff-hand-over-screen", full_page=True)
        finally:
            context.close()

    # The reflection: a question, then its check-answers page (on a new case, not yet reflected on)
    context = open_context("worker")
    page = context.new_page()
    try:
        fresh = new_case(page, server, "MSP-AXE-R")
        page.goto(f"{server.base_url}/staff/cases/{fresh}/reflection")
        check(page, "reflection intro")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("legend")).to_contain_text("overly protective")
        check(page, "reflection question (choice)")
        page.get_by_role("button", name="Skip").click()
        expect(page.locator("textarea")).to_be_visible()
        check(page, "reflection question (text)")
        for _ in range(12):
            if step_of(page) == "check":
                break
            page.get_by_role("button", name="Skip").click()
        assert step_of(page) == "check"
        check(page, "reflection check answers")
        page.get_by_role("button", name="Save and finish").click()
        check(page, "reflection finished")
    finally:
        context.close()

    # The manager: team cases, follow-ups with the summary, the audit log, the review
    context = open_context("manager")
    page = context.new_page()
    try:
        page.goto(server.base_url + "/staff/")
        check(page, "team cases (manager)")
        page.goto(server.base_url + "/staff/cases/new")
        check(page, "new case (manager)")
        page.goto(server.base_url + "/staff/follow-ups")
        check(page, "follow-ups with summary (manager)")
        page.goto(server.base_url + "/staff/audit")
        check(page, "audit log")
        page.goto(f"{server.base_url}/staff/cases/{fresh}/review")  # not yet reviewed
        page.get_by_role("button", name="Continue").click()
        check(page, "case review question (text)")
    finally:
        context.close()

    # The administrator's accounts page, and its error
    context = open_context("admin")
    page = context.new_page()
    try:
        page.goto(server.base_url + "/staff/")
        expect(page).to_have_url(re.compile(r"/staff/users$"))
        check(page, "accounts")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("alert")).to_be_visible()
        check(page, "accounts with error")
        page.get_by_role("link", name="Teams and their duty inboxes").click()
        expect(page.locator("h1")).to_have_text("Teams")
        check(page, "teams")
        page.get_by_role("button", name="Create team").click()
        expect(page.get_by_role("alert")).to_be_visible()
        check(page, "teams with error")
    finally:
        context.close()

    failing = {name: found for name, found in problems.items() if found}
    assert not failing, "axe-core violations:\n" + "\n".join(
        f"- {name}:\n    " + "\n    ".join(found) for name, found in failing.items()
    )
    assert len(problems) >= 21, sorted(problems)
