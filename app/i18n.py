"""Language choice and the translator handed to the dialogue engine."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale, get_translations, gettext, ngettext, pgettext
from jinja2 import pass_context
from markupsafe import Markup

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
    """Flask-Babel's functions, shaped as the engine's ``Translator``.

    ``translations``: the catalogue Flask-Babel holds for the locale in force, when the caller has
    fixed it for the translator's whole life (``translating``): each message is then looked up in it
    directly, as Flask-Babel's ``gettext`` does, without finding the context, domain and locale again
    for every one of the tens of messages a turn has.

    ``language``: the code of the language it translates into, so that the engine can fill a
    placeholder as that language needs (a name isolated in a right-to-left sentence, the Welsh
    article of the fallback "the person"); without one, the locale in force."""

    def __init__(self, translations=None, language: str | None = None):
        self._translations = translations
        self._language = language

    @property
    def language(self) -> str:
        if self._language is not None:
            return self._language
        locale = get_locale()
        return str(locale) if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]

    @property
    def rtl(self) -> bool:
        """Whether its language is written right to left (the engine isolates names in it)."""
        return language(self.language).rtl

    def gettext(self, message: str) -> str:
        if self._translations is None:
            return gettext(message)
        return self._translations.ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self._translations is None:
            return ngettext(singular, plural, n)
        return self._translations.ungettext(singular, plural, n) % {"num": n}  # as Flask-Babel's

    def pgettext(self, context: str, message: str) -> str:
        if self._translations is None:
            return pgettext(context, message)
        return self._translations.upgettext(context, message)


@contextmanager
def translating(lang: str):
    """Render in a conversation's own language, wherever we are called from (HTTP or socket)."""
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        yield FlaskTranslator(get_translations(), lang)


def template_gettext(translator: FlaskTranslator):
    """A template's ``_``/``gettext`` that looks each message up in ``translator`` (``translating``'s),
    passed to ``render`` as ``gettext``: it does what Flask-Babel's, installed in Jinja as "newstyle",
    does (the message escaped as a whole when autoescaping, then always filled as a format string),
    without Flask-Babel finding the context, domain and locale again for every message. The chat's
    card has a dozen and is drawn on every answer: that search was a third of drawing it."""

    @pass_context
    def template_gettext_(context, message: str, **variables):
        translated = translator.gettext(message)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables

    return template_gettext_


def compile_catalogues(source: str, target: str, force: bool = False) -> list[Path]:
    """Compile each ``source/<lang>/LC_MESSAGES/messages.po`` into the same place under ``target``
    (under DATA_DIR, never among the sources), if newer than its ``.mo`` or ``force``d, so a fresh
    checkout speaks every language. Returns the files written.

    ``.mo`` files are build output and not kept in git; ``flask translate compile`` forces this.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(Path(source).glob("*/LC_MESSAGES/messages.po")):
        mo = Path(target) / po.relative_to(source).with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalogue = read_po(f, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file of this process's own, then an atomic rename: processes starting at once
        # (test workers, server processes) never read half a file or write into each other's.
        fd, tmp = tempfile.mkstemp(prefix=".messages-", suffix=".mo.tmp", dir=mo.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalogue)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written
