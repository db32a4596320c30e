"""The chat page stays light: at most 40 KB as sent (gzip), Socket.IO client included.

Bytes, not seconds: the figure is the same on any machine. benchmarks/page_weight.py prints it.
The chat's script is sent as one minified module built from its ES modules (`npm run build`); the
built file is committed, and a test here builds it again and compares.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "static/js/dist/chat.min.js"
sys.path.insert(0, str(ROOT / "benchmarks"))

from page_weight import BUDGET, measure  # noqa: E402


@pytest.mark.parametrize("lang, easy_read", [("en", False), ("ar", False), ("cy", True)])
def test_the_chat_page_is_within_40_kb_as_sent(lang, easy_read):
    result = measure(lang, easy_read)
    assert "/static/vendor/socket.io.esm.min.js" in result["parts"]
    assert "/" + BUNDLE in result["parts"]  # the bundle, not the modules it is built from
    assert not [url for url in result["parts"] if url.startswith("/static/js/chat")], result["parts"]
    assert result["total"] <= BUDGET, result["parts"]


def test_everything_is_compressed_and_served_from_here(app, client, invite):
    client.get(f"/s/{invite()}")
    html = client.get("/chat").get_data(as_text=True)
    # No third-party origin: no CDN, no web font, nothing loaded from elsewhere.
    assert re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html) == []
    for url in ("/static/css/app.css", "/" + BUNDLE, "/static/vendor/socket.io.min.js"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("Content-Encoding") == "gzip", url


def test_the_committed_chat_bundle_is_built_from_the_sources_as_they_are():
    """`npm run build` again, to standard output: the same bytes as the committed bundle."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    assert esbuild.exists(), "esbuild is missing: run `npm ci` at the repository root (make test does)"
    args = shlex.split(json.loads((ROOT / "package.json").read_text())["scripts"]["build"])
    assert args[0] == "esbuild" and f"--outfile={BUNDLE}" in args, args
    built = subprocess.run(
        [str(esbuild), *(a for a in args[1:] if not a.startswith("--outfile="))],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    stale = f"{BUNDLE} is out of date: run `npm run build` and commit it"
    assert built == (ROOT / BUNDLE).read_bytes(), stale
