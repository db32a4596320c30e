"""Configuration read from the environment.

The embedded default is SQLite under ``instance/`` so that a newcomer needs nothing else installed.
Set ``DATABASE_URL`` for PostgreSQL and ``SOCKETIO_MESSAGE_QUEUE`` (a Redis URL) when several server
processes share the load.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


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
    # Where links in printed invitations and staff emails point; the tablet opens this.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")
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
    # Password hashing cost; empty means argon2-cffi's defaults (RFC 9106's low-memory profile).
    ARGON2_COST: dict = {}
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
    # "I need help now": the council's own numbers come from the environment (production refuses to
    # start without them); the national ones are free and open day and night. Shown in this order.
    COUNCIL_PHONE = os.environ.get("COUNCIL_PHONE")
    COUNCIL_OUT_OF_HOURS_PHONE = os.environ.get("COUNCIL_OUT_OF_HOURS_PHONE")
    HELP_NUMBERS_ARE_EXAMPLES = False
    NATIONAL_CONTACTS = [
        {"kind": "domestic_abuse", "number": "0808 2000 247"},
        {"kind": "samaritans", "number": "116 123"},
    ]

    # Mail: every urgent signal and follow-up is emailed to a named person (see app/notify/).
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")  # STARTTLS on a plain connection
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")  # TLS from the first byte (usually port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or None
    MAIL_TIMEOUT_SECONDS = 20
    # The demo prints mail to its console instead of sending it (and the person is not promised one).
    MAIL_TO_CONSOLE = False
    # An urgent signal nobody has acknowledged after this long is emailed again to the team's
    # managers and duty inbox.
    URGENT_ACK_SECONDS = int(os.environ.get("URGENT_ACK_SECONDS", "900"))
    # Every server process runs the sender: it wakes when a signal is committed, and looks anyway
    # this often. A failed send is retried with back-off that never waits longer than a minute.
    OUTBOX_SENDER = True
    OUTBOX_POLL_SECONDS = float(os.environ.get("OUTBOX_POLL_SECONDS", "5"))
    OUTBOX_MAX_BACKOFF_SECONDS = 60
    # How many rows one sender claims at a time: small, so several processes share the work.
    OUTBOX_BATCH = int(os.environ.get("OUTBOX_BATCH", "20"))
    # A sender holds a row this long while it sends; a process that died holding it lets it go.
    OUTBOX_LEASE_SECONDS = 120

    # Production (a SECRET_KEY is set) refuses to start without these, naming each one missing.
    REQUIRED_IN_PRODUCTION = ("PUBLIC_URL", "MAIL_SERVER", "MAIL_DEFAULT_SENDER", "COUNCIL_PHONE",
                              "COUNCIL_OUT_OF_HOURS_PHONE")  # fmt: skip
    DEVELOPMENT = False


class DevelopmentConfig(Config):
    """The newcomer's demo: a fixed development key, cookies over plain http, mail printed to the
    console, and the council's numbers shown as examples."""

    DEVELOPMENT = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    MAIL_TO_CONSOLE = True
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "safeguarding-demo@example.org")
    COUNCIL_PHONE = os.environ.get("COUNCIL_PHONE") or "0300 123 4567"
    COUNCIL_OUT_OF_HOURS_PHONE = os.environ.get("COUNCIL_OUT_OF_HOURS_PHONE") or "0300 123 4568"
    HELP_NUMBERS_ARE_EXAMPLES = not os.environ.get("COUNCIL_PHONE")


class TestConfig(Config):
    """Tests: a throw-away database chosen by the fixture, plain http cookies."""

    TESTING = True
    DEVELOPMENT = True
    SECRET_KEY = "test-secret"
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    PUBLIC_URL = "http://127.0.0.1:5000"
    COUNCIL_PHONE = "0300 123 4567"
    COUNCIL_OUT_OF_HOURS_PHONE = "0300 123 4568"
    HELP_NUMBERS_ARE_EXAMPLES = True
    MAIL_DEFAULT_SENDER = "safeguarding@test.example"
    # Cheap password hashing for tests that make many accounts (a real server keeps argon2-cffi's
    # defaults: see ARGON2_COST in Config).
    ARGON2_COST = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}
    # Tests run the sender themselves (``outbox.deliver_due()``), or start a real server that does.
    OUTBOX_SENDER = False
    MAIL_TIMEOUT_SECONDS = 5
