"""Wales in real headless Chromium, on a real server with JURISDICTION=wales: the Active Offer on the
start page and before the first question (WCAG 2.2 AA by axe-core, Welsh first, each part marked
with its language), and Wales's help lines."""

from __future__ import annotations

from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest
from test_browser_access import axe, check, new_context, wait_live_step, without_scripts  # noqa: F401  (axe: a fixture)

from browser_support import CHROMIUM, Server, shot

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def wales(tmp_path_factory):
    """A server of its own, in Wales (the session's shared one is in England)."""
    srv = Server(tmp_path_factory.mktemp("wales-server"))
    srv.env["JURISDICTION"] = "wales"
    srv.app  # noqa: B018 - the schema is made here, before the server starts
    srv.start()
    yield srv
    srv.close()


def test_the_start_page_offers_welsh_first_and_the_choice_is_kept(wales, browser, axe):  # noqa: F811
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(wales.base_url + "/")
        offer = page.locator('[data-role="welsh-offer"]')
        expect(offer).to_be_visible()
        expect(offer.locator('span[lang="cy"]')).to_have_text(
            "Hoffech chi ddefnyddio'r Gymraeg neu'r Saesneg?"
        )
        buttons = offer.locator("button")
        expect(buttons.nth(0)).to_have_text("Cymraeg")
        expect(buttons.nth(1)).to_have_text("English")
        check(page, axe, "the Welsh start page with the offer")
        buttons.nth(0).click()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        expect(page.locator('[data-role="welsh-offer"]')).to_have_count(0)
        expect(page.locator("#code")).to_be_visible()
        check(page, axe, "the start page in Welsh, the offer answered")
        page.goto(wales.base_url + "/help")
        expect(page.locator('a[href="tel:08088010800"]')).to_be_visible()  # Live Fear Free
        expect(page.locator(".app-contact--samaritans .app-contact__label")).to_contain_text("Y Samariaid")
        check(page, axe, "the help page in Wales, in Welsh")
    finally:
        context.close()


def test_by_the_link_welsh_is_offered_before_the_first_question(wales, browser, axe):  # noqa: F811
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(wales.invite("WB-1")["url"])
        heading = page.locator("h1#welsh-offer-title")
        expect(heading).to_be_visible()
        expect(page.locator('form[data-step="welcome"]')).to_have_count(0)
        check(page, axe, "the offer of Welsh before the first question")
        page.locator('[data-role="welsh-offer"] button[value="en"]').click()
        assert wait_live_step(page, "welcome") == "welcome"
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()


def _welsh_by_the_link(wales, browser, case, javascript: bool):
    context = new_context(browser)
    if not javascript:
        without_scripts(context)
    page = context.new_page()
    page.goto(wales.invite(case, name=None)["url"])
    page.locator('[data-role="welsh-offer"] button[value="cy"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    return context, page


@pytest.mark.parametrize("javascript", [True, False], ids=["chat", "no-javascript"])
def test_in_wales_the_conversation_in_welsh_offers_the_ipa_and_passes_axe(wales, browser, axe, javascript):  # noqa: F811
    """Wales mode, Welsh accepted: the welcome, "Shall we start?" and who is answering in Welsh, and
    a representative offered the Independent Professional Advocate, not the Care Act's advocate;
    with the chat script and without it."""
    context, page = _welsh_by_the_link(wales, browser, f"WB-{'js' if javascript else 'nojs'}", javascript)
    if javascript:
        form = page.locator('[data-role="current"] form[data-step]')
        submit = form.locator('button[type="submit"]').first
    else:
        form = page.locator('form[data-role="question"]')
        submit = form.locator('button[value="answer"]')

    def step() -> str:
        if javascript:
            return form.get_attribute("data-step")
        return form.locator('input[name="step"]').input_value()

    def send(value=None) -> str:
        before = step()
        if value is not None:
            form.locator(f'input[name="value"][value="{value}"]').check()
        submit.click()
        page.wait_for_function(
            "([js, before]) => { const f = js ? document.querySelector('[data-role=current] form[data-step]')"
            " : document.querySelector('form[data-role=question]');"
            " if (!f) return false;"
            " const now = js ? f.dataset.step : f.querySelector('input[name=step]').value;"
            " return now !== before; }",
            arg=[javascript, before],
            timeout=10_000,
        )
        return step()

    mode = "with JavaScript" if javascript else "without JavaScript"
    try:
        expect(form).to_be_visible(timeout=10_000)
        assert step() == "welcome"
        check(page, axe, f"the welcome in Welsh, in Wales, {mode}")
        assert send() == "consent"
        expect(page.locator("main")).not_to_contain_text("Shall we start?")
        check(page, axe, f"Shall we start? in Welsh, in Wales, {mode}")
        assert send("yes") == "who"
        assert send("representative") == "role"
        offered = form.locator('input[name="value"]').evaluate_all("inputs => inputs.map(i => i.value)")
        assert "ipa" in offered and "care_act_advocate" not in offered, offered
        expect(form).to_contain_text("Eiriolwr Proffesiynol Annibynnol")
        check(page, axe, f"the roles in Welsh, in Wales, {mode}")
        shot(page, f"wales-cy-roles-{'chat' if javascript else 'no-js'}")
        assert send("ipa") == "name"
    finally:
        context.close()
