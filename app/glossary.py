"""The translators' glossary: one agreed word per language for the terms a person must not misread,
and the words never to use for them; every catalogue is checked against it at start-up.

The file is ``locales/glossary.csv`` (UTF-8, comma-separated, fields with a comma in them quoted).
Its first line is the header ``language,english,agreed,never``; then one row per language per term:

``language``
    a language the app offers, other than English (``cy``, ``pl``, ``ro``, ``pa``, ``ur``, ``ar``).
``english``
    the English term, as the rows name it: ``advocate`` (an independent advocate, who helps a person
    say what they want: never a lawyer), ``enquiry`` (a safeguarding enquiry: the council looking
    into what happened, with the person; not an assessment, not a legal investigation),
    ``safeguarding``, ``Samaritans`` (the charity's name) and ``worker`` (the safeguarding worker).
    Every language needs a row for each of these; more terms may be added.
``agreed``
    the word to use (required); a note in brackets may follow it, as in ``rzecznik (advocate)``.
``never``
    the words never to use for the term in that language, separated by ``|`` (may be empty). List each
    inflected form that should be caught (``evaluare|evaluarea|evaluării``).

A translation (any ``msgstr`` of ``locales/<lang>/LC_MESSAGES/messages.po``) that contains a word its
language's rows forbid is reported with the catalogue's file and the entry's line, and so is every
mistake in the glossary itself (with its line). ``require`` raises ``GlossaryError`` with all of them,
which stops the app at start-up the way an invalid dialogue does.

Matching ignores case. In Welsh, Polish and Romanian a forbidden word matches only as a whole word or
phrase ("avocat" does not match "avocatură"). In Panjabi, Urdu and Arabic it matches anywhere in the
text: Gurmukhi's vowel signs are not word characters to a regular expression, so a word boundary would
fall inside words, and Arabic-script words carry attached prefixes and suffixes (التحقق in بالتحقق),
which a whole-word match would miss. Both sides are NFC-normalised first (a nukta may be written
either way).
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from config import ROOT, Config

FILE_NAME = "glossary.csv"
HEADER = ["language", "english", "agreed", "never"]
# Every language has a row for each of these.
REQUIRED_TERMS = ("advocate", "enquiry", "safeguarding", "Samaritans", "worker")
# Scripts where a forbidden word is matched anywhere, not as a whole word (see the module's docstring).
SUBSTRING_LANGUAGES = frozenset({"pa", "ur", "ar"})


class GlossaryError(Exception):
    """A translation uses a word the glossary forbids, or the glossary is malformed; ``problems``
    lists every one, each starting with its file and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the glossary check failed:\n" + "\n".join(problems))


@dataclass(frozen=True)
class Row:
    line: int
    language: str
    english: str
    agreed: str
    never: tuple[str, ...]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _shown(path: Path) -> str:
    """A path as the messages show it: from the project's root when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _pattern(language: str, term: str) -> re.Pattern:
    escaped = re.escape(_nfc(term))
    if language in SUBSTRING_LANGUAGES:
        return re.compile(escaped, re.IGNORECASE)
    return re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)


def read_glossary(path: Path, languages: list[str]) -> tuple[list[Row], list[str]]:
    """The glossary's rows, and a problem for each malformed line (and each term a language lacks)."""
    shown = _shown(path)
    if not path.exists():
        return [], [f"{shown}: missing; the catalogues cannot be checked without it"]
    rows: list[Row] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if [cell.strip() for cell in header or []] != HEADER:
            return [], [f"{shown}:1: the first line must be the header {','.join(HEADER)}"]
        for fields in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in fields):
                continue  # a blank line
            place = f"{shown}:{line}"
            if len(fields) != len(HEADER):
                problems.append(
                    f"{place}: {len(fields)} columns, expected {len(HEADER)} ({','.join(HEADER)})"
                )
                continue
            language, english, agreed, never = (cell.strip() for cell in fields)
            if language not in languages:
                problems.append(
                    f'{place}: unknown language "{language}"; the app offers {", ".join(languages)}'
                )
                continue
            if not english:
                problems.append(f"{place}: no English term")
                continue
            key = (language, english.casefold())
            if key in seen:
                problems.append(
                    f'{place}: a second row for "{english}" in {language} (first on line {seen[key]})'
                )
                continue
            seen[key] = line
            if not agreed:
                problems.append(f'{place}: no agreed word for "{english}" in {language}')
                continue
            terms = tuple(term.strip() for term in never.split("|")) if never else ()
            if any(not term for term in terms):
                problems.append(f'{place}: an empty word in the never list for "{english}" ({never!r})')
                continue
            contradicted = [term for term in terms if _pattern(language, term).search(_nfc(agreed))]
            if contradicted:
                problems.append(
                    f'{place}: the agreed word "{agreed}" contains "{contradicted[0]}", '
                    f'which the same row forbids for "{english}"'
                )
                continue
            rows.append(Row(line, language, english, agreed, terms))
    for language in languages:
        for english in REQUIRED_TERMS:
            if (language, english.casefold()) not in seen:
                problems.append(f'{shown}: no row for "{english}" in {language}')
    return rows, problems


def _excerpt(msgid, width: int = 50) -> str:
    text = " ".join((msgid[0] if isinstance(msgid, (list, tuple)) else msgid).split())
    return '"' + (text if len(text) <= width else text[: width - 1] + "…") + '"'


def check_catalogue(path: Path, language: str, rows: list[Row]) -> list[str]:
    """A problem for every msgstr of one catalogue that uses a word its language's rows forbid."""
    from babel.messages.pofile import read_po

    forbidden = [(row, term, _pattern(language, term)) for row in rows for term in row.never]
    if not forbidden:
        return []
    with path.open("rb") as f:
        catalogue = read_po(f, locale=language)
    shown = _shown(path)
    problems = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        text = _nfc("\n".join(s for s in strings if s))
        for row, term, pattern in forbidden:
            if pattern.search(text):
                problems.append(
                    f'{shown}:{message.lineno}: {_excerpt(message.id)} uses "{term}", '
                    f'which the glossary forbids for {row.english}; use "{row.agreed}"'
                )
    return problems


_cache: dict[tuple, list[str]] = {}


def _signature(paths: list[Path]) -> tuple:
    signature = []
    for path in paths:
        try:
            stat = os.stat(path)
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
        except FileNotFoundError:
            signature.append((str(path), None, None))
    return tuple(signature)


def check(locales_dir: str | Path, languages: list[str] | None = None) -> list[str]:
    """Every problem with the glossary in ``locales_dir`` and with the catalogues beside it.

    ``languages``: the ones the app offers (English is left out); ``Config.LANGUAGES`` by default.
    A language without a catalogue in ``locales_dir`` is not checked (the translation tests ask for
    every catalogue). Unchanged files are not read again: ``create_app`` runs this every time."""
    locales_dir = Path(locales_dir)
    offered = [lang for lang in (languages or Config.LANGUAGES) if lang != Config.BABEL_DEFAULT_LOCALE]
    glossary = locales_dir / FILE_NAME
    catalogues = {lang: locales_dir / lang / "LC_MESSAGES" / "messages.po" for lang in offered}
    key = (str(locales_dir.resolve()), tuple(offered), _signature([glossary, *catalogues.values()]))
    if key not in _cache:
        rows, problems = read_glossary(glossary, offered)
        for lang, path in catalogues.items():
            if path.exists():
                problems += check_catalogue(path, lang, [row for row in rows if row.language == lang])
        _cache[key] = problems
    return list(_cache[key])


def require(locales_dir: str | Path, languages: list[str] | None = None) -> None:
    """Raise ``GlossaryError`` naming every problem ``check`` finds; do nothing when there are none."""
    problems = check(locales_dir, languages)
    if problems:
        raise GlossaryError(problems)
