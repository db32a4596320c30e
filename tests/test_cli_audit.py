"""Every command that reads or changes records leaves one audit entry per run: through the command
line, the operating-system user who ran it, the command line as typed with personal values masked,
the case it names, and how it ended (a refused or failed run too)."""

from __future__ import annotations

import getpass

import click
import sqlalchemy as sa
from conftest import WORKER_EMAIL
from flask.cli import ScriptInfo

from app import cli, db
from app.models import AuditEvent, Case


def cli_entries(app) -> list[tuple]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.via == "cli").order_by(AuditEvent.id)
        )
        return [(e.action, e.case_id, e.detail, e.os_user, e.user_id) for e in found]


def case_id(app, reference) -> int | None:
    with app.app_context():
        return db.session.scalar(sa.select(Case.id).where(Case.reference == reference))


def as_typed(app):
    """What ``flask --app app`` hands a command: the app found from its import path."""
    return ScriptInfo(app_import_path="app", create_app=lambda: app)


def test_export_leaves_one_entry_with_the_os_user_and_the_command_line(app, runner, invite):
    invite(reference="CASE-1")
    result = runner.invoke(args=["export", "--case", "CASE-1"], obj=as_typed(app))
    assert result.exit_code == 0, result.output
    [(action, on_case, detail, os_user, user_id)] = cli_entries(app)
    assert action == "cli:export" and user_id is None
    assert on_case == case_id(app, "CASE-1")
    assert detail == "flask --app app export --case CASE-1 [exit 0]"
    assert os_user.split(" ")[0] == getpass.getuser()


def test_invite_masks_the_persons_name_everywhere_in_the_audit_log(app, runner, invite):
    invite(reference="CASE-0")  # a team with a worker
    args = ["invite", "--case", "CASE-2", "--part", "1", "--name", "Sam Secret", "--worker", WORKER_EMAIL]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    [(action, on_case, detail, _os_user, _user)] = cli_entries(app)
    assert action == "cli:invite" and on_case == case_id(app, "CASE-2")
    assert detail == f"flask invite --case CASE-2 --part 1 --name *** --worker {WORKER_EMAIL} [exit 0]"
    with app.app_context():
        every_value = [
            str(value) for row in db.session.execute(sa.text("SELECT * FROM audit_event")) for value in row
        ]
    assert every_value and not any("Sam" in v or "Secret" in v for v in every_value)


def test_a_failing_command_leaves_its_entry_with_how_it_ended(app, runner, invite):
    invite(reference="CASE-1")
    missing = runner.invoke(args=["export", "--case", "NO-SUCH-CASE"])
    assert missing.exit_code == 1
    refused = runner.invoke(args=["invite", "--case", "CASE-1", "--part", "1", "--respondent", "nobody"])
    assert refused.exit_code == 2
    assert [entry[:3] for entry in cli_entries(app)] == [
        ("cli:export", None, "flask export --case NO-SUCH-CASE [exit 1]"),
        (
            "cli:invite",
            case_id(app, "CASE-1"),
            "flask invite --case CASE-1 --part 1 --respondent nobody [refused, exit 2]",
        ),
    ]
    assert all(entry[3].split(" ")[0] == getpass.getuser() for entry in cli_entries(app))


def test_a_password_from_standard_input_never_reaches_the_log(app, runner):
    runner.invoke(args=["create-team", "North", "--duty-email", "duty@north.example"])
    result = runner.invoke(
        args=["create-user", "w@north.example", "--role", "worker", "--team", "North", "--password-stdin"],
        input="a long secret password\n",
    )
    assert result.exit_code == 0, result.output
    # What the services audit while a command runs is the command line's too, by the same user.
    assert [(e[0], e[2].split(" ")[0], e[3] is not None) for e in cli_entries(app)] == [
        ("create_team", "team", True),
        ("cli:create-team", "flask", True),
        ("create_user", "user", True),
        ("cli:create-user", "flask", True),
    ]
    details = [e[2] for e in cli_entries(app) if e[0].startswith("cli:")]
    assert details == [
        "flask create-team North --duty-email duty@north.example [exit 0]",
        "flask create-user w@north.example --role worker --team North --password-stdin [exit 0]",
    ]


def test_any_command_registered_is_masked_the_same_way(app, runner):
    """A command of another module (as the records commands come in through all_commands()):
    passwords, reasons and words never reach the log, whatever the command."""

    @click.command("probe")
    @click.option("--password-file")
    @click.option("--reason")
    @click.option("--case", "reference")
    @click.option("--loud/--quiet", default=True)
    @click.argument("words", nargs=-1)
    def probe(password_file, reason, reference, loud, words):
        raise click.ClickException("not today")

    app.cli.add_command(cli.audited(probe))
    cli.audited(probe)  # a second registration (another app in the process) wraps nothing twice
    args = ["probe", "--password-file", "/etc/pw", "--reason", "She asked", "--quiet", "Ann", "Lee"]
    assert runner.invoke(args=args).exit_code == 1
    [(action, on_case, detail, _os_user, _user)] = cli_entries(app)
    assert action == "cli:probe" and on_case is None
    assert detail == "flask probe --password-file *** --reason *** --quiet *** *** [refused, exit 1]"
