"""Retention: a case closed more than RETENTION_MONTHS ago is listed by ``flask retention --dry-run``
(nothing changes) and erased by the real run (answers, names, free text and the case itself gone from
the database and its file; anonymous counts left); an open, recent or held case is kept; the daily
sweep does the same; a run killed with SIGKILL part way leaves every case whole or gone, and the next
run finishes with every count made once."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import test_postgres
from conftest import MANAGER_EMAIL, WORKER_EMAIL, ensure_team, opened

from app import db, followups, worker
from app.cases.services import create_invitation, find_case, set_stage
from app.conversation import codes
from app.models import (
    Answer,
    AuditEvent,
    Case,
    Conversation,
    FollowUp,
    Invitation,
    RetainedCount,
    User,
    utcnow,
)
from app.records import erasure, retention

ROOT = Path(__file__).resolve().parents[1]
# What a person typed, and their name: none of it may survive an erasure, anywhere in the file.
SAID = "He takes my pension every Friday"
NOT_TOLD = "Darren from number 12"
NAME = "Samira"
# Every table a case's conversations leave rows in, and the column naming the case (or conversation).
BY_CASE = ("conversation", "invitation", "follow_up", "notification", "eligibility", "subject_access_request")


def db_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def raw(app, sql: str, *params):
    """Rows read straight from the SQLite file, by another connection than the app's."""
    with sqlite3.connect(db_path(app)) as conn:
        return conn.execute(sql, params).fetchall()


def rows_left(app, case_id: int) -> dict[str, int]:
    """How many rows of each table still belong to the case (its answers through its conversations),
    read straight from the SQLite file by one connection of its own (not the app's)."""
    with closing(sqlite3.connect(db_path(app))) as conn:

        def count(sql: str) -> int:
            return conn.execute(sql, (case_id,)).fetchone()[0]

        left = {t: count(f"SELECT count(*) FROM {t} WHERE case_id = ?") for t in BY_CASE}
        left["case"] = count('SELECT count(*) FROM "case" WHERE id = ?')
        left["answer"] = count(
            "SELECT count(*) FROM answer WHERE conversation_id IN"
            " (SELECT id FROM conversation WHERE case_id = ?)"
        )
    return left


def counts(app) -> dict[tuple[str, str], int]:
    """The retained counts, summed over periods and teams, by (measure, value)."""
    found: dict[tuple[str, str], int] = {}
    for measure, value, n in raw(app, "SELECT measure, value, count FROM retained_count"):
        found[(measure, value)] = found.get((measure, value), 0) + n
    return found


def answer(conversation: Conversation, step: str, value, view: str = "person") -> Answer:
    return Answer(
        conversation=conversation,
        step=step,
        value=value,
        view=view,
        respondent=conversation.respondent,
        language=conversation.language,
        client_id=uuid.uuid4().hex,
        answered_at=utcnow(),
    )


def closed_case(app, reference: str, closed_at: datetime | None, part2: bool = True) -> int:
    """A case through the real services (invitations, eligibility, a follow-up with its emails),
    with Part 1 and Part 2 answers written as the chat writes them; then closed at ``closed_at``
    (None: left open). Returns its id."""
    ensure_team(app)
    with app.app_context():
        create_invitation(reference, 1, worker=WORKER_EMAIL, name=NAME)
        case = find_case(reference)
        part1 = case.conversations[0]
        part1.respondent, part1.consent, part1.finished_at = "self", "yes", utcnow()
        db.session.add_all(
            [
                answer(part1, "consent", "yes"),
                answer(part1, "who", "self"),
                answer(part1, "outcome_words", SAID),
                answer(part1, "outcome_choices", ["apology", "feel_safe"]),
                answer(part1, "people_not_told", NOT_TOLD),
            ]
        )
        # A superseded choice is not what the person said in the end: not counted.
        old = answer(part1, "inform_often", "weekly")
        old.superseded_at = utcnow()
        db.session.add_all([old, answer(part1, "inform_often", "each_step")])
        db.session.commit()
        followups.raise_one(part1, "talk_first")
        db.session.commit()
        if part2:
            create_invitation(reference, 2, language="cy", eligible_agreed_by=MANAGER_EMAIL)
            case = find_case(reference)
            second = [c for c in case.conversations if c.dialogue_id == "part2"][0]
            second.respondent, second.consent, second.capacity = "self", "yes", "lacked"
            db.session.add_all([answer(second, "safer", "yes"), answer(second, "questions", SAID)])
            db.session.commit()
        if closed_at is not None:
            set_stage(case, "closed")
            case.closed_at = closed_at
            db.session.commit()
        return case.id


def long_ago(months: int = 80) -> datetime:
    return retention.add_months(utcnow(), -months)


def audit_rows(app, action: str):
    return raw(app, "SELECT case_id, detail, via, user_id FROM audit_event WHERE action = ?", action)


def all_audit_text(app) -> str:
    return " ".join(" ".join(str(v) for v in row if v) for row in raw(app, "SELECT * FROM audit_event"))


# -- calendar months -------------------------------------------------------------------------------


def test_months_are_calendar_months_and_a_short_month_ends_on_its_last_day():
    aug31 = datetime(2025, 8, 31, 9, 30, tzinfo=UTC)
    assert retention.add_months(aug31, 6) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert retention.add_months(datetime(2023, 8, 31, tzinfo=UTC), 6) == datetime(2024, 2, 29, tzinfo=UTC)
    assert retention.add_months(datetime(2020, 1, 15, tzinfo=UTC), 72) == datetime(2026, 1, 15, tzinfo=UTC)
    assert retention.add_months(datetime(2026, 3, 31, tzinfo=UTC), -1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert (
        retention.months_between(datetime(2020, 1, 15, tzinfo=UTC), datetime(2026, 1, 14, tzinfo=UTC)) == 71
    )
    assert (
        retention.months_between(datetime(2020, 1, 15, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC)) == 72
    )
    assert retention.months_between(aug31, datetime(2026, 2, 28, 9, 30, tzinfo=UTC)) == 6


# -- listing and erasing ---------------------------------------------------------------------------


def test_the_dry_run_lists_a_case_past_retention_with_why_and_changes_nothing(app, runner):
    case_id = closed_case(app, "OLD-1", datetime(2019, 3, 2, 10, 0, tzinfo=UTC))
    before = rows_left(app, case_id)
    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    months = retention.months_between(datetime(2019, 3, 2, 10, 0, tzinfo=UTC), utcnow())
    assert (
        f"case {case_id} (reference OLD-1): closed 2019-03-02, {months} months ago; kept 72 months: "
        "would be erased" in result.output
    )
    assert "Dry run: 1 case would be erased, 0 kept under a legal hold. Nothing was changed." in result.output
    assert NAME not in result.output and SAID not in result.output
    assert rows_left(app, case_id) == before and before["answer"] == 9
    assert counts(app) == {}
    assert [(r[0], r[1], r[2]) for r in audit_rows(app, "retention_dry_run")] == [
        (None, "1 case due, 0 held", "cli")
    ]


def test_the_run_erases_everything_of_the_case_and_keeps_counts_with_no_way_back(app, runner):
    case_id = closed_case(app, "OLD-2", datetime(2019, 11, 20, tzinfo=UTC))
    with app.app_context():
        team_id = db.session.get(Case, case_id).team_id
    tokens = [v for (v,) in raw(app, "SELECT value FROM answer WHERE step IN ('outcome_words', 'questions')")]
    tokens += [v for (v,) in raw(app, "SELECT person_name FROM invitation WHERE person_name IS NOT NULL")]
    tokens += [v for (v,) in raw(app, 'SELECT preferred_name FROM "case"')]
    assert len(tokens) == 4 and all(opened(t) in (f'"{SAID}"', NAME) for t in tokens)

    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert f"case {case_id}: closed 2019-11-20" in result.output
    assert (
        "erased (2 conversations, 9 answers, 1 follow-up, 2 invitations, 1 email record, the case record)"
        in (result.output)
    )
    assert "OLD-2" not in result.output  # the real run never prints the reference
    assert "Retention: 1 case erased, 0 kept under a legal hold." in result.output

    assert rows_left(app, case_id) == dict.fromkeys([*BY_CASE, "case", "answer"], 0)
    assert raw(app, "SELECT count(*) FROM answer")[0][0] == 0
    # Gone from the file itself, not only from the tables: the encrypted words, the reference. Read
    # while the app's connections are still open (closing the last one would checkpoint the WAL
    # anyway): the run's own checkpoint has emptied it.
    stored = b"".join(Path(p).read_bytes() for p in (db_path(app), db_path(app) + "-wal") if Path(p).exists())
    for token in tokens:
        assert token.encode() not in stored
    assert b"OLD-2" not in stored

    assert counts(app) == {
        ("cases", "erased_by_retention"): 1,
        ("conversations:part1", "finished"): 1,
        ("conversations:part2", "unfinished"): 1,
        ("respondent:part1", "self"): 1,
        ("respondent:part2", "self"): 1,
        ("language:part1", "en"): 1,
        ("language:part2", "cy"): 1,
        ("consent:part1", "yes"): 1,
        ("consent:part2", "yes"): 1,
        ("capacity:part2", "lacked"): 1,
        ("easy_read:part1", "no"): 1,
        ("easy_read:part2", "no"): 1,
        ("answer:part1:consent", "yes"): 1,
        ("answer:part1:who", "self"): 1,
        ("answer:part1:outcome_choices", "apology"): 1,
        ("answer:part1:outcome_choices", "feel_safe"): 1,
        ("answer:part1:inform_often", "each_step"): 1,
        ("answer:part2:safer", "yes"): 1,
        ("follow_up", "talk_first"): 1,
    }
    assert {(p, t) for p, t in raw(app, "SELECT DISTINCT period, team_id FROM retained_count")} == {
        ("2019Q4", team_id)
    }
    assert audit_rows(app, "retention_erased") == [
        (
            case_id,
            "2 conversations, 9 answers, 1 follow-up, 2 invitations, 1 email record, the case record",
            "cli",
            None,
        )
    ]
    words = all_audit_text(app)
    for said in (SAID, NOT_TOLD, NAME, "OLD-2"):
        assert said not in words


def test_open_recent_and_held_cases_are_kept_and_the_boundary_is_the_month(app, runner):
    now = utcnow()
    due = closed_case(app, "DUE", retention.add_months(now, -72) - timedelta(minutes=5), part2=False)
    almost = closed_case(app, "ALMOST", retention.add_months(now, -72) + timedelta(days=1), part2=False)
    recent = closed_case(app, "RECENT", now - timedelta(days=30), part2=False)
    still_open = closed_case(app, "OPEN", None, part2=False)
    held = closed_case(app, "HELD", long_ago(), part2=False)
    with app.app_context():
        manager = db.session.scalars(sa.select(User).where(User.email == MANAGER_EMAIL)).one()
        erasure.place_hold(manager, db.session.get(Case, held), "Court of Protection proceedings")

    result = runner.invoke(args=["retention", "--dry-run"])
    assert f"case {due} (reference DUE)" in result.output
    assert f"case {held} (reference HELD)" in result.output and "kept: legal hold (since" in result.output
    for kept in ("ALMOST", "RECENT", "OPEN"):
        assert kept not in result.output

    result = runner.invoke(args=["retention"])
    assert "Retention: 1 case erased, 1 kept under a legal hold." in result.output, result.output
    assert rows_left(app, due)["case"] == 0
    for kept in (almost, recent, still_open, held):
        assert rows_left(app, kept)["answer"] == 7
    assert counts(app)[("cases", "erased_by_retention")] == 1


def test_a_case_reopened_or_held_after_it_was_listed_is_not_erased(app):
    """The run checks each case again once it holds it: what changed since the listing counts."""
    first = closed_case(app, "LISTED-1", long_ago(), part2=False)
    second = closed_case(app, "LISTED-2", long_ago(), part2=False)
    with app.app_context():
        listed = retention.due()
        assert [c.case_id for c in listed] == [first, second]
        now = utcnow()
        set_stage(db.session.get(Case, first), "open")
        assert erasure.erase_after_retention(first, lambda case: retention.is_due(case, now)) is None
        manager = db.session.scalars(sa.select(User).where(User.email == MANAGER_EMAIL)).one()
        erasure.place_hold(manager, db.session.get(Case, second), "Police investigation")
        assert erasure.erase_after_retention(second, lambda case: retention.is_due(case, now)) is None
        assert erasure.erase_after_retention(9999, lambda case: True) is None
    assert rows_left(app, first)["answer"] == rows_left(app, second)["answer"] == 7
    assert counts(app) == {}


def test_the_daily_sweep_erases_what_is_due_and_logs_no_personal_data(app, caplog):
    case_id = closed_case(app, "SWEPT", long_ago(), part2=False)
    stop = threading.Event()
    sweeper = threading.Thread(target=worker.sweep, args=(app, stop), kwargs={"first_after": 0})
    sweeper.start()
    try:
        deadline = time.monotonic() + 20
        while rows_left(app, case_id)["case"] and time.monotonic() < deadline:
            stop.wait(0.05)
    finally:
        stop.set()
        sweeper.join(timeout=10)
    assert not sweeper.is_alive()
    assert rows_left(app, case_id) == dict.fromkeys([*BY_CASE, "case", "answer"], 0)
    assert [r[2] for r in audit_rows(app, "retention_erased")] == ["system"]

    # A sweep that fails says what kind of failure, never which case or what is in it.
    closed_case(app, "NOT-SWEPT", long_ago(), part2=False)
    app.config["RETENTION_MONTHS"] = None
    with caplog.at_level(logging.INFO, logger="app.worker"):
        assert worker.sweep_once(app) is None
    assert "retention sweep failed: RecordsError" in caplog.text
    assert "NOT-SWEPT" not in caplog.text and NAME not in caplog.text


# -- killed part way -------------------------------------------------------------------------------

MANY = 200


def seed_many(app, n: int, closed_at: datetime) -> dict[int, int]:
    """``n`` closed cases, each with a Part 1 conversation of 8 answers (2 in the person's words),
    an invitation and a follow-up, written straight through the ORM in one transaction (fast).
    Returns case id -> its number of answers."""
    ensure_team(app)
    with app.app_context():
        owner = db.session.scalars(sa.select(User).where(User.email == WORKER_EMAIL)).one()
        made = []
        for i in range(n):
            case = Case(
                reference=f"MANY-{i:04d}",
                preferred_name=f"{NAME} {i}",
                team_id=owner.team_id,
                worker_id=owner.id,
                stage="closed",
                closed_at=closed_at,
            )
            invitation = Invitation(
                case=case,
                part=1,
                code_hash=codes.hash_code(codes.new_code()),
                person_name=NAME,
                expires_at=closed_at,
                created_at=closed_at,
            )
            conversation = Conversation(
                case=case,
                invitation=invitation,
                dialogue_id="part1",
                dialogue_version=1,
                state="done",
                respondent="self",
                consent="yes",
                language="en",
                finished_at=closed_at,
            )
            db.session.add_all([case, invitation, conversation])
            for step, value in (
                ("consent", "yes"),
                ("who", "self"),
                ("matters", f"{SAID} ({i})"),
                ("outcome_words", f"I want it to stop ({i})"),
                ("outcome_choices", ["apology", "harm_stops"]),
                ("inform_how", ["phone"]),
                ("inform_often", "weekly"),
                ("with_you", "nobody"),
            ):
                db.session.add(answer(conversation, step, value))
            made.append((case, conversation))
        db.session.flush()
        for case, conversation in made:
            db.session.add(
                FollowUp(case=case, conversation_id=conversation.id, kind="talk_first", raised_at=closed_at)
            )
        db.session.commit()
        return {case.id: 8 for case, _ in made}


def whole_or_gone(app, seeded: dict[int, int]) -> set[int]:
    """The ids of the cases erased in full; fails on any case erased only in part. A case still
    there has every answer, readable."""
    gone = set()
    with app.app_context():
        db.session.expire_all()
        for case_id, answers in seeded.items():
            left = rows_left(app, case_id)
            if left["case"] == 0:
                assert left == dict.fromkeys([*BY_CASE, "case", "answer"], 0), (case_id, left)
                gone.add(case_id)
                continue
            assert (left["conversation"], left["invitation"], left["follow_up"], left["answer"]) == (
                1,
                1,
                1,
                answers,
            ), (case_id, left)
            values = db.session.scalars(
                sa.select(Answer.value).join(Conversation).where(Conversation.case_id == case_id)
            ).all()
            assert len(values) == answers and any(isinstance(v, str) and SAID in v for v in values)
    return gone


def retention_process(app, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """``flask --app app retention`` as an operator runs it: production settings (MSP_ENV=test), on
    this test's SQLite file."""
    from browser_support import Server

    env = Server(tmp_path / "cli").env
    env.update(
        DATABASE_URL=f"sqlite:///{db_path(app)}",
        DATA_DIR=str(tmp_path / "cli-data"),
        RATELIMIT_STORAGE_URI="memory://",
        # Another process's case erasure is a short wait, never a reason to leave a case.
        DB_WAIT_SECONDS="10",
    )
    return [sys.executable, "-m", "flask", "--app", "app", "retention"], env


def test_a_run_killed_part_way_leaves_each_case_whole_or_gone_and_the_next_run_finishes(app, tmp_path):
    seeded = seed_many(app, MANY, long_ago())
    with app.app_context():
        db.engine.dispose()  # the file is the other process's now; this one reads it afresh after
    argv, env = retention_process(app, tmp_path)
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        seen = []
        for line in process.stdout:
            seen.append(line)
            if ": erased (" in line:
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, (seen, process.stderr.read())
    assert any(": erased (1 conversation, 8 answers, 1 follow-up, 1 invitation" in line for line in seen), (
        seen
    )

    gone = whole_or_gone(app, seeded)
    assert 0 < len(gone) < MANY, len(gone)  # killed part way: some erased, some not yet
    # Each case erased is counted once; what was not erased is not counted.
    erased_counts = counts(app)
    assert erased_counts[("cases", "erased_by_retention")] == len(gone)
    assert erased_counts[("answer:part1:outcome_choices", "harm_stops")] == len(gone)
    assert erased_counts[("follow_up", "talk_first")] == len(gone)

    # The next runs, two at once (two servers' sweeps), finish it: every case gone, counted once.
    runs = [subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    erased_now = sum(o.count(": erased (") for o in outputs)
    assert erased_now == MANY - len(gone), outputs
    assert whole_or_gone(app, seeded) == set(seeded)
    final = counts(app)
    assert final[("cases", "erased_by_retention")] == MANY
    assert final[("answer:part1:outcome_choices", "apology")] == MANY
    assert final[("answer:part1:inform_how", "phone")] == MANY
    assert final[("conversations:part1", "finished")] == MANY
    assert final[("follow_up", "talk_first")] == MANY
    assert not any(SAID in m or "I want it to stop" in v for m, v in final)
    assert len(audit_rows(app, "retention_erased")) == MANY


# -- two sweeps at once, on PostgreSQL -------------------------------------------------------------

pg_app = test_postgres.pg_app  # the fixture: an app on a new PostgreSQL database of its own


def test_two_sweeps_at_once_on_postgresql_erase_and_count_each_case_once(pg_app):
    """Two server processes' sweeps start together on the same cases: each case is locked by one,
    erased and counted once; the other finds it gone."""
    seeded = seed_many(pg_app, 40, long_ago())
    barrier, results = threading.Barrier(2), []

    def sweep():
        with pg_app.app_context():
            barrier.wait()
            results.append(retention.run(via="system"))
            db.session.remove()

    sweeps = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join(timeout=60)
    assert len(results) == 2
    with pg_app.app_context():
        results.append(retention.run(via="system"))  # anything left by a lock that waited too long
        erased = [candidate.case_id for summary in results for candidate, _ in summary.erased]
        assert sorted(erased) == sorted(seeded)  # every case erased, none twice
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
        kept = {
            (r.measure, r.value): r.count
            for r in db.session.scalars(sa.select(RetainedCount).where(RetainedCount.measure.like("cases%")))
        }
        total = db.session.scalar(
            sa.select(sa.func.sum(RetainedCount.count)).where(
                RetainedCount.measure == "answer:part1:outcome_choices", RetainedCount.value == "apology"
            )
        )
        audited = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "retention_erased")
        )
    assert kept == {("cases", "erased_by_retention"): 40} and total == 40 and audited == 40
