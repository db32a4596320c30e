"""The session a Socket.IO event sees: the connection's own, without opening the cookie again.

Flask-SocketIO keeps a copy of the browser's session for each connection (``saved_session`` in the
connection's environ, made at its first event) and, on every later event, puts that copy in place
of the session Flask has just opened from the cookie. Opening it (building the signing serializer,
parsing the cookie header, checking the signature, decoding it) was work thrown away at once, on
every answer. Pages, and a connection's first event, open the cookie as Flask always does.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        saved = request.environ.get("saved_session")
        if saved is not None:
            return saved  # a Socket.IO event of a connection that has its own copy already
        return super().open_session(app, request)
