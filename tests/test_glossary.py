"""The glossary (locales/glossary.csv): the shipped catalogues keep to it, a translation using a word
it forbids is reported with its file and line, so is a mistake in the glossary, and either stops the
app at start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import create_app
from app.glossary import FILE_NAME, REQUIRED_TERMS, GlossaryError, check
from config import Config, TestConfig

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
SHIPPED = [lang for lang in Config.LANGUAGES if lang != "en"]


def copy_locales(tmp_path: Path, *langs: str) -> Path:
    """A locales folder with the real glossary and the named languages' real catalogues."""
    target = tmp_path / "locales"
    target.mkdir()
    shutil.copyfile(LOCALES / FILE_NAME, target / FILE_NAME)
    for lang in langs:
        (target / lang / "LC_MESSAGES").mkdir(parents=True)
        shutil.copyfile(catalogue(LOCALES, lang), catalogue(target, lang))
    return target


def catalogue(locales: Path, lang: str) -> Path:
    return locales / lang / "LC_MESSAGES" / "messages.po"


def replace_translation(path: Path, msgid: str, old: str, new: str) -> int:
    """Change ``old`` to ``new`` in the msgstr of the entry for ``msgid``; return the msgid's line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    line = lines.index(f'msgid "{msgid}"')
    assert lines[line + 1].startswith("msgstr ") and old in lines[line + 1], lines[line + 1]
    lines[line + 1] = lines[line + 1].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return line + 1


def add_glossary_lines(locales: Path, *rows: str) -> int:
    """Append rows to the glossary; return the line number of the first."""
    path = locales / FILE_NAME
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    path.write_text(text + "".join(row + "\n" for row in rows), encoding="utf-8")
    return text.count("\n") + 1


def test_the_shipped_catalogues_keep_to_the_glossary():
    assert check(LOCALES) == []


def test_the_glossary_has_every_term_for_every_language():
    rows = (LOCALES / FILE_NAME).read_text(encoding="utf-8").splitlines()[1:]
    have = {tuple(row.split(",")[:2]) for row in rows}
    assert {(lang, term) for lang in SHIPPED for term in REQUIRED_TERMS} <= have


def test_a_forbidden_word_is_reported_with_the_catalogue_and_line(tmp_path):
    locales = copy_locales(tmp_path, "ro")
    msgid = "After each step of the enquiry"
    line = replace_translation(catalogue(locales, "ro"), msgid, "analizei situației", "evaluării")
    assert check(locales) == [
        f'{catalogue(locales, "ro")}:{line}: "{msgid}" uses "evaluării", which the glossary forbids '
        'for enquiry; use "analiza situației"'
    ]


def test_whole_words_in_any_case_where_words_have_boundaries(tmp_path):
    locales = copy_locales(tmp_path, "ro")
    po = catalogue(locales, "ro")
    # Part of a longer word: not the forbidden word.
    replace_translation(po, "An advocate", "Un reprezentant de sprijin", "O avocatură")
    assert check(locales) == []
    line = replace_translation(po, "An advocate", "O avocatură", "Un AVOCAT")
    (problem,) = check(locales)
    assert problem.startswith(f'{po}:{line}: "An advocate" uses "avocat", which the glossary forbids')


def test_anywhere_in_the_word_in_arabic_script(tmp_path):
    locales = copy_locales(tmp_path, "ar")
    msgid = "Go to meetings about the enquiry"
    line = replace_translation(catalogue(locales, "ar"), msgid, "بالنظر في المخاوف", "بالتحقق")
    (problem,) = check(locales)
    assert problem.startswith(f'{catalogue(locales, "ar")}:{line}: "{msgid}" uses "التحقق"')
    assert problem.endswith('use "النظر في المخاوف"')


@pytest.mark.parametrize(
    "row, mistake",
    [
        ("cy,advocate", "2 columns, expected 4"),
        ("xx,advocate,something,never", 'unknown language "xx"'),
        ("pl,interpreter,,tłumacz przysięgły", 'no agreed word for "interpreter" in pl'),
        ("ro,interpreter,interpret,traducător||translator", "an empty word in the never list"),
        ("ur,advocate,حمایتی,وکیل", 'a second row for "advocate" in ur (first on line'),
        (
            "pl,interpreter,tłumacz przysięgły,przysięgły",
            'the agreed word "tłumacz przysięgły" contains "przysięgły"',
        ),
    ],
)
def test_a_malformed_glossary_row_is_reported_with_its_line(tmp_path, row, mistake):
    locales = copy_locales(tmp_path)
    line = add_glossary_lines(locales, row)
    problems = check(locales)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{locales / FILE_NAME}:{line}: {mistake}"), problems


def test_a_missing_term_or_header_is_reported(tmp_path):
    locales = copy_locales(tmp_path)
    path = locales / FILE_NAME
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith("pa,worker,")) + "\n")
    assert check(locales) == [f'{path}: no row for "worker" in pa']
    path.write_text("\n".join(["lang,english,agreed"] + lines[1:]) + "\n")
    assert check(locales) == [f"{path}:1: the first line must be the header language,english,agreed,never"]
    path.unlink()
    assert check(locales) == [f"{path}: missing; the catalogues cannot be checked without it"]


def broken_glossary(locales: Path) -> str:
    line = add_glossary_lines(locales, "cy,advocate")
    return f"{FILE_NAME}:{line}:"


def forbidden_word(locales: Path) -> str:
    line = replace_translation(catalogue(locales, "cy"), "An advocate", "Eiriolwr", "Cyfreithiwr")
    return f"cy/LC_MESSAGES/messages.po:{line}:"


@pytest.mark.parametrize("mistake", [broken_glossary, forbidden_word])
def test_the_app_refuses_to_start(tmp_path, mistake):
    locales = copy_locales(tmp_path, "cy")
    where = mistake(locales)
    with pytest.raises(GlossaryError) as caught:
        create_app(TestConfig, LOCALES_SOURCE=str(locales), DATA_DIR=str(tmp_path / "data"))
    assert f"{locales}/{where}" in str(caught.value)
