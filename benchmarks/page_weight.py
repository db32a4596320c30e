"""How heavy the chat page is as sent: HTML, CSS, scripts and the Socket.IO client, gzipped.

Every part is counted once: what the page links to (stylesheets, scripts, module preloads, pictures),
and every ES module those scripts import, followed from module to module.

    python benchmarks/page_weight.py [--lang cy] [--easy-read] [--json]

Weight, not time: bytes are the same on any machine, so one run is the figure. The budget is 40 KB
(issue 3: old tablets on weak connections). Exits 1 if the page is over budget.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET = 40 * 1024
ASSET = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*\bhref|img[^>]*\bsrc)="(/static/[^"]+)"')
# `import ... from "./x.js"` (over several lines too) and `import "./x.js"`.
IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]"""
    r"""|^\s*import\s*['"]([^'"]+)['"]""",
    re.M,
)


def measure(lang: str = "en", easy_read: bool = False) -> dict:
    """Open a fresh invitation's chat page and weigh everything it loads, as sent (gzip)."""
    from app import create_app
    from app.cases.services import create_invitation
    from config import TestConfig

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/weight.sqlite3")
        with app.app_context():
            from app.staff.teams import create_team, create_user

            create_team("Weight team", "duty@weight.example")
            create_user("worker@weight.example", "worker", "Weight team", "a long enough password")
            code = create_invitation("WEIGHT-1", 1, language=lang, worker="worker@weight.example").code
        client = app.test_client()
        client.get(f"/s/{code}")
        gzip = {"Accept-Encoding": "gzip"}
        if easy_read:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/chat").text)[1]
            client.post("/chat/settings", data={"csrf_token": token, "easy_read": "on"})
        page = client.get("/chat", headers=gzip)
        parts = {"/chat (HTML)": _sent(page)}
        html = client.get("/chat").get_data(as_text=True)
        todo = list(dict.fromkeys(ASSET.findall(html)))
        while todo:
            url = todo.pop(0)
            if url in parts:
                continue
            parts[url] = _sent(client.get(url, headers=gzip))
            if url.endswith(".js"):
                todo.extend(_imports(url, client.get(url).get_data(as_text=True)))
        with app.app_context():
            from app import db

            db.engine.dispose()
    total = sum(parts.values())
    return {"lang": lang, "parts": parts, "total": total, "budget": BUDGET, "within": total <= BUDGET}


def _imports(url: str, source: str) -> list[str]:
    """The modules a script imports, as URLs (relative specifiers resolved against the script's)."""
    return [urljoin(url, a or b) for a, b in IMPORT.findall(source)]


def _sent(response) -> int:
    assert response.status_code == 200, response.status_code
    return len(response.get_data())  # the body as sent: compressed when the server compressed it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en")
    parser.add_argument("--easy-read", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.lang, args.easy_read)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for url, size in result["parts"].items():
            print(f"{size / 1024:7.1f} KB  {url}")
        verdict = f"{'within' if result['within'] else 'OVER'} the {BUDGET // 1024} KB budget"
        print(f"{result['total'] / 1024:7.1f} KB  total, gzip as sent ({verdict})")
    return 0 if result["within"] else 1


if __name__ == "__main__":
    sys.exit(main())
