"""An urgent signal, live, in a real browser, with real email.

A person presses "I need help now" (a Socket.IO client on /chat) while their worker has the case
open in Debian's Chromium: the urgent item appears on the open page without a reload
(static/js/staff.js), the worker and the team's duty inbox are emailed (a real SMTP server,
aiosmtpd) with no personal details, and "I am dealing with this" stops the escalation. One nobody
acknowledges is escalated to the managers and the duty inbox exactly once.

Run with ``pytest tests/test_browser_signals.py -q``; screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import playwright.sync_api as playwright_api  # a missing Playwright fails, never skips
import pytest
import socketio
from aiosmtpd.controller import Controller

from browser_support import CHROMIUM, MANAGER, PASSWORD, TEAM, WORKER, Server, shot

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

ACK_SECONDS = 6  # URGENT_ACK_SECONDS on the test server
POLL_MARGIN = 3  # the outbox runs every second (OUTBOX_POLL_SECONDS=1); a little more for a busy host
DUTY = TEAM[1]
DESK = {"width": 1280, "height": 800}
ESCALATION = "Not yet acknowledged"


class Mailbox:
    """What the real SMTP server received: (recipients, subject, body) for each message."""

    def __init__(self):
        self.messages: list[tuple[list[str], str, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), str(message["Subject"]), message.get_content()))
        return "250 OK"

    def about(self, reference: str, to: str, subject_start: str = "") -> list[tuple[str, str]]:
        """(subject, body) of the messages to ``to`` about case ``reference``."""
        with self._lock:
            found = list(self.messages)
        return [
            (subject, body)
            for rcpt, subject, body in found
            if to in rcpt and subject.startswith(subject_start) and subject.endswith(f"(case {reference})")
        ]


def holds_for(check, seconds: float, interval: float = 0.5) -> None:
    """Assert ``check`` stays true for ``seconds`` (something that must not happen, does not)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert check(), check.__doc__ or check
        time.sleep(interval)
    assert check(), check.__doc__ or check


def wait_until(check, timeout: float, interval: float = 0.25):
    """Poll ``check`` until it returns something true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check.__doc__ or check}")
        time.sleep(interval)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server whose urgent signals escalate after 6 s, and a real SMTP server for its mail.
    Its own, not the session's: no other module's urgent signals should escalate that soon."""
    srv = Server(tmp_path_factory.mktemp("signals-browser-server"), URGENT_ACK_SECONDS=str(ACK_SECONDS))
    srv.seed()  # "Test team" (duty inbox duty@test.example), its worker and its manager
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=srv.smtp_port)
    controller.start()
    srv.mailbox = mailbox
    try:
        srv.start()
        yield srv
    finally:
        srv.close()
        controller.stop()


def sign_in(page, server, email=WORKER):
    page.goto(server.base_url + "/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def case_id_of(page, server, reference: str) -> int:
    page.goto(server.base_url + "/staff/")
    href = page.get_by_role("link", name=reference, exact=True).get_attribute("href")
    return int(re.search(r"/staff/cases/(\d+)$", href)[1])


def person_socket(server, code: str) -> socketio.Client:
    """The person's chat, as a Socket.IO client on /chat opened with the access code."""
    client = socketio.Client(reconnection=False)
    client.connect(
        server.base_url, namespaces=["/chat"], auth={"code": code}, transports=["websocket"], wait_timeout=10
    )
    return client


def press_help(client: socketio.Client) -> dict:
    """The person presses "I need help now"; the acknowledgement. (The client is disconnected at the
    end of the test: its disconnect can wait seconds for the close handshake, the clock is running.)"""
    return client.call("help", {}, namespace="/chat", timeout=10)


def assert_told_a_message_is_sent(ack: dict) -> None:
    assert ack["ok"], ack
    notice = " ".join(ack["notice"])
    assert "We are sending a message to the safeguarding team to say that you asked for help." in notice
    assert "They may not read it straight away." in notice
    assert "If you are in danger now, call 999." in notice


def urgent(page):
    return page.locator('[data-role="urgent-panel"]')


def live(page):
    """The urgent list once staff.js has its /staff socket connected."""
    return page.locator('[data-role="urgent-signals"][data-live="on"]')


def watch(page, errors):
    """Record script errors and console errors (a CSP refusal is one)."""
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)


def test_an_urgent_signal_appears_live_is_emailed_and_acknowledged_not_escalated(server, browser):
    reference = "SIG-1"
    invitation = server.invite(reference, part=1)  # a case of worker@test.example, the person "Sam"
    person = person_socket(server, invitation["code"])
    context = browser.new_context(viewport=DESK, device_scale_factor=1)
    errors: list[str] = []
    try:
        page = context.new_page()
        watch(page, errors)
        sign_in(page, server)
        case_id = case_id_of(page, server, reference)
        case_url = f"{server.base_url}/staff/cases/{case_id}"
        # A second tab on the cases page: it hears every case of the worker's, and names the case.
        home = context.new_page()
        watch(home, errors)
        home.goto(server.base_url + "/staff/")
        page.goto(case_url)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
        for tab in (page, home):
            expect(urgent(tab)).to_be_hidden()
            expect(urgent(tab).locator("li.staff-urgent-item")).to_have_count(0)
            # staff.js is connected, and so in the worker's rooms, before the person presses help
            expect(live(tab)).to_have_count(1)

        # The person presses "I need help now"; nobody reloads anything
        raised = time.monotonic()  # just before: the escalation would be due 6 s after this at the earliest
        assert_told_a_message_is_sent(press_help(person))
        item = urgent(page).locator("li.staff-urgent-item")
        expect(item).to_be_visible(timeout=5_000)
        expect(item).to_have_count(1)
        expect(item).to_have_attribute("data-kind", "help_now")
        expect(item).to_contain_text("Asked for help now")
        expect(item).to_contain_text(re.compile(r"raised \d\d \w{3} \d{4} \d\d:\d\d UTC"))
        expect(item.locator("a")).to_have_count(0)  # on the case page itself, no link to it
        expect(urgent(page)).to_be_visible()
        on_home = urgent(home).locator("li.staff-urgent-item")
        expect(on_home).to_be_visible(timeout=5_000)
        expect(on_home.get_by_role("link", name=f"case {reference}")).to_have_attribute(
            "href", f"/staff/cases/{case_id}"
        )
        shot(page, "staff-urgent-signal-live")
        shot(home, "staff-urgent-signal-live-home")

        # "I am dealing with this", well inside the 6 s, so that it must not escalate
        page.bring_to_front()
        with page.expect_navigation():
            item.get_by_role("button", name=re.compile(r"^I am dealing with this")).click()
        expect(page).to_have_url(re.compile(rf"/staff/cases/{case_id}"))
        expect(urgent(page).locator("li.staff-urgent-item")).to_have_count(0)
        expect(urgent(page)).to_be_hidden()
        follow_ups = page.locator("#follow-ups")
        expect(follow_ups).to_contain_text(f"{WORKER} is dealing with this")
        # ...and the other tab hears it too: the item goes, with no reload
        expect(on_home).to_have_count(0, timeout=5_000)
        expect(urgent(home)).to_be_hidden()

        # The worker and the duty inbox were emailed: the kind, the reference, a link, no name
        for to in (WORKER, DUTY):
            mails = wait_until(lambda to=to: server.mailbox.about(reference, to, "Urgent:"), timeout=15)
            assert len(mails) == 1, mails
            subject, body = mails[0]
            assert subject == f"Urgent: Asked for help now (case {reference})"
            assert reference in body and f"{server.base_url}/staff/cases/{case_id}" in body
            assert "Sam" not in subject + body
        assert not server.mailbox.about(reference, MANAGER), "a manager hears only of an escalation"

        # Past the time to acknowledge, and a few passes of the outbox more: no escalation
        def not_escalated():
            """no escalation email about the acknowledged signal"""
            return not any(server.mailbox.about(reference, to, ESCALATION) for to in (MANAGER, DUTY))

        holds_for(not_escalated, ACK_SECONDS + POLL_MARGIN - (time.monotonic() - raised))
        page.reload()
        expect(page.locator("main")).not_to_contain_text("Escalated")
        expect(page.locator("#follow-ups")).to_contain_text(f"{WORKER} is dealing with this")
        assert not errors, errors
    finally:
        context.close()
        person.disconnect()


def test_an_unacknowledged_urgent_signal_escalates_exactly_once(server, browser):
    reference = "SIG-2"
    invitation = server.invite(reference, part=1)
    person = person_socket(server, invitation["code"])
    context = browser.new_context(viewport=DESK, device_scale_factor=1)
    errors: list[str] = []
    try:
        page = context.new_page()
        watch(page, errors)
        sign_in(page, server, MANAGER)  # a manager of the team hears of the case too
        case_id = case_id_of(page, server, reference)
        page.goto(f"{server.base_url}/staff/cases/{case_id}")
        expect(urgent(page)).to_be_hidden()
        expect(live(page)).to_have_count(1)

        started = time.monotonic()  # before the signal is raised: the escalation is at least 6 s after
        assert_told_a_message_is_sent(press_help(person))
        item = urgent(page).locator("li.staff-urgent-item")
        expect(item).to_contain_text("Asked for help now", timeout=5_000)

        # Nobody acknowledges it: the managers and the duty inbox are emailed, once each
        def escalated():
            """an escalation email to the manager and to the duty inbox"""
            return all(server.mailbox.about(reference, to, ESCALATION) for to in (MANAGER, DUTY))

        wait_until(escalated, timeout=ACK_SECONDS + POLL_MARGIN + 10)
        assert time.monotonic() - started >= ACK_SECONDS, "escalated before its time"
        # the page heard it too, with no reload
        expect(item.locator(".staff-tag--urgent")).to_contain_text("Escalated", timeout=5_000)
        shot(page, "staff-urgent-signal-escalated")

        # A few more passes of the outbox: still exactly one each
        def once_each():
            """exactly one escalation email each to the manager and the duty inbox"""
            return all(len(server.mailbox.about(reference, to, ESCALATION)) == 1 for to in (MANAGER, DUTY))

        holds_for(once_each, 4)
        for to in (MANAGER, DUTY):
            mails = server.mailbox.about(reference, to, ESCALATION)
            assert len(mails) == 1, mails
            subject, body = mails[0]
            assert subject == f"{ESCALATION}: Asked for help now (case {reference})"
            assert f"/staff/cases/{case_id}" in body and "Sam" not in subject + body
        assert not server.mailbox.about(reference, WORKER, ESCALATION), "the worker was told already"
        assert len(server.mailbox.about(reference, WORKER, "Urgent:")) == 1

        page.reload()
        expect(urgent(page).locator("li.staff-urgent-item")).to_contain_text("Escalated")
        expect(page.locator("#follow-ups")).to_contain_text("Escalated to the team's managers and duty inbox")
        assert not errors, errors
    finally:
        context.close()
        person.disconnect()
