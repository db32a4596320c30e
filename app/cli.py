"""Command-line tools for workers and operators: thin wrappers over the services."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .cases import CaseError
from .cases import services as cases
from .clock import aware
from .staff import teams


def register(app: Flask) -> None:
    """Attach the commands to ``flask --app app``."""
    from .commands import all_commands
    from .translate import translate

    for command in (
        *all_commands(),
        invite,
        export,
        demo,
        serve,
        translate,
        create_user,
        create_team,
        edit_team,
        send_notifications,
    ):
        app.cli.add_command(command)


@click.command()
@with_appcontext
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--part", type=click.IntRange(1, 2), required=True, help="1 at the start, 2 at closure.")
@click.option("--language", default=None, help="Language code, e.g. en.")
@click.option(
    "--respondent",
    default=None,
    metavar="WHO",
    help="Who will answer: self, representative, or a role from the dialogue files (e.g. imca), "
    "which means a representative in that role.",
)
@click.option("--name", default=None, help="The person's preferred name.")
@click.option(
    "--worker",
    "worker",
    default=None,
    metavar="EMAIL",
    help="The accountable worker (or manager) of a new case; the case's team is theirs.",
)
@click.option(
    "--eligible-agreed-by",
    "agreed_by",
    default=None,
    metavar="MANAGER_EMAIL",
    help="Part 2: eligibility was agreed in the council's case system by this manager of the "
    "case's team (recorded as imported, and audited).",
)
def invite(reference, part, language, respondent, name, worker, agreed_by):
    """Make an invitation and print it as JSON: code, url, expiry."""
    if respondent is not None and respondent not in cases.respondents():
        raise click.BadParameter(
            f"{respondent!r} is not one of {', '.join(cases.respondents())}.", param_hint="'--respondent'"
        )
    try:
        new = cases.create_invitation(
            reference, part, language, respondent, name, worker=worker, eligible_agreed_by=agreed_by
        )
    except CaseError as exc:
        hint = ""
        if part == 2 and not agreed_by and "Part 2" in str(exc):
            hint = " Record it on the case page, or give --eligible-agreed-by MANAGER_EMAIL."
        raise click.UsageError(str(exc) + hint) from None
    click.echo(json.dumps(invitation_json(new)))


def invitation_json(new: cases.NewInvitation) -> dict:
    """What ``invite`` prints for a new invitation (the test servers' helper returns the same)."""
    return {
        "code": new.code,
        "url": new.url,
        "case": new.invitation.case.reference,
        "part": new.invitation.part,
        "language": new.conversation.language,
        "respondent": new.conversation.respondent,
        "worker": _worker_email(new.invitation.case),
        "expires_at": aware(new.invitation.expires_at).isoformat(),
    }


def _worker_email(case) -> str | None:
    worker = teams.worker_of(case)
    return worker.email if worker else None


@click.command()
@with_appcontext
@click.option("--case", "reference", required=True, help="The case reference.")
def export(reference):
    """Print a case's conversations and answers as JSON."""
    data = cases.export_case(reference)
    if data is None:
        click.echo(f"No case with reference {reference!r}.", err=True)
        sys.exit(1)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.command()
@with_appcontext
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host, port):
    """Run the production server: gunicorn's threads, WebSockets on them (app/serving.py)."""
    _run_server(host, port)


def _run_server(host: str, port: int) -> None:
    """Serve, with this process's mail sender and escalation check running beside it."""
    from . import serving

    serving.run(current_app._get_current_object(), host, port)


@click.command()
@with_appcontext
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def demo(host, port):
    """Make a demo case with Part 1 and Part 2 invitations, print their links, start the server.

    Development mode only (``MSP_ENV=development``, as ``make run`` sets): never demo accounts and
    cases in a production database."""
    if not current_app.config.get("DEVELOPMENT"):
        raise click.UsageError("the demo runs only in development mode: MSP_ENV=development (make run)")
    current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    staff = _demo_staff()
    first = cases.create_invitation("DEMO-1", 1, worker=staff["worker"].email)
    # The demo manager agrees that the person can be approached for Part 2.
    second = cases.create_invitation("DEMO-1", 2, eligible_agreed_by=staff["manager"].email)
    click.echo("")
    click.echo("My Safeguarding Experience is running. Open a link on a tablet or in a browser:")
    click.echo(f"  Part 1, at the start of an enquiry: {first.url}")
    click.echo(f"  Part 2, at closure:                 {second.url}")
    click.echo(f"  Or go to http://{host}:{port}/ and type a code: {first.code} or {second.code}")
    click.echo("  More invitations: MSP_ENV=development .venv/bin/flask --app app invite --help")
    click.echo(f"Staff pages: http://{host}:{port}/staff/ (demo accounts, new passwords each start)")
    for role in ("worker", "manager"):
        click.echo(f"  {role:8} {staff[role].email}  password: {staff[role + '_password']}")
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("Mail: this demo prints emails to this console instead of sending them, and tells the")
        click.echo("  person that no message is sent. Set MAIL_SERVER to send them (README, Mail).")
    click.echo("")
    _run_server(host, port)


def _demo_staff() -> dict:
    """A demo team with a worker and a manager; their passwords are new on every start."""
    import secrets

    from .access import find_user

    if teams.find_team("Demo team") is None:
        teams.create_team("Demo team", "demo-duty-inbox@example.org")
    found = {}
    for role in ("worker", "manager"):
        email, password = f"demo-{role}@example.org", secrets.token_urlsafe(12)
        user = find_user(email)
        if user is None:
            user = teams.create_user(email, role, "Demo team", password)
        else:
            teams.reset_password(user, password)
        found[role], found[f"{role}_password"] = user, password
    return found


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(["worker", "manager", "admin"]), required=True)
@click.option("--team", default="", help="The team a worker or manager belongs to (made with create-team).")
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
def create_user(email, role, team, password_stdin):
    """Create a staff account."""
    password = sys.stdin.readline().rstrip("\n")
    try:
        user = teams.create_user(email, role, team, password)
    except teams.TeamError as exc:
        raise click.UsageError(str(exc)) from None
    made = {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "team": user.team.name if user.team else None,
    }
    click.echo(json.dumps(made))


@click.command("create-team")
@with_appcontext
@click.argument("name")
@click.option(
    "--duty-email",
    required=True,
    metavar="ADDRESS",
    help="The team's duty inbox: urgent signals go here as well as to the case's worker.",
)
def create_team(name, duty_email):
    """Create a team with its duty inbox."""
    try:
        team = teams.create_team(name, duty_email)
    except teams.TeamError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps({"id": team.id, "name": team.name, "duty_email": team.duty_email}))


@click.command("edit-team")
@with_appcontext
@click.argument("name")
@click.option("--duty-email", default=None, metavar="ADDRESS", help="A new duty inbox.")
@click.option("--rename", default=None, help="A new name for the team.")
def edit_team(name, duty_email, rename):
    """Change a team's duty inbox or name."""
    team = teams.find_team(name)
    if team is None:
        raise click.UsageError(f"There is no team called {name!r}.")
    try:
        team = teams.edit_team(team, rename, duty_email)
    except teams.TeamError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps({"id": team.id, "name": team.name, "duty_email": team.duty_email}))


@click.command("send-notifications")
@with_appcontext
@click.option("--once", is_flag=True, help="Escalate and send what is due now, then stop.")
def send_notifications(once):
    """Send waiting emails and escalate unacknowledged urgent signals (every server process does
    this too; this is for a separate worker process or a check)."""
    import threading

    from . import worker

    if once:
        escalated, sent = worker.run_once()
        click.echo(json.dumps({"escalated": escalated, "sent": sent}))
        return
    worker.run(current_app._get_current_object(), threading.Event())
