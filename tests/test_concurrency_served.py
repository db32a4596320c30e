"""Requests at the same moment on one conversation, on the plain pages (the chat without JavaScript,
or two tabs): one wins, the others are shown the page as it now is with a calm word. Never a 500,
never an answer lost or stored twice. Against a served instance: the race is between its threads."""

from __future__ import annotations

import html
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from browser_support import ChatClient, value_for

pytestmark = pytest.mark.server

ROUNDS = 6  # questions raced through, one after another
AT_ONCE = 6  # requests sent together on each


class Browser:
    """One browser: its session cookie, shared by every request it sends (two tabs, one session).

    The cookie is kept by hand: it is marked Secure, which a cookie jar would not send over http."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookie = ""
        self._lock = threading.Lock()
        self.opener = urllib.request.build_opener(NoRedirects)

    def get(self, path: str) -> tuple[int, str]:
        return self._send(path, None)

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str]:
        return self._send(path, urllib.parse.urlencode(fields).encode())

    def _send(self, path: str, data: bytes | None) -> tuple[int, str]:
        for _ in range(5):  # follow redirects, as a browser does, with the cookie
            request = urllib.request.Request(self.base_url + path, data=data)
            if self.cookie:
                request.add_header("Cookie", self.cookie)
            try:
                with self.opener.open(request, timeout=20) as response:
                    self._keep(response)
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                self._keep(error)
                if error.code not in (301, 302, 303):
                    return error.code, error.read().decode()
                path, data = urllib.parse.urlparse(error.headers["Location"]).path, None
        raise AssertionError("too many redirects")

    def _keep(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0]
            if pair.startswith("session="):
                with self._lock:
                    self.cookie = pair


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def form_of(page: str) -> dict:
    """The question form's hidden fields and its first option (or nothing, for "Continue")."""
    question = re.search(r'<form method="post" action="/chat/answer".*?</form>', page, re.S)
    assert question, page[:2000]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', question.group(0)))
    option = re.search(r'name="value" id="[^"]*" value="([^"]+)"', question.group(0))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    if option:
        fields["value"] = html.unescape(option.group(1))
    return fields


def posting(browser: Browser, path: str, token: str, *fields: tuple[str, str]):
    """A form post, ready to send: the page's token and its fields."""
    return lambda: browser.post(path, [("csrf_token", token), *fields])


def at_once(calls) -> list:
    """Run the calls on threads released together; their results in order."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        start.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_the_same_answer_sent_from_two_tabs_at_once_is_stored_once_and_never_breaks_a_page(server):
    browser = Browser(server.base_url)
    status, page = browser.get(urllib.parse.urlparse(server.invite("RACE-1")["url"]).path)
    assert status == 200
    answered = []
    for _ in range(ROUNDS):
        fields = form_of(page)
        answered.append(fields["step"])

        def send(fields=fields):
            # Each tab's form has its own answer id, as each page load gives.
            mine = {**fields, "id": str(uuid.uuid4())}
            return browser.post("/chat/answer", list(mine.items()))

        results = at_once([send] * AT_ONCE)
        statuses = [status for status, _ in results]
        assert all(status in (200, 409) for status in statuses), statuses
        # One request moved the conversation on; the others see where it is now, said calmly.
        assert statuses.count(200) >= 1, statuses
        for status, body in results:
            if status == 409:
                assert "Here is where you are now" in body or "This page changed" in body, body[:500]
        status, page = browser.get("/chat")
        assert status == 200

    answers = server.export("RACE-1")["conversations"][0]["answers"]
    # Every raced question answered exactly once, in order: none lost, none stored twice.
    assert [a["step"] for a in answers] == [s for s in answered if s in {a["step"] for a in answers}]
    assert len({a["step"] for a in answers}) == len(answers)
    assert server.log().count("Traceback") == 0


def test_settings_language_back_and_an_answer_at_once_never_give_a_500(server):
    browser = Browser(server.base_url)
    status, page = browser.get(urllib.parse.urlparse(server.invite("RACE-2")["url"]).path)
    assert status == 200
    for _ in range(ROUNDS):
        fields = form_of(page)
        token = fields["csrf_token"]
        calls = [
            lambda f=fields: browser.post("/chat/answer", list({**f, "id": str(uuid.uuid4())}.items())),
            posting(browser, "/chat/settings", token, ("text_size", "large")),
            posting(browser, "/language", token, ("lang", "en")),
            posting(browser, "/chat/settings", token, ("high_contrast", "on")),
            posting(browser, "/chat/back", token),
            lambda: browser.get("/chat"),
        ]
        results = at_once(calls)
        statuses = [status for status, _ in results]
        assert all(status in (200, 409) for status in statuses), statuses
        status, page = browser.get("/chat")
        assert status == 200
    assert server.log().count("Traceback") == 0


def test_two_sockets_answering_one_question_at_once_one_wins_the_other_is_told_calmly(server):
    code = server.invite("RACE-3")["code"]
    clients = [ChatClient(server.base_url, code) for _ in range(2)]
    try:
        winner = 0
        for _ in range(ROUNDS):
            turn = clients[winner].turn()  # the next question reaches whoever answered it
            for client in clients:
                while not client.turns.empty():
                    client.turns.get_nowait()
            step, value = turn["step"], value_for(turn)
            acks = at_once([lambda c=c, step=step, value=value: c.answer(step, value) for c in clients])
            oks = [ack for ack in acks if ack.get("ok")]
            assert len(oks) == 1, acks  # stored once
            winner = next(i for i, ack in enumerate(acks) if ack.get("ok"))
            loser = next(ack for ack in acks if not ack.get("ok"))
            assert loser["code"] in ("not_current", "busy"), loser  # never "unavailable"
    finally:
        for client in clients:
            client.close()
    answers = server.export("RACE-3")["conversations"][0]["answers"]
    assert len(answers) == ROUNDS and len({a["step"] for a in answers}) == ROUNDS
    assert server.log().count("Traceback") == 0
