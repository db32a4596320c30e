"""``flask translate``: extract, init and update the catalogues in ``locales/``, and compile them
into ``DATA_DIR/locales/`` (build output, where the app reads them).

The microblog pattern, with argument lists instead of a shell string. Dialogue text is picked up
by the extractor in ``app/dialogue/extract.py`` (see ``babel.cfg``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"

translate = AppGroup("translate", help="Translation and localisation commands.")


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.run(command, cwd=ROOT).returncode != 0:
        raise click.ClickException(f"pybabel {args[0]} failed")


@translate.command()
def extract() -> None:
    """Collect every message (code, templates, dialogues) into locales/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-c",
        "TRANSLATORS:",
        "--sort-by-file",
        "--project",
        "msp-feedback",
        "-o",
        str(TEMPLATE),
        ".",
    )


@translate.command()
@click.argument("lang")
def init(lang: str) -> None:
    """Start a catalogue for a new language."""
    extract.callback()
    _pybabel("init", "-i", str(TEMPLATE), "-d", str(LOCALES), "-l", lang)


@translate.command()
def update() -> None:
    """Bring every catalogue up to date with the code, templates and dialogues."""
    extract.callback()
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(LOCALES), "--ignore-obsolete")


@translate.command()
def compile() -> None:  # noqa: A001 - the command's name, as in pybabel
    """Compile the catalogues (.po) into the files the app reads (.mo, under DATA_DIR/locales/)."""
    from babel.messages.pofile import read_po
    from flask import current_app

    from .i18n import compile_catalogues

    target = current_app.config["BABEL_TRANSLATION_DIRECTORIES"]
    for mo in compile_catalogues(str(LOCALES), target, force=True):
        po = LOCALES / mo.relative_to(target).with_suffix(".po")
        with po.open("rb") as f:
            messages = [m for m in read_po(f) if m.id]
        done = sum(1 for m in messages if m.string and not m.fuzzy)
        click.echo(f"{mo}: {done} of {len(messages)} messages translated")
