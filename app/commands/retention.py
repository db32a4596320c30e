"""Commands: ``flask --app app retention [--dry-run]``: erase the conversations (and the case) of every
case closed more than RETENTION_MONTHS ago, unless a legal hold keeps it. Every server process also
does this daily (RETENTION_SWEEP); the command is for an operator, a check, or a first run.

Each case is one line as it is done (flushed, so progress shows in a log as it happens): its id, when
it closed, why, and what became of it; then a summary. Never a name or anything the person said. A
dry run also shows each case's reference, so that someone can check it in the council's case system
(or a manager can put it under a legal hold) before the real run; the real run does not print it,
since afterwards nothing else may lead back to the person."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from .. import access
from ..records import RecordsError, retention


@click.command("retention")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="List what would be erased, and why; change nothing.")
def retention_command(dry_run):
    """Erase conversations kept longer than RETENTION_MONTHS after their case closed."""

    def report(outcome: str, candidate: retention.Candidate, words: str) -> None:
        shown = f"case {candidate.case_id}"
        if dry_run:
            shown += f" (reference {candidate.reference})"
        click.echo(f"{shown}: {candidate.why}: {words}")
        sys.stdout.flush()

    try:
        summary = retention.run(dry_run=dry_run, via="cli", os_user=access.os_user(), report=report)
    except RecordsError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(summary.line())


COMMANDS = [retention_command]
