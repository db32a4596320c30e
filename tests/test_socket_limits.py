"""A client cannot make the server read a huge WebSocket message: past MAX_SOCKET_MESSAGE_BYTES the
connection is closed unread (checked against a real served instance, where the buffering happens)."""

from __future__ import annotations

import threading
import time

import pytest
import simple_websocket

from browser_support import WebSocketClient

pytestmark = pytest.mark.server


def open_socket(server) -> WebSocketClient:
    url = server.base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = WebSocketClient.connect(url)
    assert ws.receive(timeout=5).startswith("0{")  # Engine.IO's open packet: the server answers
    return ws


def send_huge(ws, size: int) -> None:
    """Send from a thread: the client blocks while the server refuses to read, until it closes."""

    def send():
        try:
            ws.send("4" + "x" * size)  # an Engine.IO message packet, far over the limit
        except (OSError, simple_websocket.ConnectionClosed):
            pass  # the server closed while the client was still sending: that is the point

    threading.Thread(target=send, daemon=True).start()


def test_a_50_mb_websocket_message_is_refused_unread(server):
    open_socket(server).close()  # warm up the server's WebSocket path first
    before = server.rss_kb()  # the gunicorn worker's, with its parent's
    ws = open_socket(server)
    send_huge(ws, 50 * 1024 * 1024)
    with pytest.raises(simple_websocket.ConnectionClosed) as closed:
        for _ in range(100):
            ws.receive(timeout=0.2)
    assert closed.value.reason == 1009  # "message too big"
    time.sleep(0.5)
    assert server.rss_kb() - before <= 5 * 1024, "the server buffered the message"
    # The server still serves everyone else.
    open_socket(server).close()


def test_a_message_within_the_limit_is_read(server):
    ws = open_socket(server)
    padding = "x" * 30_000  # large, but within the limit
    ws.send('40/chat,{"pad":"' + padding + '"}')  # a namespace connect, with no code
    # Read and answered: refused calmly, as a connect without a code is.
    assert ws.receive(timeout=5).startswith("44/chat,")
    ws.close()
