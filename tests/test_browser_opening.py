"""The opening of Part 1 as a person sees it, in real headless Chromium, in English, Welsh and
Arabic, in the standard words and in Easy Read: the welcome says how long it takes (measured from
the dialogue), "Shall we start?" says answering is a choice, how long answers are kept and where the
privacy notice is, and offers yes / not now / talk to someone first; then the first question is what
matters to the person. axe-core finds nothing on any of them. Screenshots: opening-<lang>-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest
from test_browser_access import axe, card, check, close_settings, new_context, open_settings  # noqa: F401

from app.dialogue.duration import measure
from browser_support import CHROMIUM, PRIVACY_NOTICE_URL, shot

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def live(page, step):
    expect(card(page).locator(f'form[data-step="{step}"]')).to_be_visible(timeout=10_000)


def easy_read(page, on: bool) -> None:
    """Switch Easy Read on or off in the settings panel, and wait for the card to be redrawn in
    its other words (whatever the language)."""
    before = card(page).locator("form[data-step]").inner_text()
    form = open_settings(page)
    form.locator(f"#setting-easy_read-{'on' if on else 'off'}").check()
    easy = re.compile(r"\bapp-easy-read\b")
    html = page.locator("html")
    expect(html).to_have_class(easy) if on else expect(html).not_to_have_class(easy)
    close_settings(page)
    expect(card(page).locator("form[data-step]")).not_to_have_text(before, timeout=10_000)


@pytest.mark.parametrize("lang", ["en", "cy", "ar"])
def test_the_opening_in_standard_words_and_easy_read(server, browser, axe, registry, lang):  # noqa: F811
    invitation = server.invite(f"OPEN-{lang}", name=None, language=lang)
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        expect(page.locator("html")).to_have_attribute("lang", lang)
        live(page, "welcome")
        said = card(page).inner_text()
        assert re.search(r"\d+", said), said  # the time it takes, in minutes
        if lang == "en":
            # Who answers is not known yet: the longest way, for whoever it may be, rounded up.
            minutes = measure(registry["part1"], respondent=None).minutes
            assert f"It takes about {minutes} minutes." in said
            assert "We will start with what matters to you" in said
        shot(page, f"opening-{lang}-01-welcome")
        check(page, axe, f"the welcome ({lang})")
        easy_read(page, True)
        live(page, "welcome")
        shot(page, f"opening-{lang}-02-welcome-easy-read")
        check(page, axe, f"the welcome in Easy Read ({lang})")
        easy_read(page, False)

        card(page).locator('form[data-step="welcome"] button[type="submit"]').click()
        live(page, "consent")
        form = card(page).locator('form[data-step="consent"]')
        values = form.locator('input[name="value"]').evaluate_all("inputs => inputs.map(i => i.value)")
        assert values == ["yes", "not_now", "talk_first"]
        privacy = card(page).locator('[data-role="privacy"] a')
        expect(privacy).to_have_attribute("href", PRIVACY_NOTICE_URL)
        if lang == "en":
            expect(card(page)).to_contain_text("Answering is your choice.")
            expect(card(page).locator('[data-role="privacy"]')).to_contain_text("6 years")
            expect(form).to_contain_text("I'd like to talk to someone first")
        shot(page, f"opening-{lang}-03-consent")
        check(page, axe, f"Shall we start? ({lang})")
        easy_read(page, True)
        live(page, "consent")
        if lang == "en":
            expect(card(page)).to_contain_text("You do not have to answer. It is your choice.")
            expect(form).to_contain_text("I want to talk to someone first")  # its Easy Read label
        expect(card(page).locator('[data-role="privacy"] a')).to_have_attribute("href", PRIVACY_NOTICE_URL)
        if lang != "en":  # every Easy Read label translated: none is left in English
            english = {o.easy for o in registry["part1"].spec.steps["consent"].options}
            shown = set(form.locator(".app-option__label").all_inner_texts())
            assert len(shown) == 3 and not shown & english, shown
        shot(page, f"opening-{lang}-04-consent-easy-read")
        check(page, axe, f"Shall we start? in Easy Read ({lang})")
        easy_read(page, False)

        form.locator('input[value="yes"]').check()
        form.locator('button[type="submit"]').click()
        live(page, "who")
        who = card(page).locator('form[data-step="who"]')
        who.locator('input[value="self"]').check()
        who.locator('button[type="submit"]').click()
        live(page, "matters")
        if lang == "en":
            expect(card(page).locator("h1")).to_contain_text("What matters most to you at the moment?")
        shot(page, f"opening-{lang}-05-what-matters")
        check(page, axe, f"what matters ({lang})")
    finally:
        context.close()
