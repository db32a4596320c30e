"""Configuration read from the environment.

The embedded default is SQLite under ``instance/`` so that a newcomer needs nothing else installed.
Set ``DATABASE_URL`` for PostgreSQL and ``SOCKETIO_MESSAGE_QUEUE`` (a Redis URL) when several server
processes share the load.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs still say postgres://, which SQLAlchemy 2 no longer accepts.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return "sqlite:///" + str(ROOT / "instance" / "msp.sqlite3")


class Config:
    """Settings for a real deployment; every secret comes from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # A database error's message must never carry what a person typed into the logs.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    DIALOGUE_DIR = os.environ.get("DIALOGUE_DIR", str(ROOT / "dialogues"))
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "locales")
    BABEL_DEFAULT_LOCALE = "en"
    # Offered languages, in picker order (app/languages.py knows each one's own name and direction).
    LANGUAGES = ["en", "cy", "pl", "ro", "pa", "ur", "ar"]
    # Where links in printed invitations point; the tablet opens this.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "28"))
    # The longest free-text answer we accept, in characters (documented in the README).
    MAX_TEXT_LENGTH = 2000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    MAX_CONTENT_LENGTH = 64 * 1024
    # Staff: sessions end after this long idle; an account locks for a while after 5 failed sign-ins.
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
    STAFF_LOCK_MINUTES = int(os.environ.get("STAFF_LOCK_MINUTES", "15"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    REMEMBER_COOKIE_DURATION = 0  # no "remember me" for staff
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["gzip"]  # static files are streamed
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/javascript", "text/javascript",
                          "image/svg+xml", "application/json"]  # fmt: skip
    # A person's browser session ends after this long without activity (WCAG 2.2.1: they are warned
    # two minutes before and can ask for more time). Their answers are kept either way.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "20"))
    SESSION_WARN_SECONDS = 120
    # "Exit this page" goes here: a neutral page that gives nothing away.
    EXIT_URL = os.environ.get("EXIT_URL", "https://www.bbc.co.uk/weather")
    # "I need help now": shown calmly, in this order. The council's own numbers come from the
    # environment; the national ones are free and open day and night.
    HELP_CONTACTS = [
        {"kind": "emergency", "number": "999"},
        {"kind": "council", "number": os.environ.get("COUNCIL_PHONE", "0300 123 4567")},
        {"kind": "council_out_of_hours",
         "number": os.environ.get("COUNCIL_OUT_OF_HOURS_PHONE", "0300 123 4568")},
        {"kind": "domestic_abuse", "number": "0808 2000 247"},
        {"kind": "samaritans", "number": "116 123"},
    ]  # fmt: skip


class DevelopmentConfig(Config):
    """The newcomer's demo: a fixed development key and cookies over plain http."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False


class TestConfig(Config):
    """Tests: a throw-away database chosen by the fixture, plain http cookies."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
