"""The managers' reports page in a real browser (Debian's Chromium through Playwright, a real server):
no axe-core violations, a table of the same figures beside every chart, and a screenshot to look at
(tests/artifacts/reports.png)."""

from __future__ import annotations

from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest
from test_browser_staff import WCAG_TAGS
from test_reports import walk_service

from app.cases.services import create_invitation
from browser_support import CHROMIUM, MANAGER, PASSWORD, axe_source, no_horizontal_scroll, shot

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def test_the_reports_page_passes_axe_with_a_table_beside_every_chart(server, browser):
    server.seed()
    with server.app.app_context():
        for n, safer in enumerate(("yes", "yes", "partly", "no", "yes", "not_sure")):
            new = server.invite(f"R-{n}", part=1)
            assert new["code"]
            second = create_invitation(f"R-{n}", 2, respondent="self", eligible_agreed_by=MANAGER)
            walk_service(
                second.conversation.id,
                {"consent": "yes", "listened": "yes", "informed": "partly", "safer": safer, "happy": "yes"},
            )

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, device_scale_factor=1, bypass_csp=True
    )
    page = context.new_page()
    try:
        page.goto(server.base_url + "/staff/sign-in")
        page.get_by_label("Email address").fill(MANAGER)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
        expect(page.get_by_text("Internal: exact figures, not for sharing")).to_be_visible()

        charts = page.locator('[data-breakdown] svg[role="img"]')
        assert charts.count() >= 10
        for index in range(charts.count()):
            figure = page.locator("[data-breakdown]").nth(index)
            expect(figure.locator("svg title")).to_have_count(1)
            expect(figure.locator("svg desc")).to_have_count(1)
            expect(figure.locator('[data-role="chart-table"] table')).to_be_visible()
        safer = page.locator('[data-breakdown="experience_safer"]')
        expect(safer.get_by_role("img")).to_have_accessible_name("Do you feel safer?")
        expect(safer.get_by_role("img")).to_have_accessible_description(
            "Yes: 3 (50%); Partly: 1 (17%); No: 1 (17%); Not sure: 1 (17%). Total answers: 6."
        )
        expect(safer.locator('td[data-cell="yes"]')).to_have_text("3")
        assert no_horizontal_scroll(page)

        page.add_script_tag(content=axe_source())
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        assert [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]] == []
        shot(page, "reports", full_page=True)
        page.locator('[data-breakdown="experience_safer"]').scroll_into_view_if_needed()
        shot(page, "reports-safer")

        page.get_by_role("link", name="Print view").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Report to share")
        shared = page.locator('[data-breakdown="experience_safer"]')
        expect(shared.locator('td[data-cell="yes"]')).to_have_text("[c]")
        expect(shared.get_by_role("img")).to_have_accessible_description(
            "Yes: hidden; Partly: hidden; No: hidden; Not sure: hidden. Total answers: 5."
        )
        page.add_script_tag(content=axe_source())
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        assert [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]] == []
        shared.scroll_into_view_if_needed()
        shot(page, "reports-print")
    finally:
        context.close()
