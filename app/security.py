"""Security headers on every response.

The Content-Security-Policy allows no inline or eval script and no other origin: every script, style
and image is served from ``static/``.
"""

from __future__ import annotations

from flask import Flask

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register_headers(app: Flask) -> None:
    """Add the security headers, and forbid caching of every page that is not a static file."""

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not response.headers.get("Cache-Control") or response.mimetype == "text/html":
            # Pages may show a person's answers: never keep them in a cache or the back button.
            response.headers["Cache-Control"] = "no-store"
        return response
