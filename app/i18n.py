"""Language choice and the translator handed to the dialogue engine."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale, gettext, ngettext

from .languages import language, offered


def select_locale() -> str:
    """The page's language: the conversation's, else the one picked, else the browser's."""
    offered_codes = current_app.config["LANGUAGES"]
    if has_request_context():
        for lang in (g.get("page_lang"), session.get("lang")):
            if lang in offered_codes:
                return lang
        best = request.accept_languages.best_match(offered_codes)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def page_context() -> dict:
    """What every template needs to say which language it is in, and which it could be in."""
    lang = language(str(get_locale()))
    return {
        "page_lang": lang.code,
        "page_dir": lang.dir,
        "languages": offered(current_app.config["LANGUAGES"]),
    }


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


def compile_catalogues(directory: str) -> None:
    """Compile any ``.po`` newer than its ``.mo``, so a fresh checkout speaks every language.

    ``.mo`` files are build output and not kept in git; ``flask translate compile`` does the same.
    """
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(directory).glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalogue = read_po(f, locale=po.parent.parent.name)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalogue)
        tmp.replace(mo)  # atomic: another process starting at once never reads half a file
