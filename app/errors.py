"""When the database cannot answer in time (busy, locked, or away): a calm 503 page at once.

A request waits at most ``DB_WAIT_SECONDS`` for a connection, and as long again to write
(app/database.py), then lands here rather than queueing: the person is told, truthfully, that
nothing already saved is lost and to try again shortly. Only the error's type is logged, never
its message (which may quote what was being written)."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request, url_for
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from . import db
from .database import busy_log

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


def register_errors(app: Flask) -> None:
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, _unavailable)


def _unavailable(error):
    db.session.rollback()
    busy_log.note(log, error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    try:
        page = render_template("unavailable.html", again=_again())
    except Exception as exc:  # the page itself may need the database (a staff member's account)
        log.warning("database unavailable page fell back to text: %s", type(exc).__name__)
        return "The service is busy. Please try again in a moment.", 503, headers
    return page, 503, headers


def _again() -> str:
    """Where "Try again" goes: the same page for a GET, else the page the form came from."""
    if request.method == "GET":
        return request.path
    if request.path.startswith("/staff/"):
        return url_for("staff.home")
    return url_for("conversation.chat")
