"""Hardening that lives in the server process: checked against a real served instance."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.server

REQUIRED = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def fetch(url: str, data: bytes | None = None):
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def assert_hardened(headers, what: str) -> None:
    for name, value in REQUIRED.items():
        assert headers.get(name) == value, (what, name, headers.get(name))
    csp = headers.get("Content-Security-Policy") or ""
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, (what, csp)
    assert len(headers.get_all("Content-Security-Policy")) == 1, what  # added once, never twice


def test_socket_io_polling_responses_carry_the_security_headers(server):
    base = f"{server.base_url}/socket.io/?EIO=4&transport=polling"
    status, headers, body = fetch(base)
    assert status == 200
    assert_hardened(headers, "the Engine.IO handshake")
    sid = json.loads(body.decode()[1:])["sid"]
    # a namespace connect without a code (refused, calmly), then the poll that hears it
    status, headers, _ = fetch(f"{base}&sid={sid}", b"40/chat,")
    assert status == 200
    assert_hardened(headers, "a polling POST")
    status, headers, body = fetch(f"{base}&sid={sid}")
    assert status == 200 and b"/chat" in body
    assert_hardened(headers, "a polling GET")
    # an unknown session: engineio answers 400 itself
    try:
        fetch(f"{base}&sid=not-a-session")
    except urllib.error.HTTPError as refused:
        assert refused.code == 400
        assert_hardened(refused.headers, "a refused poll")
    else:
        raise AssertionError("an unknown Engine.IO session was accepted")


def test_flask_pages_keep_their_own_values(server):
    _, page, _ = fetch(f"{server.base_url}/")
    assert_hardened(page, "the start page")
    _, static, _ = fetch(f"{server.base_url}/static/css/common.css")
    assert static.get("X-Content-Type-Options") == "nosniff"
    # a static file keeps the cache header Flask gave it (the middleware only fills what is missing)
    assert static.get("Cache-Control") and len(static.get_all("Cache-Control")) == 1


def test_a_page_left_while_its_socket_is_upgrading_leaves_no_traceback(server):
    """A browser that leaves the page (or loses its signal) in the middle of Engine.IO's upgrade
    from polling to a WebSocket: it has sent the upgrade's probe and closed. Engine.IO's reply to the
    probe then goes to a closed socket and raised out of the server, and gunicorn logged it as a
    traceback. It ends as any closed socket does, and the server goes on serving."""
    import base64
    import os
    import socket
    import time
    from urllib.parse import urlparse

    from wsproto.frame_protocol import CloseReason, FrameProtocol

    base = f"{server.base_url}/socket.io/?EIO=4&transport=polling"
    _, _, body = fetch(base)
    sid = json.loads(body.decode()[1:])["sid"]
    url = urlparse(server.base_url)
    for _ in range(3):  # the close must reach the server before its reply to the probe: try a few
        start = len(server.log())
        conn = socket.create_connection((url.hostname, url.port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        conn.sendall(
            (
                f"GET /socket.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\n"
                f"Host: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        assert b" 101 " in conn.recv(4096).split(b"\r\n", 1)[0] + b" "
        frames = FrameProtocol(client=True, extensions=[])
        # The probe and the close in one write: both are read before the server can answer.
        conn.sendall(frames.send_data("2probe", fin=True) + frames.close(CloseReason.GOING_AWAY))
        time.sleep(0.3)
        conn.close()
        _, _, body = fetch(base)  # a new session: still served, and the next try's
        written = server.log()[start:]
        assert "Traceback" not in written, written[-3000:]
        assert "Socket error" not in written, written[-3000:]
        sid = json.loads(body.decode()[1:])["sid"]
