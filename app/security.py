"""Security headers on every response, and the bounds of an id taken from a URL.

The Content-Security-Policy allows no inline or eval script and no other origin: every script, style
and image is served from ``static/``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# The largest id any table holds: a 32-bit signed integer, the narrowest primary key (PostgreSQL's
# INTEGER). A bigger number in a URL or an event is no row: "not found", never a database error.
MAX_ID = 2**31 - 1


def is_id(value) -> bool:
    """Whether a value from the wire could be a row's id (an int, not a bool, within bounds)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


class IdConverter(IntegerConverter):
    """``<id:case_id>``: a positive whole number no bigger than ``MAX_ID``; anything else is a 404.

    Not found is raised here rather than Werkzeug's ``ValidationError``, which would make the same
    URL a 405 when another rule (another method) shares its path."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound()
        return number


def register_id_converter(app: Flask) -> None:
    """Make ``<id:...>`` known to the app's URL map (before any blueprint that uses it)."""
    app.url_map.converters.setdefault("id", IdConverter)


def content_security_policy(exit_url: str) -> str:
    """The policy for every page. "Exit this page" without JavaScript is a form whose answer
    redirects to the neutral page, and browsers check form-action on that redirect too."""
    parts = urlsplit(exit_url)
    exit_origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {exit_origin}".strip(),
            "frame-ancestors 'none'",
        ]
    )


def baseline_headers(csp: str) -> list[tuple[str, str]]:
    """The headers every response carries unless it says otherwise."""
    return [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cache-Control", "no-store"),
    ]


class HeadersMiddleware:
    """WSGI middleware: add each baseline header a response lacks, keeping any the app set.

    Flask's ``after_request`` never sees what python-engineio's middleware answers itself (the
    Socket.IO polling responses carry a person's turns), so the headers are also added here, around
    everything the app serves."""

    def __init__(self, wsgi_app, headers: list[tuple[str, str]]):
        self.wsgi_app = wsgi_app
        self.headers = headers

    def __call__(self, environ, start_response):
        def start(status, response_headers, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            missing = [(name, value) for name, value in self.headers if name.lower() not in present]
            return start_response(status, list(response_headers) + missing, exc_info)

        return self.wsgi_app(environ, start)


def register_headers(app: Flask) -> None:
    """Add the security headers, and forbid caching of every page that is not a static file.

    Called once the Socket.IO middleware is in place, so that the WSGI wrapper is around it too."""

    csp = content_security_policy(app.config["EXIT_URL"])

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not response.headers.get("Cache-Control") or response.mimetype == "text/html":
            # Pages may show a person's answers: never keep them in a cache or the back button.
            response.headers["Cache-Control"] = "no-store"
        return response

    app.wsgi_app = HeadersMiddleware(app.wsgi_app, baseline_headers(csp))
