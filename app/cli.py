"""Command-line tools for workers and operators: thin wrappers over the services.

Every command that reads or changes records is audited once per run (``register`` wraps each
one): the command line with personal values masked, the operating-system user, the case it names
and how it ended, even when it failed."""

from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from contextlib import contextmanager

import click
from click.core import ParameterSource
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import select

from . import db
from .access import audit, command_running, os_user
from .cases import CaseError
from .cases import services as cases
from .clock import aware
from .staff import teams


def register(app: Flask) -> None:
    """Attach the commands to ``flask --app app``, each audited (``audited``)."""
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
        if command.name not in NOT_AUDITED:
            audited(command)
        app.cli.add_command(command)


# -- every command audited ------------------------------------------------------------------------

# The values never written to the audit log, because they can be a person's name or words, a
# typed reason or note, or a secret: matched by click's parameter name ("name" for --name,
# "reason" for --reason) in every command, ours and the records commands alike. A value masked
# is shown as MASK; the option itself is kept, so the entry still says what was given.
MASKED = frozenset(
    {
        "name",  # invite --name: the person's preferred name
        "person_name",
        "preferred_name",
        "representative_name",
        "reason",  # a legal hold's or an erasure's reason, in a manager's words
        "note",
        "text",
        "words",  # words to redact from a subject access copy (names)
        "key",
        "keys",
        "secret",
        "token",
        "url",  # a database URL can hold its password
        "database_url",
    }
)
MASKED_PREFIXES = ("password",)  # --password, --password-file …: never a password in the log
# …except a team's name, which is no one's personal data and says which team was made or changed.
NOT_MASKED = frozenset({("create-team", "name"), ("edit-team", "name")})
MASK = "***"
# Commands that read and change no records (translation catalogues; a new key printed, stored
# nowhere): not audited. ``dialogue`` (check, diagram, outline of the dialogue files) is added by
# app/authoring and is not wrapped either, for the same reason.
NOT_AUDITED = frozenset({"translate", "new-data-key", "dialogue"})
# Parameters that name a case by its reference (or id): the entry is filed under that case.
CASE_PARAMETERS = frozenset({"reference", "case", "case_reference", "case_id"})
_AUDITED = "_msp_audited"


def audited(command: click.Command) -> click.Command:
    """Wrap the command's callback (each subcommand's, for a group) so that every run writes one
    audit entry when it ends, however it ends. Wrapping twice (another app in the same process
    registering the same command objects) is a no-op."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            audited(sub)
        return command
    callback = command.callback
    if callback is None or getattr(callback, _AUDITED, False):
        return command

    @functools.wraps(callback)
    def run(*args, **kwargs):
        ctx, pid, by = click.get_current_context(), os.getpid(), os_user()
        with _app_context(ctx), command_running(by):
            outcome = "failed"
            try:
                result = callback(*args, **kwargs)
                outcome = "exit 0"
                return result
            except click.exceptions.Exit as exc:
                outcome = f"exit {exc.exit_code}"
                raise
            except click.Abort:
                outcome = "interrupted"
                raise
            except click.ClickException as exc:
                outcome = f"refused, exit {exc.exit_code}"
                raise
            except SystemExit as exc:
                code = exc.code
                outcome = f"exit {0 if code is None else code if isinstance(code, int) else 1}"
                raise
            except KeyboardInterrupt:
                outcome = "interrupted"
                raise
            except Exception as exc:
                outcome = f"failed, {type(exc).__name__}"
                raise
            finally:
                # A process forked by the command (gunicorn's worker, under ``serve``) leaves
                # through here too: only the process that ran the command writes its entry.
                if os.getpid() == pid:
                    _audit_run(ctx, outcome, by)

    setattr(run, _AUDITED, True)
    command.callback = run
    return command


@contextmanager
def _app_context(ctx: click.Context):
    """The app's context for the run and its audit entry (``flask`` pushes one already; a test
    runner leaves it to the command)."""
    if has_app_context():
        yield
        return
    with ctx.ensure_object(ScriptInfo).load_app().app_context():
        yield


def _audit_run(ctx: click.Context, outcome: str, by: str) -> None:
    if outcome != "exit 0":
        db.session.rollback()  # what the command left half done is not saved with its entry
    line, status = command_line(ctx), f" [{outcome}]"
    detail = line[: 500 - len(status)] + status
    action = ("cli:" + " ".join(_path(ctx)))[:32]
    try:
        audit(None, action, _case_named(ctx), detail, via="cli", os_user=by)
    except Exception as exc:
        db.session.rollback()
        click.echo(f"This command's audit entry could not be written: {exc}", err=True)
        if outcome == "exit 0":
            raise click.ClickException("the command ran, but is not in the audit log (see above)") from None


def _chain(ctx: click.Context) -> list[click.Context]:
    found = []
    while ctx is not None:
        found.append(ctx)
        ctx = ctx.parent
    return found[::-1]


def _path(ctx: click.Context) -> list[str]:
    """The command's names below ``flask``: ["export"], ["retention", "run"]."""
    return [c.info_name or c.command.name for c in _chain(ctx)[1:]]


def command_line(ctx: click.Context) -> str:
    """The command line of this run: ``flask --app app`` (when the app was named), each command's
    name and what was typed for it, in the order the command declares them (values from the
    environment or defaults were not typed and are left out), with personal values masked."""
    chain = _chain(ctx)
    words = ["flask"]
    info = ctx.find_object(ScriptInfo)
    if info is not None and info.app_import_path:
        words += ["--app", info.app_import_path]
    for link in chain[1:]:
        words.append(link.info_name or link.command.name)
        words += _typed(link)
    return " ".join(word if word == MASK else shlex.quote(word) for word in words)


def _masked(command: str, name: str) -> bool:
    if (command, name) in NOT_MASKED:
        return False
    return name in MASKED or name.startswith(MASKED_PREFIXES)


def _typed(ctx: click.Context) -> list[str]:
    words: list[str] = []
    for param in ctx.command.get_params(ctx):
        if not param.expose_value or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(param.name)
        hidden = _masked(ctx.info_name or ctx.command.name, param.name)
        if isinstance(param, click.Option):
            flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
            if param.is_flag:
                off = param.secondary_opts and not value
                words.append(param.secondary_opts[0] if off else flag)
                continue
            for one in _values(value, param.multiple or param.nargs != 1):
                words += [flag, MASK if hidden else _word(one)]
        else:
            words += [MASK if hidden else _word(one) for one in _values(value, param.nargs != 1)]
    return words


def _values(value, many: bool) -> list:
    if not many:
        return [value]
    flat = []
    for one in value or ():
        flat.extend(one if isinstance(one, tuple) else [one])
    return flat


def _word(value) -> str:
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


def _case_named(ctx: click.Context) -> int | None:
    """The id of the case the command names (by ``--case`` or a case id), if it exists now."""
    from .models import Case

    for name in CASE_PARAMETERS:
        if ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(name)
        if isinstance(value, int):
            return value if db.session.get(Case, value) is not None else None
        if isinstance(value, str) and value:
            return db.session.scalar(select(Case.id).where(Case.reference == value))
    return None


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
@click.option(
    "--format",
    "kind",
    type=click.Choice(["json", "fhir", "csv"]),
    default="json",
    show_default=True,
    help="json: the conversations and answers; fhir: a FHIR R4 Bundle of the Questionnaires and the "
    "finished conversations' QuestionnaireResponses; csv: one row per answer, superseded ones too.",
)
def export(reference, kind):
    """Print a case's conversations and answers (JSON, FHIR R4 or CSV)."""
    from .records import case_csv, fhir

    case = cases.find_case(reference)
    if case is None:
        click.echo(f"No case with reference {reference!r}.", err=True)
        sys.exit(1)
    if kind == "csv":
        click.echo(case_csv.case_csv(case), nl=False)
        return
    data = fhir.case_bundle(case) if kind == "fhir" else cases.export_case(reference)
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
