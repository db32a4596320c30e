"""``flask --app app dialogue ...``: check, draw and outline the dialogue files.

``check`` reads files alone (no app, no database), so it can run in an editor or before a commit::

    flask --app app dialogue check dialogues/part1.yaml
    dialogues/part1.yaml:88:15: D007 The step "involve_hwo" that 'next' goes to does not exist in
    this dialogue. Did you mean "involve_how"? (step 'view', key 'next')

Each mistake has a stable code; the catalogue is ``app.dialogue.spec.ERRORS`` (``check --codes``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..dialogue import load_dialogues
from ..dialogue.spec import ERRORS

dialogue = AppGroup("dialogue", help="Check, draw and outline the dialogue files.")


def register(app: Flask) -> None:
    """Attach the ``dialogue`` commands to ``flask --app app``."""
    app.cli.add_command(dialogue)


@dialogue.command("check", with_appcontext=False)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--codes", is_flag=True, help="List every error code and what it means.")
def check(files: tuple[Path, ...], codes: bool) -> None:
    """Check dialogue files (all of dialogues/ when none are named); exit 1 on any mistake.

    The other files in each file's folder are read too, so that a list taken from another dialogue
    (Part 2 reads Part 1) is checked against it; only the named files' own mistakes are reported."""
    if codes:
        for code, meaning in ERRORS.items():
            click.echo(f"{code}  {meaning}")
        return
    if not files:
        from config import ROOT

        files = tuple(sorted((ROOT / "dialogues").glob("*.yaml")))
    folders = {f.resolve().parent for f in files}
    also = [p for folder in folders for p in sorted(folder.glob("*.yaml"))]
    also = [p for p in also if p.resolve() not in {f.resolve() for f in files}]
    specs, problems = load_dialogues(files, also=also)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        click.echo(f"{len(problems)} {noun} in {len(files)} dialogue file(s).", err=True)
        sys.exit(1)
    noun = "dialogue" if len(specs) == 1 else "dialogues"
    click.echo(f"{len(specs)} {noun} checked, no problems.")


def _spec(name: str):
    # Read from the folder the app would use (DIALOGUE_DIR), without building the app: drawing a
    # dialogue needs no secret, database or mail settings.
    from config import Config

    from ..dialogue import Registry

    registry = Registry.load(Config.DIALOGUE_DIR)
    if name not in registry:
        raise click.BadParameter(f"no dialogue '{name}'; there are: {', '.join(registry)}", param_hint="NAME")
    return registry[name].spec, registry.roles()


@dialogue.command("diagram", with_appcontext=False)
@click.argument("name")
def diagram(name: str) -> None:
    """Print a dialogue's map as a Mermaid flowchart (paste it into any Mermaid viewer)."""
    from .diagram import mermaid

    spec, roles = _spec(name)
    click.echo(mermaid(spec, roles), nl=False)


@dialogue.command("outline", with_appcontext=False)
@click.argument("name")
def outline(name: str) -> None:
    """Print a dialogue as a readable outline: steps in order, questions, options, branches."""
    from .outline import outline_text

    spec, roles = _spec(name)
    click.echo(outline_text(spec, roles), nl=False)
