"""The case-file audit in a real browser (Debian's Chromium through Playwright, a real server): a
manager draws a sample and gives a case to an auditor from another team, the auditor reads the case
file and answers the audit's questions, the manager reads the findings and agrees an action. No
axe-core violations on any of its pages; screenshots under tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest
from test_browser_staff import WCAG_TAGS
from test_reports import walk_service

from app import db
from app.cases.services import create_invitation, find_case, set_stage
from app.staff.teams import create_team, create_user
from browser_support import CHROMIUM, MANAGER, PASSWORD, WORKER, axe_source, no_horizontal_scroll, shot

expect = playwright_api.expect
AUDITOR = "auditor@elsewhere.example"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def no_violations(page) -> None:
    page.add_script_tag(content=axe_source())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    assert [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]] == []
    assert no_horizontal_scroll(page)


def sign_in(browser, server, email):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, device_scale_factor=1, bypass_csp=True
    )
    page = context.new_page()
    page.goto(server.base_url + "/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    return context, page


def test_a_case_file_audit_from_sample_to_agreed_action(server, browser):
    server.seed()
    with server.app.app_context():
        create_team("Elsewhere", "duty@elsewhere.example")
        create_user(AUDITOR, "worker", "Elsewhere", PASSWORD)
        new = create_invitation("AUD-B1", 1, respondent="self", worker=WORKER)
        walk_service(
            new.conversation.id,
            {"consent": "yes", "outcome_words": "To stay in my own home, safely"},
        )
        set_stage(find_case("AUD-B1"), "closed")
        db.session.commit()

    manager_context, manager = sign_in(browser, server, MANAGER)
    try:
        manager.get_by_role("navigation", name="Staff").get_by_role("link", name="Case-file audit").click()
        expect(manager.get_by_role("heading", level=1)).to_have_text("Case-file audit")
        manager.get_by_label("How many cases").fill("3")
        manager.get_by_role("button", name="Draw the sample at random").click()
        expect(manager.get_by_role("status")).to_contain_text(
            "You asked for 3, but only 1 case of your team closed in"
        )
        manager.get_by_label("Auditor for case AUD-B1").select_option(label=f"{AUDITOR} (worker)")
        manager.get_by_role("button", name="Assign the auditor of case AUD-B1").click()
        expect(manager.get_by_text("Auditor assigned.")).to_be_visible()
        no_violations(manager)
        shot(manager, "audit-sample", full_page=True)

        auditor_context, auditor = sign_in(browser, server, AUDITOR)
        try:
            auditor.get_by_role("navigation", name="Staff").get_by_role(
                "link", name="Case-file audit"
            ).click()
            auditor.get_by_role("link", name="Case AUD-B1").click()
            expect(auditor.get_by_role("heading", level=1)).to_have_text("Case-file audit: case AUD-B1")
            expect(auditor.get_by_text("To stay in my own home, safely").first).to_be_visible()
            no_violations(auditor)
            shot(auditor, "audit-case-file", full_page=True)
            auditor.get_by_role("link", name="Start the audit").click()
            auditor.get_by_role("button", name="Continue").click()  # the introduction
            expect(auditor.get_by_role("heading", level=1)).to_contain_text(
                "Quality of the recorded outcomes"
            )
            no_violations(auditor)
            shot(auditor, "audit-question")
            auditor.get_by_label("Good").check()
            auditor.get_by_role("button", name="Continue").click()
            for _ in range(12):  # the rest, skipped or answered, to "Check your answers" and the end
                if auditor.get_by_text("Your audit is saved").count():
                    break
                heading = auditor.get_by_role("heading", level=1).inner_text()
                if heading == "Check your answers":
                    auditor.get_by_role("button", name="Save and finish").click()
                elif "voice heard" in heading:
                    auditor.get_by_label("Partly").check()
                    auditor.get_by_role("button", name="Continue").click()
                elif heading.startswith("Your findings"):
                    auditor.get_by_role("textbox", name="Your findings").fill(
                        "Record the outcome's result in the case notes."
                    )
                    auditor.get_by_role("button", name="Continue").click()
                else:
                    auditor.get_by_role("button", name="Skip").click()
            expect(auditor.get_by_role("heading", level=1)).to_contain_text("Your audit is saved")
        finally:
            auditor_context.close()

        manager.reload()
        manager.get_by_role("link", name="Read the findings for case AUD-B1").click()
        expect(manager.get_by_text("Record the outcome's result in the case notes.")).to_be_visible()
        manager.get_by_label("The action").fill("Add the outcome's result to the closure summary")
        manager.get_by_role("button", name="Agree the action").click()
        expect(manager.get_by_text("Action agreed.")).to_be_visible()
        no_violations(manager)
        shot(manager, "audit-findings", full_page=True)

        # The reports count it: one sampled case, audited, one action not done yet.
        manager.get_by_role("navigation", name="Staff").get_by_role("link", name="Reports").click()
        audited = manager.locator('[data-breakdown="audits"]')
        expect(audited.locator('td[data-cell="audited"]')).to_have_text("1")
        expect(
            manager.locator('[data-breakdown="audit_outcomes_recorded"] td[data-cell="good"]')
        ).to_have_text("1")
        expect(manager.locator('[data-breakdown="audit_actions"] td[data-cell="open"]')).to_have_text("1")
        no_violations(manager)
        audited.scroll_into_view_if_needed()
        shot(manager, "reports-audits")
    finally:
        manager_context.close()
