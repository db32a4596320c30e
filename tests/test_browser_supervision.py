"""Supervision in a real browser (Debian's Chromium through Playwright, a real server): a manager of
the worker's team reads a finished reflection from the Supervision list, records the discussion and a
learning action through the forms and sees them; no axe-core violations on either page; a manager of
another team gets the 404 page. A screenshot of the reflection page to look at (/tmp/me/supervision.png,
and tests/artifacts/supervision.png)."""

from __future__ import annotations

from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest
from test_browser_staff import WCAG_TAGS
from test_reports import walk_service

from app.cases.services import find_case
from app.clock import utcnow
from app.staff.services import staff_conversation
from app.staff.teams import create_team, create_user
from browser_support import CHROMIUM, MANAGER, PASSWORD, WORKER, axe_source, no_horizontal_scroll, shot

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

OTHER_MANAGER = "south.manager@test.example"
DIFFERENTLY = "Ask about outcomes in the first visit"
NOTES = "We talked about keeping the person's own words at the centre."
ACTION = "Shadow a colleague's first visit"
SCREENSHOT = Path("/tmp/me/supervision.png")
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "bypass_csp": True}


def _reflected(server) -> int:
    """A case of the test worker's with the worker's reflection finished, through the services."""
    from app.access import find_user

    server.invite("SV-B1", part=1)
    with server.app.app_context():
        worker = find_user(WORKER)
        reflection = staff_conversation(worker, find_case("SV-B1"), "reflection")
        walk_service(
            reflection.id,
            {"protective": "at_times", "avoided": "no", "process": "yes", "differently": DIFFERENTLY},
        )
        create_team("South team", "south.duty@test.example")
        create_user(OTHER_MANAGER, "manager", "South team", PASSWORD)
        return reflection.id


def _sign_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _no_axe_violations(page) -> None:
    page.add_script_tag(content=axe_source())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    assert [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]] == []


def test_a_manager_reads_a_reflection_and_records_the_supervision(server, browser):
    reflection_id = _reflected(server)
    today = utcnow().date().isoformat()

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, device_scale_factor=1, bypass_csp=True
    )
    page = context.new_page()
    try:
        _sign_in(page, server.base_url, MANAGER)
        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Supervision").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Supervision")
        listed = page.locator('[data-role="supervision-list"]')
        expect(listed.get_by_role("cell", name="SV-B1", exact=True)).to_be_visible()
        assert no_horizontal_scroll(page)
        _no_axe_violations(page)

        listed.get_by_role("link", name="reflection on case SV-B1").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Reflection by {WORKER}")
        expect(page.locator('[data-role="reflection-answers"]')).to_contain_text(DIFFERENTLY)
        expect(page.locator('[data-role="supervision-none"]')).to_be_visible()
        _no_axe_violations(page)

        page.get_by_label("Day you discussed it").fill(today)
        page.get_by_label("Notes of the discussion").fill(NOTES)
        page.get_by_role("button", name="Record the supervision").click()
        expect(page.get_by_role("status")).to_contain_text("Supervision recorded.")
        held = page.locator('[data-role="supervision"]')
        expect(held).to_have_count(1)
        expect(held.locator('[data-role="supervision-notes"]')).to_have_text(NOTES)
        expect(held.get_by_role("heading", level=3)).to_contain_text("Discussed on")

        held.get_by_label("A learning action agreed").fill(ACTION)
        held.get_by_label("Whose action").select_option(label=f"The worker ({WORKER})")
        held.get_by_role("button", name="Add the learning action").click()
        expect(page.get_by_role("status")).to_contain_text("Learning action added.")
        action = page.locator('[data-role="learning-action"]')
        expect(action).to_have_count(1)
        expect(action).to_contain_text(ACTION)
        expect(action).to_contain_text("the worker")
        assert no_horizontal_scroll(page)
        _no_axe_violations(page)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True, animations="disabled")
        shot(page, "supervision", full_page=True)

        page.get_by_role("link", name="Back to supervision").click()
        row = page.locator('[data-role="supervision-list"] tbody tr')
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(3)).to_have_text("1")  # discussed once
        expect(row.locator("td").nth(4)).to_have_text("1")  # one open learning action
    finally:
        context.close()

    other = browser.new_context(
        viewport={"width": 1280, "height": 900}, device_scale_factor=1, bypass_csp=True
    )
    page = other.new_page()
    try:
        _sign_in(page, server.base_url, OTHER_MANAGER)
        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Supervision").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Supervision")
        expect(page.locator('[data-role="supervision-empty"]')).to_be_visible()
        response = page.goto(f"{server.base_url}/staff/supervision/{reflection_id}")
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page.get_by_text(DIFFERENTLY)).to_have_count(0)
        _no_axe_violations(page)
    finally:
        other.close()
