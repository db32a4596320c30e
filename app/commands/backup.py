"""``flask --app app backup PATH`` and ``restore PATH --yes``: the whole database, with SQLite's
online backup API or PostgreSQL's pg_dump and pg_restore (``app/records/backup.py``). Both are
audited like every command (``app/cli.py``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..access import os_user
from ..records import RecordsError
from ..records import backup as backups

# How the counts of a backup are named when it is taken or restored.
COUNTED = {
    "case": "cases",
    "conversation": "conversations",
    "answer": "answers",
    "audit_event": "audit entries",
}


def _summary(found: backups.Backup) -> str:
    counted = ", ".join(f"{n:,} {COUNTED.get(table, table)}" for table, n in found.counts.items())
    size = f"{found.size / 1_000_000:.1f} MB" if found.size >= 100_000 else f"{found.size:,} bytes"
    return f"schema {found.revision}, {size}" + (f"; {counted}" if counted else "")


def _remind() -> None:
    for line in backups.reminder(current_app.config.get("RETENTION_MONTHS")):
        click.echo(line)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path):
    """Back the database up to PATH, a new file, while the servers keep running."""
    source = backups.described()
    try:
        found = backups.take(path)
    except RecordsError as exc:
        raise click.ClickException(str(exc)) from None
    how = "SQLite's online backup" if found.kind == "sqlite" else "pg_dump --format=custom"
    click.echo(f"Backed up {source} to {found.path} ({how}): {_summary(found)}.")
    _remind()


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database with the backup. Stop every server first.")
def restore(path: Path, yes: bool):
    """Replace the database with the backup at PATH (checked first). Stop every server first."""
    target = backups.described()
    try:
        found = backups.inspect(path)
        if not yes:
            click.echo(f"{found.path} is a backup of this app: {_summary(found)}.")
            raise click.ClickException(
                f"Nothing was changed. Restoring replaces everything in {target} with this backup. "
                "Stop every server that uses it first, then run this again with --yes."
            )
        done = backups.restore(path, os_user=os_user())
    except RecordsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {target} from {done.backup.path}: {_summary(done.backup)}.")
    if done.audit_carried:
        click.echo(
            f"{done.audit_carried} audit entries written since the backup was taken are kept: "
            "they were written again into the restored audit log."
        )
    if done.undone_erasures:
        listed = ", ".join(str(case_id) for case_id in done.undone_erasures)
        click.echo(
            f"Erased or removed after this backup was taken, and back now: case id {listed} "
            "(audited as erasure_undone on each). Erase again each erased on request; retention "
            "erases again those past RETENTION_MONTHS."
        )
    click.echo("Start the servers again: they bring the schema up to date if the backup is older.")
    if current_app.config.get("RETENTION_SWEEP"):
        click.echo("Each server's retention run at its start erases again what is past RETENTION_MONTHS.")
    _remind()


COMMANDS = [backup, restore]
