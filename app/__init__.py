"""The application factory. Extensions are created here and bound to an app in ``create_app``."""

from __future__ import annotations

import logging
import os

import jinja2
from flask import Flask
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase
from werkzeug.middleware.proxy_fix import ProxyFix

import config as settings
from app import crypto, database
from config import ROOT, Config


class Base(DeclarativeBase):
    pass


db = database.Database(model_class=Base)
socketio = SocketIO()
babel = Babel()
csrf = CSRFProtect()
# gzip on the wire: old tablets on weak wifi. No person page reflects request input next to a secret
# (the BREACH precondition), so HTML is compressed too.
compress = Compress()
# Sign-in attempts are slowed per address; the store is shared when several processes serve.
limiter = Limiter(key_func=get_remote_address)


class SharedBytecodeCache(jinja2.BytecodeCache):
    """Templates compiled once per process, whatever the number of apps it builds (the tests build
    hundreds). Never stale: Jinja stores each with a checksum of its source and compiles a template
    again when its file has changed; and templates compiled under other Jinja settings are kept
    apart, keyed on every setting that shapes the compiled code."""

    def __init__(self):
        self._store: dict[tuple, bytes] = {}

    @staticmethod
    def _settings(environment: jinja2.Environment) -> tuple:
        autoescape = environment.autoescape
        if callable(autoescape):
            function = getattr(autoescape, "__func__", autoescape)
            autoescape = f"{function.__module__}.{function.__qualname__}"
        return (
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            environment.optimized,
            environment.is_async,
            autoescape,
            environment.finalize is not None,
            tuple(sorted(environment.extensions)),
            getattr(environment, "newstyle_gettext", None),
            environment.policies.get("ext.i18n.trimmed"),
            environment.code_generator_class,
        )

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._store.get((self._settings(bucket.environment), bucket.key))
        if code is not None:
            bucket.bytecode_from_string(code)  # discarded by Jinja if its source's checksum differs

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[(self._settings(bucket.environment), bucket.key)] = bucket.bytecode_to_string()


_templates = SharedBytecodeCache()


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build an app: load and validate the dialogues, bring the schema up to date, wire handlers.

    Without ``config_class`` the app is production (``Config``) unless ``MSP_ENV`` names another
    mode explicitly: a missing variable never chooses development."""
    if config_class is None:
        config_class = config_for(settings.environment())
    data_dir = overrides.get("DATA_DIR") or config_class.DATA_DIR
    app = Flask(__name__, static_folder=str(ROOT / "static"), instance_path=str(data_dir))
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _templates}
    app.config.from_object(config_class)
    app.config.update(overrides)
    check_settings(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.extensions[crypto.EXTENSION] = data_keys(app)

    # An invalid dialogue stops the app here, naming the file, step and mistake.
    from .dialogue import Registry

    app.extensions["dialogues"] = Registry.load(app.config["DIALOGUE_DIR"])
    # So does a translation using a word locales/glossary.csv forbids, or a mistake in that file.
    from .glossary import require as check_glossary

    check_glossary(app.config["LOCALES_SOURCE"], app.config["LANGUAGES"])

    from .conversation.cards import Cards
    from .socket_guards import EventSlots

    app.extensions["event_slots"] = EventSlots(
        database.event_slots(app.config), app.config["DB_WAIT_SECONDS"]
    )
    app.extensions["cards"] = Cards()  # the live chat's drawn cards (app.conversation.cards)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    db.init_app(app)
    # First of the request hooks, so that a request refused by a later one (CSRF) is logged by route.
    from .serving import note_route

    app.before_request(note_route)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    from .staff.auth import login_manager

    login_manager.init_app(app)
    from .i18n import compile_catalogues, page_context, select_locale

    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(page_context)
    compile_catalogues(app.config["LOCALES_SOURCE"], app.config["BABEL_TRANSLATION_DIRECTORIES"])
    from .socket_session import SessionInterface

    # Signed cookie sessions, which a Socket.IO event does not open again (app/socket_session.py).
    app.session_interface = SessionInterface()
    # Socket handlers must be known before init_app: Flask-SocketIO hands its list to each new server
    # (a handler registered later reaches only the server that existed then, not the next app's).
    from .conversation import events as _chat_events  # noqa: F401
    from .socket_guards import JSONPackets
    from .staff import events as _staff_events  # noqa: F401

    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        # Same-origin only; the chat page is served by this app.
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        max_http_buffer_size=app.config["MAX_SOCKET_MESSAGE_BYTES"],
        # Each event runs on its connection's own thread, in order, instead of on a new thread per
        # event: threads stay bounded by the server's (app/serving.py), and one socket's answers
        # are handled one after another.
        async_handlers=False,
        serializer=JSONPackets,  # JSON only: outgoing payloads are not searched for bytes
        logger=False,
        engineio_logger=False,
    )
    from . import socket_guards

    socket_guards.guard_websockets(socketio.server.eio, app.config["MAX_SOCKET_MESSAGE_BYTES"])
    socket_guards.guard_packets(socketio.server.eio)
    # Behind TRUSTED_PROXIES reverse proxies, the client's address (what the rate limits key on),
    # scheme and host come from their X-Forwarded-* headers; with none, those headers are ignored.
    # Wrapped after Socket.IO's middleware, so that the socket's requests see the same address.
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    with app.app_context():
        database.tune_sqlite(db.engine, app.config["DB_WAIT_SECONDS"])
        database.take_turns(db)
        from .migrate import upgrade

        upgrade()
        _check_keys_open_what_is_stored()

    from .conversation import bp as conversation_bp

    app.register_blueprint(conversation_bp)
    from .staff.routes import bp as staff_bp

    app.register_blueprint(staff_bp)
    from .authoring.routes import bp as authoring_bp

    app.register_blueprint(authoring_bp)
    from . import cli
    from .authoring import commands as dialogue_commands

    cli.register(app)
    dialogue_commands.register(app)
    from .security import register_headers

    register_headers(app)
    from .errors import register_errors

    register_errors(app)
    from .health import bp as health_bp

    app.register_blueprint(health_bp)
    _quiet_access_logs()
    return app


class ConfigurationError(RuntimeError):
    """A setting production needs is missing; the message names each one."""


def config_for(env: str) -> type[Config]:
    """The configuration class ``MSP_ENV`` names (production, development or test)."""
    try:
        return settings.ENVIRONMENTS[env]
    except KeyError:
        raise ConfigurationError(
            f"cannot start: MSP_ENV={env!r} is not one of " + ", ".join(settings.ENVIRONMENTS)
        ) from None


def check_settings(config) -> None:
    """Fail closed: production (not the demo, not the tests) starts only with every setting it
    needs to keep its promises, e.g. mail for "a message is being sent", and the council's numbers."""
    if not config.get("SECRET_KEY"):
        raise ConfigurationError(
            "cannot start: set SECRET_KEY in the environment (see README, Settings); "
            "for the demo on one machine, run `make run` (MSP_ENV=development)"
        )
    if config.get("DEVELOPMENT"):
        return
    missing = [name for name in config["REQUIRED_IN_PRODUCTION"] if not config.get(name)]
    if missing:
        raise ConfigurationError(
            "cannot start: set " + ", ".join(missing) + " in the environment (see README, Settings). "
            "Without them urgent signals would reach nobody, or the person would be shown wrong numbers "
            "or told nothing true about their privacy."
        )
    if not str(config["PRIVACY_NOTICE_URL"]).startswith("https://"):
        raise ConfigurationError("cannot start: PRIVACY_NOTICE_URL must be the council's https:// address")
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise ConfigurationError("cannot start: set only one of MAIL_USE_TLS and MAIL_USE_SSL")


def data_keys(app: Flask):
    """The keys that encrypt and open what people typed (``DATA_KEYS``). A missing or malformed key
    stops start-up naming the setting; a value is never written in plain text for want of one."""
    setting = app.config.get("DATA_KEYS")
    if not setting and app.config.get("DEV_DATA_KEY_FILE"):
        setting = _demo_key(os.path.join(app.instance_path, "dev-data-key"))
    try:
        return crypto.keyring(setting)
    except crypto.DataKeyError as exc:
        raise ConfigurationError(f"cannot start: {exc}") from None


def _check_keys_open_what_is_stored() -> None:
    """A valid key that is not the one the data was written with would let the server start and then
    fail on every page that reads a name or an answer: refuse to start instead, naming the setting."""
    from .records.keys import unopened_columns

    failed = unopened_columns()
    if failed:
        raise ConfigurationError(
            "cannot start: DATA_KEYS does not open what is stored ("
            + ", ".join(failed[:3])
            + (", …" if len(failed) > 3 else "")
            + "): a key is wrong, or an old one was dropped "
            "before `flask --app app rotate-keys` finished (README, For a data protection officer)"
        )


def _demo_key(path: str) -> str:
    """The demo's own key, made on its first start and kept beside its database (demo only)."""
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(crypto.new_key())
    with open(path) as file:
        return file.read().strip()


def _quiet_access_logs() -> None:
    # The development server logs every URL; the invitation link carries the access code.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
