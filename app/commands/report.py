"""``flask --app app report --period 2026Q4 [--team NAME] --format csv|json``: the managers' report
as it may be shared outside the team (small numbers suppressed, no free text), for one team or every
team. Each export is audited (``export_report``), beside the command's own audit entry."""

from __future__ import annotations

import csv
import io
import json

import click
from flask.cli import with_appcontext

from .. import access
from ..reports import ReportError, figures, periods


@click.command("report")
@with_appcontext
@click.option("--period", "period_text", required=True, help="A quarter (2026Q4), a year (2026) or 2026-27.")
@click.option("--team", default=None, help="A team's name; every team when left out.")
@click.option("--format", "kind", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def report_command(period_text, team, kind):
    """Print the shared (suppressed) report figures for a period."""
    try:
        period = periods.parse(period_text)
        chosen = figures.team_named(team) if team is not None else None
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None
    found = figures.report(period, chosen)
    access.audit(None, "export_report", detail=f"{period.label}; team {found.team or 'all'}; {kind}")
    if kind == "json":
        click.echo(json.dumps(figures.shared_json(found), indent=2, ensure_ascii=False))
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(figures.csv_rows(found))
        click.echo(out.getvalue(), nl=False)


COMMANDS = [report_command]
