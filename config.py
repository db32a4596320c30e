"""Configuration read from the environment: every setting the app reads is declared here.

The app runs as production unless told otherwise: ``MSP_ENV=development`` (set by ``make run``) for
the demo, ``MSP_ENV=test`` for the test suite's server processes. Production refuses to start
without ``SECRET_KEY`` and the settings listed in ``REQUIRED_IN_PRODUCTION``.

The embedded default is SQLite under ``DATA_DIR`` (``instance/``) so that a newcomer needs nothing
else installed. Set ``DATABASE_URL`` for PostgreSQL and ``SOCKETIO_MESSAGE_QUEUE`` (a Redis URL) when
several server processes share the load.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# What the app writes at run time (the SQLite file, compiled catalogues, Flask's instance folder),
# kept out of the sources.
DATA = Path(os.environ.get("DATA_DIR") or ROOT / "instance").resolve()
# Which configuration ``create_app()`` uses: production unless told otherwise, never chosen by a
# missing variable. "development" is the demo (``make run``); "test" is for the test suite's server
# processes. Anything else is refused.


def environment() -> str:
    """``MSP_ENV``, read when an app is made: production, development or test."""
    return os.environ.get("MSP_ENV", "").strip().lower() or "production"


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
    return "sqlite:///" + str(DATA / "msp.sqlite3")


def _jurisdiction(default: str | None) -> str | None:
    return os.environ.get("JURISDICTION", "").strip().lower() or default


# The jurisdictions the app knows (JURISDICTION): each has its own help contacts, and Wales its own
# duties to the Welsh language.
JURISDICTIONS = ("england", "wales")


def _origins(name: str) -> list[str] | None:
    value = os.environ.get(name, "").strip()
    return value.split() if value else None


class Config:
    """Settings for a real deployment; every secret comes from the environment."""

    # Signs cookies and sessions; production refuses to start without it.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Where runtime data goes (see DATA_DIR above); Flask's instance folder is here too.
    DATA_DIR = str(DATA)
    # DATABASE_URL: PostgreSQL for several machines; SQLite under DATA_DIR otherwise.
    SQLALCHEMY_DATABASE_URI = _database_url()
    # A database error's message must never carry what a person typed into the logs. The pool's
    # size and wait come from DB_POOL_SIZE and DB_WAIT_SECONDS (app.engine_options).
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    # The production server (app/serving.py): requests and open WebSockets served at once by the one
    # process (each open chat holds a thread), database connections shared by them (an answer holds
    # one only while it is saved), and how long a request waits for a connection, and as long again
    # to write, before it answers "unavailable" rather than queueing (0.4 + 0.4: within a second).
    SERVER_THREADS = int(os.environ.get("SERVER_THREADS", "500"))
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "20"))
    DB_WAIT_SECONDS = float(os.environ.get("DB_WAIT_SECONDS", "0.4"))
    # Chat events doing their work at once in one process (the rest wait up to DB_WAIT_SECONDS for
    # a turn, then answer "unavailable"): a few at a time get more done than hundreds at once.
    # "I need help now", "I need more time" and "Exit this page" never wait for one. 0: no limit.
    # Unset: 1 on SQLite, 4 on a database server (app.database.event_slots says why).
    EVENT_SLOTS = int(os.environ["EVENT_SLOTS"]) if os.environ.get("EVENT_SLOTS") else None
    # On SIGTERM, how long events in progress may take to finish before the process exits anyway.
    SHUTDOWN_GRACE_SECONDS = int(os.environ.get("SHUTDOWN_GRACE_SECONDS", "10"))
    # A Redis URL shared by every server process, so a socket event reaches all of them.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # Other origins allowed to open a socket (space-separated); unset means this app's own only.
    SOCKETIO_CORS_ORIGINS = _origins("SOCKETIO_CORS_ORIGINS")
    # The country whose law and services the council works under: "england" or "wales". In Wales
    # Welsh is offered first without being asked (the Active Offer: the Welsh Language Standards),
    # invitations are in Welsh and English, the help contacts are Wales's and the staff pages name
    # the Welsh Act's enquiry. Production refuses to start without it, or with anything else.
    JURISDICTION = _jurisdiction(None)
    # The council-edited list of help contacts for each jurisdiction, read and checked at start.
    HELP_CONTACTS_FILE = os.environ.get("HELP_CONTACTS_FILE", str(ROOT / "council" / "help_contacts.yaml"))
    # The dialogue files (YAML) the app loads and validates at start.
    DIALOGUE_DIR = os.environ.get("DIALOGUE_DIR", str(ROOT / "dialogues"))
    # The translators' catalogues (.po, in git); they are compiled into BABEL_TRANSLATION_DIRECTORIES.
    LOCALES_SOURCE = str(ROOT / "locales")
    # Where Flask-Babel reads the compiled catalogues (.mo): build output, under DATA_DIR.
    BABEL_TRANSLATION_DIRECTORIES = str(DATA / "locales")
    # The language of a page when nothing else decides it.
    BABEL_DEFAULT_LOCALE = "en"
    # Offered languages, in picker order (app/languages.py knows each one's own name and direction).
    LANGUAGES = ["en", "cy", "pl", "ro", "pa", "ur", "ar"]
    # Where links in printed invitations and staff emails point; the tablet opens this.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")
    # An invitation's code works for this many days.
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "28"))
    # The longest free-text answer we accept, in characters (documented in the README).
    MAX_TEXT_LENGTH = 2000
    # The largest Socket.IO message (HTTP poll or WebSocket frame) a client may send, in bytes: many
    # times the longest valid answer. A bigger WebSocket message closes that connection unread.
    MAX_SOCKET_MESSAGE_BYTES = 64 * 1024
    # Cookies: never readable by scripts, not sent by other sites' forms, HTTPS only unless
    # SESSION_COOKIE_SECURE=0 (a plain-http trial on a private network).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    # The largest request body accepted, in bytes.
    MAX_CONTENT_LENGTH = 64 * 1024
    # Staff: sessions end after this long idle; after 5 failed sign-ins to one account from one address,
    # that address (not the account) is refused for it for STAFF_LOCK_MINUTES.
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
    STAFF_LOCK_MINUTES = int(os.environ.get("STAFF_LOCK_MINUTES", "15"))
    # Password hashing cost; empty means argon2-cffi's defaults (RFC 9106's low-memory profile).
    ARGON2_COST: dict = {}
    # Where sign-in rate limits are counted: memory:// is per process; a Redis URL shares them.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Prefixed to every rate-limit key, so several deployments (or test servers) can share a Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Wrong access codes (typed, linked or sent by a socket) allowed per address, and from everyone
    # together; then every code is refused until the minute is over (see app/conversation/throttle.py).
    ACCESS_CODE_LIMIT_PER_ADDRESS = os.environ.get("ACCESS_CODE_LIMIT_PER_ADDRESS", "10 per minute")
    ACCESS_CODE_LIMIT_TOTAL = os.environ.get("ACCESS_CODE_LIMIT_TOTAL", "600 per minute")
    # A refused sign-in says when to try again (Retry-After).
    RATELIMIT_HEADERS_ENABLED = True
    REMEMBER_COOKIE_DURATION = 0  # no "remember me" for staff
    # gzip on the wire for these types (static files are streamed).
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["gzip"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "application/javascript",
        "text/javascript",
        "image/svg+xml",
        "application/json",
    ]
    # A person's browser session ends after this long without activity (WCAG 2.2.1: they are warned
    # two minutes before and can ask for more time). Their answers are kept either way.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "20"))
    # The person is warned this long before their session would end.
    SESSION_WARN_SECONDS = 120
    # "Exit this page" goes here: a neutral page that gives nothing away.
    EXIT_URL = os.environ.get("EXIT_URL", "https://www.bbc.co.uk/weather")
    # "I need help now": the council's own numbers come from the environment (production refuses to
    # start without them); the other lines, and the order, come from HELP_CONTACTS_FILE.
    COUNCIL_PHONE = os.environ.get("COUNCIL_PHONE")
    COUNCIL_OUT_OF_HOURS_PHONE = os.environ.get("COUNCIL_OUT_OF_HOURS_PHONE")
    # The demo's numbers are labelled "Example only".
    HELP_NUMBERS_ARE_EXAMPLES = False

    # The opening tells the person where the council's privacy notice is (a link) and how long their
    # answers are kept: both are the council's own, so production refuses to start without them.
    PRIVACY_NOTICE_URL = os.environ.get("PRIVACY_NOTICE_URL") or None
    # How many months after a case closes its conversations are kept: then ``flask --app app
    # retention`` (run daily by every server process) erases them, unless a manager has put the case
    # under a legal hold. No default keeps everything for ever: production refuses to start without it.
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS") or 0) or None
    # Every server process looks for conversations past RETENTION_MONTHS this often (and at start).
    RETENTION_SWEEP = True
    RETENTION_SWEEP_HOURS = float(os.environ.get("RETENTION_SWEEP_HOURS", "24"))

    # Encryption at rest: Fernet keys, comma-separated. The first encrypts; all decrypt (put a new
    # key first, run `flask --app app rotate-keys`, then drop the old one). Production refuses to
    # start without them, and every free-text answer, name and note is unreadable without them:
    # keep them apart from the database and its backups.
    DATA_KEYS = os.environ.get("DATA_KEYS") or None
    # The demo only (DevelopmentConfig): without DATA_KEYS, a key kept in DATA_DIR/dev-data-key.
    DEV_DATA_KEY_FILE = False

    # Mail: every urgent signal and follow-up is emailed to a named person (see app/notify/).
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None  # the SMTP host
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")  # STARTTLS on a plain connection
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")  # TLS from the first byte (usually port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None  # SMTP login, if the server needs one
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or None  # the From address
    MAIL_TIMEOUT_SECONDS = 20  # how long one SMTP conversation may take
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

    # Production refuses to start without these (and SECRET_KEY), naming each one missing.
    REQUIRED_IN_PRODUCTION = (
        "PUBLIC_URL",
        "MAIL_SERVER",
        "MAIL_DEFAULT_SENDER",
        "COUNCIL_PHONE",
        "COUNCIL_OUT_OF_HOURS_PHONE",
        "PRIVACY_NOTICE_URL",
        "RETENTION_MONTHS",
        "DATA_KEYS",
        "JURISDICTION",
    )
    # True only in the demo and the tests: REQUIRED_IN_PRODUCTION is not checked.
    DEVELOPMENT = False
    # Flask's testing mode (errors propagate to the test); the tests' in-process apps only.
    TESTING = False


class DevelopmentConfig(Config):
    """The newcomer's demo: a fixed development key, cookies over plain http, mail printed to the
    console, and the council's numbers shown as examples."""

    DEVELOPMENT = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    # England unless told otherwise (``JURISDICTION=wales make run`` shows the Welsh version).
    JURISDICTION = _jurisdiction("england")
    SESSION_COOKIE_SECURE = False
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    MAIL_TO_CONSOLE = True
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "safeguarding-demo@example.org")
    COUNCIL_PHONE = os.environ.get("COUNCIL_PHONE") or "0300 123 4567"
    COUNCIL_OUT_OF_HOURS_PHONE = os.environ.get("COUNCIL_OUT_OF_HOURS_PHONE") or "0300 123 4568"
    HELP_NUMBERS_ARE_EXAMPLES = not os.environ.get("COUNCIL_PHONE")
    PRIVACY_NOTICE_URL = os.environ.get("PRIVACY_NOTICE_URL") or "https://www.example.org/privacy"
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS") or 72)
    # Without DATA_KEYS, the demo makes a key once and keeps it in DATA_DIR/dev-data-key (a demo
    # convenience: production takes its keys from the environment, never from a file beside the data).
    DEV_DATA_KEY_FILE = True


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
    PRIVACY_NOTICE_URL = "https://council.example/privacy/adult-safeguarding"
    RETENTION_MONTHS = 72
    # A fixed test key (never used anywhere else); a test of rotation brings its own.
    DATA_KEYS = "kY1bB4wYbIYw0o7gq3KX6Zp5c3tT0m8cXKXb2fZ9d1E="
    RETENTION_SWEEP = False  # tests run retention themselves
    JURISDICTION = "england"  # a test of Wales says so
    MAIL_DEFAULT_SENDER = "safeguarding@test.example"
    # Cheap password hashing for tests that make many accounts (the tests' server processes use it
    # too, through TestServerConfig; a real deployment keeps argon2-cffi's defaults).
    ARGON2_COST = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}
    # Tests run the sender themselves (``outbox.deliver_due()``), or start a real server that does.
    OUTBOX_SENDER = False
    MAIL_TIMEOUT_SECONDS = 5


class TestServerConfig(Config):
    """``MSP_ENV=test``: a real server process started by the tests. Production in every respect
    (every setting from the environment, every check), except password hashing as cheap as the
    in-process tests'."""

    ARGON2_COST = TestConfig.ARGON2_COST


# MSP_ENV -> the configuration class create_app() uses.
ENVIRONMENTS = {"production": Config, "development": DevelopmentConfig, "test": TestServerConfig}
