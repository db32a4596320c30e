"""The worker's command line: ``flask --app app invite`` and ``flask --app app export``.

Covers: ``invite`` prints one JSON object whose link and code open the conversation; the options
``--respondent``, ``--name`` and ``--language`` are honoured; bad options fail clearly and create
nothing; the code itself is never stored; ``export`` gives every answer exactly as given, whose view
it gives and when, with a changed answer's earlier value kept apart; an unknown case fails clearly;
and nothing personal is printed except in the export itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from conftest import MANAGER_EMAIL, WORKER_EMAIL, ensure_team
from sqlalchemy import func, select

from app import db
from app.conversation import codes
from app.models import Case, Conversation, Invitation, utcnow

PRIVATE_NAME = "Sam Doe-Private"
# Free text with what tends to get mangled on the way: line breaks, quotes, accents, emoji, markup.
TEXT = 'Bitte langsam sprechen — "not before 10am".\nÇa va? 🙂 <b>not bold</b>'


@pytest.fixture
def cli(app, runner):
    """Run a command as ``flask --app app ...`` does, on the test app. ``invite`` names the team's
    worker as the accountable worker unless the test gives ``--worker`` (or ``--worker=``) itself."""
    ensure_team(app)

    def run(*args):
        args = list(args)
        if args and args[0] == "invite" and not any(a.startswith("--worker") for a in args):
            args += ["--worker", WORKER_EMAIL]
        return runner.invoke(args=args)

    return run


def invited(cli, *args) -> dict:
    """Run ``invite`` and return its one JSON object."""
    result = cli("invite", *args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


def exported(cli, reference: str) -> dict:
    result = cli("export", "--case", reference)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Case, Invitation, Conversation)
        }


def answer_until(c, stop: str, answers: dict) -> dict:
    """Answer turn after turn from ``answers`` (by step; otherwise skip or continue) until ``stop``.
    "Shall we start?" is answered yes unless ``answers`` says otherwise."""
    answers = {"consent": "yes", **answers}
    for _ in range(30):
        turn = c.turn
        if turn["step"] == stop:
            return turn
        ack = c.answer(answers.get(turn["step"]))
        assert ack["ok"], (turn["step"], ack)
    raise AssertionError(f"never reached {stop}")


def as_utc(text: str) -> datetime:
    """An exported time; one without an offset is read as UTC, which is what the app stores."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- invite ----------------------------------------------------------------------------------------


def test_invite_prints_one_json_object_whose_link_opens_the_chat(app, client, cli):
    data = invited(cli, "--case", "CASE-CLI", "--part", "1")
    code, url = data["code"], data["url"]
    assert codes.looks_like_code(code)
    assert url == f"{app.config['PUBLIC_URL'].rstrip('/')}/s/{code}"
    assert data["case"] == "CASE-CLI" and data["part"] == 1
    assert as_utc(data["expires_at"]) > utcnow()

    # The link opens the conversation, then leaves the code behind.
    response = client.get(urlsplit(url).path)
    assert response.status_code == 302 and response.headers["Location"] == "/chat"
    page = client.get("/chat")
    assert page.status_code == 200
    dialogue = app.extensions["dialogues"]["part1"]
    first = dialogue.spec.steps[dialogue.spec.start]
    html = page.get_data(as_text=True)
    assert f'name="step" value="{first.id}"' in html
    assert first.say[0] in html


def test_the_code_is_printed_but_never_stored(app, cli):
    code = invited(cli, "--case", "CASE-CLI", "--part", "1")["code"]
    # Only a hash is kept: a copy of the database must not open anyone's conversation.
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                assert code not in repr(row) and codes.normalise(code) not in repr(row), table.name


def test_invite_honours_respondent_name_and_language(app, cli, chat):
    data = invited(
        cli,
        "--case",
        "CASE-IMCA",
        "--part",
        "1",
        "--respondent",
        "imca",
        "--name",
        "Sam",
        "--language",
        "en",
    )
    assert data["respondent"] == "imca" and data["language"] == "en"

    c = chat(data["code"])
    welcome = c.turn
    assert welcome["step"] == "welcome"
    assert "Sam" in " ".join(welcome["messages"])  # spoken about Sam, to the IMCA
    assert c.answer(None)["ok"]
    assert c.turn["step"] == "consent"
    assert c.answer("yes")["ok"]
    # The invitation already said who answers, in what role, and the name: none of that is asked.
    after = c.turn
    assert after["step"] not in ("who", "role", "name")
    assert "Sam" in " ".join(after["messages"])

    conversation = exported(cli, "CASE-IMCA")["conversations"][0]
    assert conversation["respondent"] == "imca"
    assert conversation["respondent_role"] == "imca"
    assert conversation["language"] == "en"


@pytest.mark.parametrize(
    "args, names",
    [
        (["--case", "CASE-BAD", "--part", "3"], "--part"),
        (["--case", "CASE-BAD", "--part", "1", "--respondent", "boss"], "--respondent"),
        (["--case", "CASE-BAD", "--part", "1", "--language", "xx"], "language"),
        (["--case", "   ", "--part", "1"], "case reference"),
        (["--case", "C" * 65, "--part", "1"], "case reference"),
    ],
    ids=["part", "respondent", "language", "blank-case", "long-case"],
)
def test_a_bad_invite_fails_clearly_and_creates_nothing(app, cli, args, names):
    result = cli("invite", *args, "--name", PRIVATE_NAME)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a usage error, not a crash
    assert "Error:" in result.stderr and names in result.stderr
    assert result.stdout == ""  # no half-made invitation to copy
    assert PRIVATE_NAME not in result.stdout + result.stderr
    assert counts(app) == {"Case": 0, "Invitation": 0, "Conversation": 0}


def test_invite_prints_nothing_personal(cli):
    result = cli("invite", "--case", "CASE-PII", "--part", "1", "--name", PRIVATE_NAME)
    assert result.exit_code == 0
    # The worker already knows the name; the printed invitation may be copied into emails and tickets.
    assert "Doe-Private" not in result.stdout + result.stderr
    assert result.stderr == ""


# -- export ----------------------------------------------------------------------------------------


def test_export_gives_each_answer_as_given_with_whose_view_and_when(app, cli, chat):
    code = invited(cli, "--case", "CASE-EXP", "--part", "1", "--respondent", "self")["code"]
    before = utcnow()
    c = chat(code)
    given = {
        "who": "self",
        "involve_how": ["statement", "meetings"],  # the person's order, kept
        "involve_help": TEXT,
        "inform_how": ["letter"],
        "inform_often": "weekly",
    }
    answer_until(c, "inform_times", given)
    # Go back and change one answer: the new one counts, the old one is kept apart.
    assert c.emit("back")["ok"]
    assert c.turn["step"] == "inform_often" and c.turn["answer"] == "weekly"
    assert c.answer("each_step")["ok"]
    assert c.answer(None)["ok"]  # skip 'inform_times'
    after = utcnow()

    data = exported(cli, "CASE-EXP")
    assert data["case"] == "CASE-EXP"
    [conversation] = data["conversations"]
    assert conversation["part"] == 1
    assert conversation["language"] == "en"
    assert conversation["respondent_role"] == "self"

    answers = conversation["answers"]
    steps = [a["step"] for a in answers]
    assert len(steps) == len(set(steps)), "a step appears once among the answers in force"
    values = {a["step"]: a["value"] for a in answers}
    assert values["involve_how"] == ["statement", "meetings"]
    assert values["involve_help"] == TEXT
    assert values["inform_how"] == ["letter"]
    assert values["inform_often"] == "each_step"
    assert values["inform_times"] is None  # skipped, and said so
    for a in answers:
        assert a["view"] == "person"
        assert before <= as_utc(a["answered_at"]) <= after
        assert a["superseded_at"] is None

    [earlier] = conversation["earlier_answers"]
    assert earlier["step"] == "inform_often" and earlier["value"] == "weekly"
    assert as_utc(earlier["answered_at"]) <= as_utc(earlier["superseded_at"])
    assert as_utc(values_at(answers, "inform_often")["answered_at"]) >= as_utc(earlier["answered_at"])


def values_at(answers: list[dict], step: str) -> dict:
    return next(a for a in answers if a["step"] == step)


def test_export_says_whose_view_a_representative_gives(cli, chat):
    preset = ["--respondent", "imca", "--name", "Sam"]
    c = chat(invited(cli, "--case", "CASE-REP", "--part", "1", *preset)["code"])
    steps = {
        "who": "representative",
        "role": "imca",
        "name": "Sam",
        "view": "representative_account",
        "why_representative": "lacks_capacity",
    }
    answer_until(c, "involve_how", steps)
    assert c.answer(["meetings"])["ok"]
    invited(cli, "--case", "CASE-REP", "--part", "2", *preset, "--eligible-agreed-by", MANAGER_EMAIL)

    data = exported(cli, "CASE-REP")
    assert [conv["part"] for conv in data["conversations"]] == [1, 2]
    part1 = data["conversations"][0]
    assert part1["respondent_role"] == "imca"
    involve = values_at(part1["answers"], "involve_how")
    assert involve["value"] == ["meetings"]
    assert involve["view"] == "representative_account"
    assert involve["respondent"] == "imca"
    assert data["conversations"][1]["answers"] == []


def test_export_times_say_they_are_utc(cli, chat):
    # The app stores UTC; an exported time without an offset reads as local time to whoever opens it
    # (an hour out in British Summer Time). ``invite`` already prints ``expires_at`` with +00:00.
    code = invited(cli, "--case", "CASE-TZ", "--part", "1", "--respondent", "self")["code"]
    c = chat(code)
    assert c.answer(None)["ok"]
    [conversation] = exported(cli, "CASE-TZ")["conversations"]
    for moment in [conversation["started_at"], conversation["answers"][0]["answered_at"]]:
        parsed = datetime.fromisoformat(moment)
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0, moment


def test_export_of_an_unknown_case_fails_clearly(cli):
    result = cli("export", "--case", "NO-SUCH-CASE")
    assert result.exit_code != 0
    assert "No case" in result.stderr and "NO-SUCH-CASE" in result.stderr
    assert result.stdout == ""


# -- every case has an accountable worker; Part 2 obeys the eligibility rule ------------------------


def _all_counts(app) -> dict[str, int]:
    """What a refused command must not have written: every table it could touch, and the audit
    log apart from the command's own entry (app/cli.py audits every run, a refused one too)."""
    from app.models import AuditEvent, Eligibility

    with app.app_context():
        counts = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Case, Invitation, Conversation, Eligibility)
        }
        not_runs = select(func.count()).select_from(AuditEvent).where(AuditEvent.action.not_like("cli:%"))
        counts["AuditEvent"] = db.session.scalar(not_runs)
        return counts


def test_a_new_case_is_given_to_the_named_worker_and_their_team(cli, app):
    data = invited(cli, "--case", "CASE-W", "--part", "1", "--worker", WORKER_EMAIL.upper())
    assert data["worker"] == WORKER_EMAIL
    with app.app_context():
        from app.models import User

        case = db.session.scalars(select(Case).where(Case.reference == "CASE-W")).one()
        worker = db.session.get(User, case.worker_id)
        assert worker.email == WORKER_EMAIL and case.team_id == worker.team_id


@pytest.mark.parametrize(
    "worker, says",
    [
        (None, "needs an accountable worker: give --worker EMAIL"),
        ("nobody@team.example", "no worker or manager has the email"),
        ("gone@team.example", "is deactivated"),
        ("worker@noduty.example", "has no duty inbox"),
    ],
)
def test_invite_refuses_a_new_case_without_an_active_worker_with_a_duty_inbox(app, runner, worker, says):
    from app.models import Team, User

    ensure_team(app)
    with app.app_context():
        team = db.session.scalars(select(Team)).first()
        no_duty = Team(name="No duty", duty_email=None)
        db.session.add_all(
            [
                User(email="gone@team.example", password_hash="!", role="worker", team=team, active=False),
                no_duty,
                User(email="worker@noduty.example", password_hash="!", role="worker", team=no_duty),
            ]
        )
        db.session.commit()
    before = _all_counts(app)
    args = ["invite", "--case", "CASE-NEW", "--part", "1"] + (["--worker", worker] if worker else [])
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert says in result.stderr
    assert _all_counts(app) == before


def test_an_existing_case_keeps_its_worker(cli, app):
    invited(cli, "--case", "CASE-K", "--part", "1")
    data = invited(cli, "--case", "CASE-K", "--part", "1", "--worker", MANAGER_EMAIL)
    assert data["worker"] == WORKER_EMAIL


def test_part2_from_the_command_line_obeys_the_eligibility_rule(cli, app):
    invited(cli, "--case", "CASE-E", "--part", "1")
    before = _all_counts(app)
    refused = cli("invite", "--case", "CASE-E", "--part", "2")
    assert refused.exit_code != 0 and "agreed by a manager" in refused.stderr
    assert "--eligible-agreed-by" in refused.stderr
    # Only a manager of the case's team, by their own account, may have agreed it.
    for who in (WORKER_EMAIL, "nobody@team.example"):
        result = cli("invite", "--case", "CASE-E", "--part", "2", "--eligible-agreed-by", who)
        assert result.exit_code != 0 and "no active manager" in result.stderr
    assert _all_counts(app) == before

    data = invited(cli, "--case", "CASE-E", "--part", "2", "--eligible-agreed-by", MANAGER_EMAIL)
    assert data["part"] == 2
    with app.app_context():
        from app.models import AuditEvent, Eligibility, User

        record = db.session.scalars(select(Eligibility)).one()
        manager = db.session.get(User, record.agreed_by_id)
        assert (record.decision, record.status, record.source, manager.email) == (
            "yes",
            "approved",
            "cli",
            MANAGER_EMAIL,
        )
        imported = select(AuditEvent).where(AuditEvent.action == "eligibility_imported")
        audit = db.session.scalars(imported).one()
        assert audit.user_id == manager.id and audit.case_id == record.case_id
    # Agreed once, later Part 2 invitations need no flag.
    assert invited(cli, "--case", "CASE-E", "--part", "2")["part"] == 2


def test_a_manager_of_another_team_cannot_agree_eligibility(cli, app):
    from app.models import Team, User

    with app.app_context():
        other = Team(name="Other", duty_email="duty@other.example")
        db.session.add_all(
            [other, User(email="boss@other.example", password_hash="!", role="manager", team=other)]
        )
        db.session.commit()
    invited(cli, "--case", "CASE-O", "--part", "1")
    result = cli("invite", "--case", "CASE-O", "--part", "2", "--eligible-agreed-by", "boss@other.example")
    assert result.exit_code != 0 and "not a manager of this case's team" in result.stderr


def test_create_team_and_edit_its_duty_inbox(cli, app):
    made = cli("create-team", "East", "--duty-email", "duty@east.example")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["duty_email"] == "duty@east.example"
    for bad in (
        ["create-team", "East", "--duty-email", "other@east.example"],  # the name is taken
        ["create-team", "West", "--duty-email", "not an address"],
        ["create-team", "West"],
    ):
        result = cli(*bad)
        assert result.exit_code != 0 and "Error" in result.stderr
    changed = cli("edit-team", "East", "--duty-email", "new-duty@east.example")
    assert changed.exit_code == 0 and json.loads(changed.stdout)["duty_email"] == "new-duty@east.example"
    assert cli("edit-team", "Nowhere", "--duty-email", "a@b.example").exit_code != 0
    # A worker joins a team that exists, with its duty inbox.
    result = runner_input(
        app, ["create-user", "w@east.example", "--role", "worker", "--team", "West", "--password-stdin"]
    )
    assert result.exit_code != 0 and "There is no team called 'West'" in result.stderr


def runner_input(app, args):
    return app.test_cli_runner().invoke(args=args, input="a long enough password\n")
