"""Command-line tools for workers and operators: thin wrappers over the services."""

from __future__ import annotations

import json
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .cases import services as cases
from .conversation.services import aware
from .dialogue.conditions import REPRESENTATIVE_ROLES


def register(app: Flask) -> None:
    """Attach the commands to ``flask --app app``."""
    from .translate import translate

    for command in (invite, export, demo, serve, translate, create_user):
        app.cli.add_command(command)


@click.command()
@with_appcontext
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--part", type=click.IntRange(1, 2), required=True, help="1 at the start, 2 at closure.")
@click.option("--language", default=None, help="Language code, e.g. en.")
@click.option(
    "--respondent",
    type=click.Choice(["self", "representative", *REPRESENTATIVE_ROLES]),
    default=None,
    help="Who will answer; a role (e.g. imca) means a representative in that role.",
)
@click.option("--name", default=None, help="The person's preferred name.")
def invite(reference, part, language, respondent, name):
    """Make an invitation and print it as JSON: code, url, expiry."""
    try:
        new = cases.create_invitation(reference, part, language, respondent, name)
    except cases.InvitationError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(_invitation_json(new)))


def _invitation_json(new: cases.NewInvitation) -> dict:
    return {
        "code": new.code,
        "url": new.url,
        "case": new.invitation.case.reference,
        "part": new.invitation.part,
        "language": new.conversation.language,
        "respondent": new.conversation.respondent,
        "expires_at": aware(new.invitation.expires_at).isoformat(),
    }


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
    """Run the server (threads and WebSockets) for development or a small deployment."""
    from . import socketio

    # flask's CLI sets this, and app.run() then refuses to start a server.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    socketio.run(current_app, host=host, port=port, allow_unsafe_werkzeug=True)


@click.command()
@with_appcontext
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def demo(host, port):
    """Make a demo case with Part 1 and Part 2 invitations, print their links, start the server."""
    current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    staff = _demo_staff()
    first = cases.create_invitation("DEMO-1", 1)
    second = cases.create_invitation("DEMO-1", 2)
    first.invitation.case.team_id = staff["worker"].team_id
    first.invitation.case.worker_id = staff["worker"].id
    from . import db

    db.session.commit()
    click.echo("")
    click.echo("My Safeguarding Experience is running. Open a link on a tablet or in a browser:")
    click.echo(f"  Part 1, at the start of an enquiry: {first.url}")
    click.echo(f"  Part 2, at closure:                 {second.url}")
    click.echo(f"  Or go to http://{host}:{port}/ and type a code: {first.code} or {second.code}")
    click.echo("  More invitations: flask --app app invite --help")
    click.echo(f"Staff pages: http://{host}:{port}/staff/ (demo accounts, new passwords each start)")
    for role in ("worker", "manager"):
        click.echo(f"  {role:8} {staff[role].email}  password: {staff[role + '_password']}")
    click.echo("")
    from . import socketio

    # flask's CLI sets this, and app.run() then refuses to start a server.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    socketio.run(current_app, host=host, port=port, allow_unsafe_werkzeug=True)


def _demo_staff() -> dict:
    """A demo team with a worker and a manager; their passwords are new on every start."""
    import secrets

    from . import db
    from .staff.auth import find_user, hash_password
    from .staff.routes import create_user as make_user

    found = {}
    for role in ("worker", "manager"):
        email, password = f"demo-{role}@example.org", secrets.token_urlsafe(12)
        user = find_user(email)
        if user is None:
            user = make_user(email, role, "Demo team", password)
        else:
            user.password_hash, user.failed_sign_ins, user.locked_until = hash_password(password), 0, None
            db.session.commit()
        found[role], found[f"{role}_password"] = user, password
    return found


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(["worker", "manager", "admin"]), required=True)
@click.option("--team", default="", help="The team a worker or manager belongs to.")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (never from the command line).")  # fmt: skip
def create_user(email, role, team, password_stdin):
    """Create a staff account."""
    from .staff.routes import create_user as make_user

    password = sys.stdin.readline().rstrip("\n")
    try:
        user = make_user(email, role, team, password)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps({"id": user.id, "email": user.email, "role": user.role,
                           "team": user.team.name if user.team else None}))  # fmt: skip
