"""The chat page stays light: at most 60 KB as sent (gzip), Socket.IO client included.

Bytes, not seconds: the figure is the same on any machine. benchmarks/page_weight.py prints it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from page_weight import BUDGET, measure  # noqa: E402


@pytest.mark.parametrize("lang, easy_read", [("en", False), ("ar", False), ("cy", True)])
def test_the_chat_page_is_within_60_kb_as_sent(lang, easy_read):
    result = measure(lang, easy_read)
    assert "/static/vendor/socket.io.esm.min.js" in result["parts"]
    assert result["total"] <= BUDGET, result["parts"]


def test_everything_is_compressed_and_served_from_here(app, client, invite):
    client.get(f"/s/{invite()}")
    html = client.get("/chat").get_data(as_text=True)
    # No third-party origin: no CDN, no web font, nothing loaded from elsewhere.
    assert re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html) == []
    for url in ("/static/css/app.css", "/static/js/chat.js", "/static/vendor/socket.io.min.js"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("Content-Encoding") == "gzip", url
