"""WCAG 2.2 AA, checked in real headless Chromium: axe-core on every page a person sees, in English,
Welsh and Arabic; every control at least 44 x 44 CSS px; the whole of Part 1 with the keyboard alone.

axe-core comes from npm (``npm ci`` at the repository root installs the version in package-lock.json
into node_modules/, which git ignores). If it is missing these tests fail and say how to install it:
they never skip. It is injected with ``add_script_tag`` into contexts made with ``bypass_csp=True``
(the app's Content-Security-Policy allows no inline script, rightly).

Pages and states checked, in each language: the start page (and with an error, and after an idle
time-out), the help page, the stopped page; the chat at each kind of question (welcome/none, choice,
multi, text, check your answers) and finished; a refused answer; the settings panel with Easy Read,
larger text and high contrast on; the help dialog and the idle dialog open; and the same question
pages with no JavaScript at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import playwright.sync_api as playwright_api  # noqa: E402  (a missing Playwright fails, never skips)
import pytest

from browser_support import (  # noqa: E402
    CHROMIUM,
    axe_source,
    shot,
)

expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

LANGUAGES = ["en", "cy", "ar"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TABLET = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}
MIN_TARGET = 44


@pytest.fixture(scope="module")
def axe():
    return axe_source()  # fails, with the command to fix it, if axe-core is not installed


# ``server`` (tests/conftest.py): the session's real server, emptied before each test.


def new_context(browser, viewport=TABLET, **kwargs):
    # reduced motion: axe measures colours, not a bubble half-way through fading in
    return browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        bypass_csp=True,
        reduced_motion="reduce",
        **kwargs,
    )


# -- axe --------------------------------------------------------------------------------------------


def check(page, axe, where: str) -> None:
    """Run axe-core on the page as it is now; zero violations, or a readable list of them."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    problems = []
    for violation in result["violations"]:
        for node in violation["nodes"][:5]:
            problems.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"    at {node['target']}: {node['html'][:160]}\n"
                f"    {node.get('failureSummary', '')[:300]}"
            )
    assert not problems, f"axe found problems on {where}:\n" + "\n".join(problems)


# -- driving pages ---------------------------------------------------------------------------------


def card(page):
    return page.locator('[data-role="current"]')


def wait_live_step(page, step=None):
    """Wait for the chat script to have drawn a question (any, or this one)."""
    selector = f'form[data-step="{step}"]' if step else "form[data-step]"
    expect(card(page).locator(selector)).to_be_visible(timeout=10_000)
    return card(page).locator("form[data-step]").get_attribute("data-step")


def kind_of(page) -> str:
    form = card(page).locator("form[data-step]")
    if form.locator('input[type="radio"]').count():
        return "choice"
    if form.locator('input[type="checkbox"]').count():
        return "multi"
    if form.locator("textarea").count():
        return "text"
    if form.locator(".app-summary").count():
        return "review"
    return "none"


def answer_live(page) -> None:
    """Give a plain answer to the question on screen (first option, or a few words) and send it."""
    kind = kind_of(page)
    step = card(page).locator("form[data-step]").get_attribute("data-step")
    form = card(page).locator("form[data-step]")
    if kind in ("choice", "multi"):
        form.locator('input[name="value"]').first.check()
    elif kind == "text":
        form.locator("textarea").fill("Some words of my own")
    form.locator('button[type="submit"]').click()
    expect(card(page).locator(f'form[data-step="{step}"]')).to_have_count(0, timeout=10_000)


def open_settings(page):
    summary = page.locator("#settings-summary")
    if page.locator("#settings-panel").get_attribute("open") is None:
        summary.click()
    return page.locator('[data-role="settings-form"]')


def close_settings(page):
    if page.locator("#settings-panel").get_attribute("open") is not None:
        page.locator("#settings-summary").click()


def choose_language(page, lang):
    """The start page in ``lang``: with the picker, as a person would."""
    if lang != "en":
        page.locator(f'.app-language-choice button[lang="{lang}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", lang)


# -- the pages around the chat ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_start_help_stopped_and_timed_out_pages(server, browser, axe, lang):
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(server.base_url + "/")
        choose_language(page, lang)
        check(page, axe, f"the start page ({lang})")

        page.locator("#code").fill("NOT-A-CODE")
        page.locator('form[action="/start"] button[type="submit"]').click()
        expect(page.locator(".app-error-summary")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        check(page, axe, f"the start page with an error ({lang})")

        page.goto(server.base_url + "/help")
        expect(page.locator('a[href="tel:999"]')).to_be_visible()
        check(page, axe, f"the help page, before any code ({lang})")

        invitation = server.invite(f"AX-pages-{lang}", language=lang)
        page.goto(invitation["url"])
        wait_live_step(page, "welcome")
        page.goto(server.base_url + "/help")  # GET: shows contacts, records nothing
        expect(page.locator(".app-help .app-button--secondary")).to_be_visible()
        check(page, axe, f"the help page, in a conversation ({lang})")
        page.locator('.app-help form[action="/stop"] button').click()
        expect(page.locator(".app-stopped")).to_be_visible()
        check(page, axe, f"the stopped page ({lang})")

        page.goto(invitation["url"])
        wait_live_step(page, "welcome")
        server.idle_for(25)
        page.goto(server.base_url + "/chat")  # the server's own time-out notice
        expect(page.locator('[data-role="notice"]')).to_be_visible()
        check(page, axe, f"the start page after an idle time-out ({lang})")
    finally:
        context.close()


# -- the chat, at every kind of question, with JavaScript ------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_chat_every_kind_of_question_and_the_end(server, browser, axe, lang):
    invitation = server.invite(f"AX-chat-{lang}", language=lang)
    context = new_context(browser)
    page = context.new_page()
    seen = set()
    try:
        page.goto(invitation["url"])
        step = wait_live_step(page, "welcome")
        check(page, axe, f"the welcome ({lang})")

        # The help dialog, open.
        page.locator('[data-action="help"]').click()
        expect(page.get_by_role("dialog")).to_be_visible()
        check(page, axe, f"the help dialog ({lang})")
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_be_hidden()

        answer_live(page)
        step = wait_live_step(page)
        # A refused answer: Continue with nothing chosen.
        card(page).locator('form[data-step] button[type="submit"]').click()
        expect(card(page).get_by_role("alert")).to_be_visible()
        check(page, axe, f"a refused answer at {step} ({lang})")

        for _ in range(60):
            step = wait_live_step(page)
            kind = kind_of(page)
            if kind not in seen:
                seen.add(kind)
                check(page, axe, f"a {kind} question, {step} ({lang})")
            if kind == "multi" and "settings" not in seen:
                seen.add("settings")
                html = page.locator("html")
                form = open_settings(page)
                check(page, axe, f"the settings panel ({lang})")
                form.locator("#setting-easy_read-on").check()
                expect(html).to_have_class(re.compile(r"\bapp-easy-read\b"))
                close_settings(page)
                check(page, axe, f"Easy Read at {step} ({lang})")
                form = open_settings(page)
                form.locator("#setting-easy_read-off").check()
                form.locator("#setting-text_size-larger").check()
                form.locator("#setting-high_contrast-on").check()
                expect(html).to_have_class(re.compile(r"\bapp-contrast\b"))
                check(page, axe, f"high contrast and larger text, panel open ({lang})")
                close_settings(page)
                check(page, axe, f"high contrast and larger text at {step} ({lang})")
                form = open_settings(page)
                form.locator("#setting-text_size-normal").check()
                form.locator("#setting-high_contrast-off").check()
                expect(html).not_to_have_class(re.compile(r"\bapp-contrast\b"))
                close_settings(page)
            if kind == "review":
                break
            answer_live(page)
        assert {"choice", "multi", "text", "review"} <= seen, seen

        card(page).locator('form[data-step] button[type="submit"]').click()
        expect(page.locator(".app-panel__title")).to_be_visible(timeout=10_000)
        check(page, axe, f"the finished chat ({lang})")
        page.reload()
        expect(page.locator(".app-panel__title")).to_be_visible()
        check(page, axe, f"the finished page ({lang})")
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_idle_dialog_and_time_out(server, browser, axe, lang):
    invitation = server.invite(f"AX-idle-{lang}", language=lang)
    context = new_context(browser)
    # The warning after 2 s of no activity, the time-out 4 s later (the test hook of static/js/chat/idle.js).
    context.add_init_script("window.__appIdleSeconds = 6; window.__appWarnSeconds = 4;")
    page = context.new_page()
    try:
        page.goto(invitation["url"])
        wait_live_step(page, "welcome")
        dialog = page.locator('[data-role="idle-dialog"]')
        expect(dialog).to_be_visible(timeout=10_000)
        check(page, axe, f"the idle dialog ({lang})")
        expect(page.locator('[data-role="notice"]')).to_be_visible(timeout=15_000)
        check(page, axe, f"the time-out notice in the chat ({lang})")
    finally:
        context.close()


# -- the same question pages without JavaScript ----------------------------------------------------


def without_scripts(context):
    """The page exactly as the server sends it, with none of its own scripts running (as on a
    locked-down browser), while axe itself can still be injected."""
    context.route(re.compile(r".*/static/(js|vendor)/.*"), lambda route: route.abort())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_question_pages_without_javascript(server, browser, axe, lang):
    invitation = server.invite(f"AX-nojs-{lang}", language=lang)
    context = new_context(browser)
    without_scripts(context)
    page = context.new_page()
    step_input = page.locator('form[data-role="question"] input[name="step"]')
    try:
        page.goto(invitation["url"])
        expect(page.locator("html")).to_have_class(re.compile(r"\bapp-no-js\b"))
        expect(step_input).to_have_value("welcome")
        check(page, axe, f"the welcome without JavaScript ({lang})")
        page.locator("#settings-summary").click()
        check(page, axe, f"the settings panel without JavaScript ({lang})")
        page.locator("#settings-summary").click()

        page.locator('form[data-role="question"] button[value="answer"]').click()
        expect(step_input).not_to_have_value("welcome")
        page.locator('form[data-role="question"] button[value="answer"]').click()  # nothing chosen
        expect(page.locator(".app-error-summary")).to_be_visible()
        check(page, axe, f"a question with an error, without JavaScript ({lang})")

        seen = set()
        for _ in range(60):
            kind = page.locator('form[data-role="question"] input[name="kind"]').input_value()
            step = step_input.input_value()
            if kind not in seen:
                seen.add(kind)
                check(page, axe, f"a {kind} question without JavaScript, {step} ({lang})")
            if kind == "review":
                break
            form = page.locator('form[data-role="question"]')
            if kind in ("choice", "multi"):
                form.locator('input[name="value"]').first.check()
            elif kind == "text":
                form.locator("textarea").fill("Some words of my own")
            form.locator('button[value="answer"]').click()
            expect(step_input).not_to_have_value(step)
        assert {"choice", "multi", "text", "review"} <= seen, seen

        page.locator('[data-action="help"]').click()  # POST: records, and shows the contacts
        expect(page.locator('a[href="tel:999"]')).to_be_visible()
        check(page, axe, f"the help page after asking, without JavaScript ({lang})")
        page.locator('.app-help a.app-button[href="/chat"]').click()
        page.locator('form[data-role="question"] button[value="answer"]').click()
        expect(page.locator(".app-panel__title")).to_be_visible()
        check(page, axe, f"the finished page without JavaScript ({lang})")
    finally:
        context.close()


# -- targets at least 44 x 44 CSS px ---------------------------------------------------------------

TARGETS = """
() => Array.from(document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]'))
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden'
                  && !el.closest('[hidden], dialog:not([open])'))
  .map((el) => {
    const r = el.getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 100), width: r.width, height: r.height};
  })
"""


def small_targets(page) -> list[dict]:
    return [t for t in page.evaluate(TARGETS) if t["width"] < MIN_TARGET or t["height"] < MIN_TARGET]


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_every_control_on_the_chat_page_is_at_least_44px(server, browser, viewport):
    invitation = server.invite(f"AX-size-{viewport['width']}", language="cy")
    context = new_context(browser, viewport=viewport, has_touch=True, is_mobile=True)
    context.add_init_script(
        "Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {"
        "getVoices: () => [{name: 'Gwyneth', lang: 'cy-GB'}], speak() {}, cancel() {},"
        "addEventListener() {}}});"
    )
    page = context.new_page()
    checked = 0
    try:
        page.goto(invitation["url"])
        wait_live_step(page, "welcome")
        open_settings(page)
        expect(card(page).locator('[data-action="read-aloud"]')).to_be_visible()
        assert not small_targets(page), small_targets(page)
        checked += len(page.evaluate(TARGETS))
        close_settings(page)
        page.locator('[data-action="help"]').click()
        expect(page.get_by_role("dialog")).to_be_visible()
        assert not small_targets(page), small_targets(page)
        page.keyboard.press("Escape")
        for _ in range(60):
            step = wait_live_step(page)
            assert not small_targets(page), (step, small_targets(page))
            checked += len(page.evaluate(TARGETS))
            if kind_of(page) == "review":
                break
            answer_live(page)
        shot(page, f"targets-{viewport['width']}-review", full_page=True)
    finally:
        context.close()
    assert checked > 100  # the check saw the page's controls, not an empty list


# -- the whole of Part 1 with the keyboard alone ---------------------------------------------------


def focused(page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
          return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '',
                  text: (el.innerText || el.value || '').trim().slice(0, 60),
                  submit: el.type === 'submit' && !!el.closest('form[data-step]'),
                  inCard: !!el.closest('[data-role=current]'),
                  heading: /^H[1-6]$/.test(el.tagName) && !!el.closest('[data-role=current]')}; }"""
    )


def tab_until(page, wanted, limit=60) -> dict:
    """Press Tab (only Tab) until the focused element is the one wanted."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"Tab never reached it; focus is on {focused(page)}")


def test_the_whole_of_part1_with_the_keyboard_alone(server, browser):
    invitation = server.invite("AX-keys", part=1)
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    steps = []
    try:
        page.goto(invitation["url"])
        wait_live_step(page, "welcome")
        # From the top of the page: skip link first, then the header's help and exit.
        page.keyboard.press("Tab")
        assert "app-skip-link" in page.evaluate("document.activeElement.className")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.action") == "help"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.action") == "exit"
        for _ in range(60):
            step = wait_live_step(page)
            steps.append(step)
            if len(steps) > 1:  # after each answer, focus is on the new question's heading
                page.wait_for_function(
                    "() => document.activeElement && /^H1$/.test(document.activeElement.tagName)"
                    " && document.activeElement.closest('[data-role=current]')"
                )
            kind = kind_of(page)
            if kind in ("choice", "multi"):
                tab_until(page, lambda f: f["inCard"] and f["name"] == "value")
                page.keyboard.press("Space")
            elif kind == "text":
                tab_until(page, lambda f: f["tag"] == "textarea")
                page.keyboard.type("Typed with the keyboard")
            tab_until(page, lambda f: f["submit"])
            page.keyboard.press("Enter")
            if kind == "review":
                break
            expect(card(page).locator(f'form[data-step="{step}"]')).to_have_count(0, timeout=10_000)
        expect(page.locator(".app-panel__title")).to_be_visible(timeout=10_000)
        page.wait_for_function("() => document.activeElement.classList.contains('app-panel__title')")
    finally:
        context.close()
    assert len(steps) > 10, steps
    conversation = server.export("AX-keys")["conversations"][0]
    assert conversation["finished_at"] is not None
