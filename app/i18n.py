"""Language choice and the translator handed to the dialogue engine."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, has_request_context, session
from flask_babel import force_locale, gettext, ngettext


def select_locale() -> str:
    """The language of the page: the conversation's, else the default."""
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class FlaskTranslator:
    """Flask-Babel's functions, shaped as the engine's ``Translator``."""

    def gettext(self, message: str) -> str:
        return gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


@contextmanager
def translating(lang: str):
    """Render in a conversation's own language, wherever we are called from (HTTP or socket)."""
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        yield FlaskTranslator()
