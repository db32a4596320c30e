"""Every signal reaches a named person through a real channel, and the person is told only what is true.

Mail goes to a real SMTP server the tests start (aiosmtpd, see ``SMTPSink`` in conftest), never a
mock of the mail library. The sender is run here as a server process runs it (``deliver_due``,
``escalate_due``); ``test_two_processes_over_postgresql_send_once`` runs it in two real processes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DUTY_EMAIL, MANAGER_EMAIL, WORKER_EMAIL, SMTPSink

from app import create_app, db, followups
from app.models import AuditEvent, Case, FollowUp, Notification, User, utcnow
from app.notify import outbox
from config import Config, TestConfig

ROOT = Path(__file__).resolve().parents[1]
NAME = "Sam Private-Name"
SECRET_TEXT = "He takes my pension card every Friday"


@pytest.fixture
def app(mail_app):
    """Every test here runs on the app whose mail goes to the real SMTP server."""
    return mail_app


def deliver(app) -> int:
    with app.app_context():
        return outbox.deliver_due()


def rows(app, model, *where):
    with app.app_context():
        return db.session.scalars(sa.select(model).where(*where).order_by(model.id)).all()


def test_help_now_emails_the_worker_and_the_duty_inbox_and_the_email_holds_nothing_personal(app, chat, smtp):
    c = chat(name=NAME, respondent="self")
    assert c.begin()["step"] == "involve_how"  # welcome, consent
    assert c.answer(["informed_only"])["ok"]
    assert c.turn["step"] == "involve_help" and c.answer(SECRET_TEXT)["ok"]  # free text
    ack = c.emit("help")
    assert ack["ok"] is True
    # Told only once the signal and its emails were committed, and only what is true.
    assert ack["notice"][0].startswith("We are sending a message to the safeguarding team")
    assert "If you are in danger now, call 999." in ack["notice"]
    assert not any("worker know" in line for line in ack["notice"])
    waiting = rows(app, Notification)
    assert {(n.audience, n.recipient, n.state) for n in waiting} == {
        ("worker", WORKER_EMAIL, "waiting"),
        ("duty", DUTY_EMAIL, "waiting"),
    }

    assert deliver(app) == 2
    assert [m["to"] for m in smtp.messages] == [[WORKER_EMAIL], [DUTY_EMAIL]]
    with app.app_context():
        case = db.session.scalars(sa.select(Case)).one()
        link = f"https://msp.council.example/staff/cases/{case.id}"
    for message in smtp.messages:
        assert message["subject"] == "Urgent: Asked for help now (case CASE-1)"
        assert "CASE-1" in message["body"] and link in message["body"]
        everything = message["subject"] + message["body"]
        for private in ("Sam", "Private", "pension", SECRET_TEXT):
            assert private not in everything
    assert {n.state for n in rows(app, Notification)} == {"sent"}


def test_help_without_javascript_raises_the_same_signal(app, client, invite, smtp):
    client.get(f"/s/{invite()}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/chat").text)[1]
    page = client.post("/chat/help", data={"csrf_token": token}).get_data(as_text=True)
    assert "We are sending a message to the safeguarding team" in page
    assert "let your safeguarding worker know" not in page
    assert [f.kind for f in rows(app, FollowUp)] == ["help_now"]
    assert deliver(app) == 2 and len(smtp.to(DUTY_EMAIL)) == 1


def test_easy_read_and_welsh_say_the_same_true_thing(app, chat):
    c = chat(language="cy")
    assert c.emit("settings", {"easy_read": True})["ok"]
    notice = c.emit("help")["notice"]
    assert len(notice) == 4 and "999" in notice[-1]
    assert all(line and "safeguarding" not in line for line in notice)  # in Welsh, not English


def test_a_mail_server_that_is_down_loses_nothing(app, chat, smtp):
    smtp.stop()  # the mail server is down when the person asks for help
    c = chat()
    assert c.emit("help")["ok"] is True
    assert c.answer(None) == {"ok": True}  # the person carries on: nothing waits for mail
    assert deliver(app) == 0
    failing = rows(app, Notification)
    assert {n.state for n in failing} == {"failing"} and all(n.last_error for n in failing)
    assert all("could not reach the mail server" in n.last_error for n in failing)

    later = SMTPSink(smtp.port).start()  # it comes back
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and deliver(app) == 0:
            time.sleep(0.3)  # back-off (capped at OUTBOX_MAX_BACKOFF_SECONDS here)
        assert sorted(m["to"][0] for m in later.messages) == sorted([WORKER_EMAIL, DUTY_EMAIL])
        assert {(n.state, n.attempts) for n in rows(app, Notification)} == {("sent", 2)}
    finally:
        later.stop()


def test_the_back_off_never_waits_longer_than_a_minute(tmp_path):
    plain = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'b.sqlite3'}")
    with plain.app_context():
        waits = [outbox.backoff(n).total_seconds() for n in range(1, 12)]
    assert waits[:4] == [5, 10, 20, 40] and max(waits) == 60


PART2_FOLLOW_UPS = {
    "who": "self",
    "safer": "partly",
    "has_questions": "yes",
    "questions": "When is it over?",
    "debrief": "yes",
    "recover_help": "not_sure",
    "contact": "yes",
}


def test_follow_ups_email_the_worker_and_urgent_ones_the_duty_inbox_too(app, chat, smtp):
    c = chat(part=2)
    c.walk(PART2_FOLLOW_UPS)
    kinds = {f.kind: f.urgent for f in rows(app, FollowUp)}
    assert kinds == {
        "safer_unsure": False,
        "questions": False,
        "debrief": False,
        "recover_help": False,
        "contact": False,
    }
    assert deliver(app) == 5
    assert len(smtp.to(WORKER_EMAIL)) == 5 and smtp.to(DUTY_EMAIL) == []
    subjects = sorted(m["subject"] for m in smtp.messages)
    assert "Follow-up: Would like to talk it through (debrief) (case CASE-1)" in subjects
    assert all("When is it over" not in m["body"] for m in smtp.messages)

    less_safe = chat(part=2, reference="CASE-2")
    less_safe.walk({"who": "self", "safer": "no"})
    urgent = rows(app, FollowUp, FollowUp.kind == "less_safe")
    assert len(urgent) == 1 and urgent[0].urgent
    deliver(app)
    assert [m["subject"] for m in smtp.to(DUTY_EMAIL)] == ["Urgent: Feels less safe (case CASE-2)"]


def test_an_unacknowledged_urgent_signal_escalates_to_the_managers_once(app, chat, smtp):
    chat().emit("help")
    assert deliver(app) == 2
    with app.app_context():
        assert followups.escalate_due() == 0  # not yet: the team has URGENT_ACK_SECONDS to act
        later = utcnow() + timedelta(seconds=app.config["URGENT_ACK_SECONDS"] + 1)
        assert followups.escalate_due(later) == 1
        assert followups.escalate_due(later) == 0  # the same check again (another process) does nothing
        assert followups.escalate_due(later + timedelta(hours=1)) == 0
    assert deliver(app) == 2
    escalations = [m for m in smtp.messages if m["subject"].startswith("Not yet acknowledged")]
    assert sorted(m["to"][0] for m in escalations) == sorted([MANAGER_EMAIL, DUTY_EMAIL])
    assert rows(app, FollowUp)[0].escalated_at is not None


def test_an_acknowledged_signal_does_not_escalate_and_who_acknowledged_is_recorded(app, chat, smtp):
    chat().emit("help")
    with app.app_context():
        item = db.session.scalars(sa.select(FollowUp)).one()
        worker = db.session.scalars(sa.select(User).where(User.email == WORKER_EMAIL)).one()
        assert followups.acknowledge(worker, item) is True
        assert followups.acknowledge(worker, item) is False  # once
        later = utcnow() + timedelta(seconds=app.config["URGENT_ACK_SECONDS"] + 1)
        assert followups.escalate_due(later) == 0
        assert (item.acknowledged_by_id, item.escalated_at) == (worker.id, None)
        audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "acknowledge")).one()
        assert audit.user_id == worker.id


def test_a_duty_inbox_the_server_rejects_is_shown_as_failing(app, chat, smtp):
    from test_staff import PASSWORD, sign_in

    smtp.refuse.add(DUTY_EMAIL)
    chat().emit("help")
    assert deliver(app) == 1  # the worker's arrived; the duty inbox's did not
    failing = rows(app, Notification, Notification.state == "failing")
    assert [n.recipient for n in failing] == [DUTY_EMAIL]
    assert "550" in failing[0].last_error and DUTY_EMAIL in failing[0].last_error
    with app.app_context():
        manager = db.session.scalars(sa.select(User).where(User.email == MANAGER_EMAIL)).one()
        from app.staff.auth import hash_password

        manager.password_hash = hash_password(PASSWORD)
        db.session.commit()
        case_id = db.session.scalars(sa.select(Case.id)).one()
    client = app.test_client()
    assert sign_in(client, MANAGER_EMAIL).status_code == 302
    home = client.get("/staff/").text
    assert "Emails not getting through" in home and "550" in home
    case_page = client.get(f"/staff/cases/{case_id}").text
    assert 'data-state="failing"' in case_page and "Failing" in case_page


def test_production_refuses_to_start_without_mail_numbers_or_address(tmp_path):
    from app import ConfigurationError

    class Production(Config):
        SECRET_KEY = "x" * 32
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
        MAIL_SERVER = MAIL_DEFAULT_SENDER = COUNCIL_PHONE = COUNCIL_OUT_OF_HOURS_PHONE = PUBLIC_URL = None

    with pytest.raises(ConfigurationError) as refused:
        create_app(Production)
    for name in (
        "PUBLIC_URL",
        "MAIL_SERVER",
        "MAIL_DEFAULT_SENDER",
        "COUNCIL_PHONE",
        "COUNCIL_OUT_OF_HOURS_PHONE",
    ):
        assert name in str(refused.value)
    with pytest.raises(ConfigurationError, match="COUNCIL_OUT_OF_HOURS_PHONE"):
        create_app(
            Production,
            MAIL_SERVER="127.0.0.1",
            MAIL_DEFAULT_SENDER="a@b.example",
            COUNCIL_PHONE="01632 960001",
            PUBLIC_URL="https://x.example",
        )


@pytest.mark.server
def test_the_real_server_will_not_start_in_production_without_mail(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "MAIL_", "COUNCIL_"))}
    env.update(
        SECRET_KEY="x" * 32,
        DATABASE_URL=f"sqlite:///{tmp_path / 's.sqlite3'}",
        PUBLIC_URL="https://msp.council.example",
        COUNCIL_PHONE="01632 960001",
        COUNCIL_OUT_OF_HOURS_PHONE="01632 960002",
        PRIVACY_NOTICE_URL="https://council.example/privacy",
        RETENTION_MONTHS="72",
        DATA_KEYS=TestConfig.DATA_KEYS,
        JURISDICTION="england",
    )
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "set MAIL_SERVER, MAIL_DEFAULT_SENDER in the environment" in done.stderr


def test_the_demo_prints_mail_and_promises_no_message(tmp_path, capsys):
    from config import DevelopmentConfig

    demo = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'd.sqlite3'}")
    from conftest import ensure_team

    ensure_team(demo)
    with demo.app_context():
        from app.cases.services import create_invitation

        code = create_invitation("DEMO-X", 1, worker=WORKER_EMAIL).code
    from app import socketio

    sock = socketio.test_client(demo, namespace="/chat", auth={"code": code})
    ack = sock.emit("help", {}, namespace="/chat", callback=True)
    assert ack["notice"][0] == "This is a demonstration, so no message is sent to anyone."
    council = [c for c in ack["contacts"] if c["kind"] == "council"][0]
    assert council["example"] == "Example only, not a real number"
    with demo.app_context():
        assert outbox.deliver_due() == 2
    printed = capsys.readouterr().out
    assert "demo: printed here, not sent" in printed and f"To: {WORKER_EMAIL}" in printed
    with demo.app_context():
        db.engine.dispose()


def test_a_failing_mail_server_never_fails_the_persons_answer(app, chat, smtp):
    smtp.stop()
    c = chat(part=2)
    assert c.walk(PART2_FOLLOW_UPS)[-1] == "done"
    assert len(rows(app, Notification)) == 5  # waiting for the mail server, nothing lost


# -- two processes over PostgreSQL ------------------------------------------------------------------


@pytest.mark.server
def test_two_processes_over_postgresql_send_once(tmp_path):
    """Two sender processes on one PostgreSQL database: every email arrives exactly once."""
    from conftest import ensure_team
    from test_postgres import SERVER

    from app import socketio

    name = f"msp_outbox_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a generated name, never input
    sink = SMTPSink().start()
    sink.delay = 0.05  # each message takes a moment, so both senders are at work together
    url = sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        pg = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
        ensure_team(pg)
        from app.cases.services import create_invitation

        for i in range(30):
            with pg.app_context():
                code = create_invitation(f"PG-MAIL-{i}", 1, worker=WORKER_EMAIL).code
            sock = socketio.test_client(pg, namespace="/chat", auth={"code": code})
            assert sock.emit("help", {}, namespace="/chat", callback=True)["ok"]
            sock.disconnect(namespace="/chat")
        with pg.app_context():
            total = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
            db.engine.dispose()
        assert total == 60

        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "MAIL_"))}
        env.update(
            SECRET_KEY="x" * 32,
            DATABASE_URL=url,
            PUBLIC_URL="https://msp.council.example",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(sink.port),
            MAIL_DEFAULT_SENDER="msp@council.example",
            COUNCIL_PHONE="01632 960001",
            COUNCIL_OUT_OF_HOURS_PHONE="01632 960002",
            PRIVACY_NOTICE_URL="https://council.example/privacy",
            RETENTION_MONTHS="72",
            DATA_KEYS=TestConfig.DATA_KEYS,
            JURISDICTION="england",
            OUTBOX_BATCH="5",
        )
        command = [sys.executable, "-m", "flask", "--app", "app", "send-notifications", "--once"]
        senders = [
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in senders]
        assert all(p.returncode == 0 for p in senders), outputs
        sent = [json.loads(out.strip().splitlines()[-1])["sent"] for out, _ in outputs]
        print("sent by each process:", sent)
        assert sum(sent) == 60
        assert len(sink.messages) == 60
        keys = [(m["to"][0], m["subject"]) for m in sink.messages]
        assert len(set(keys)) == 60  # none twice
    finally:
        sink.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_help_request_nobody_can_be_emailed_about_does_not_promise_a_message(app, chat, smtp):
    """A case whose worker left, in a team with no managers or duty inbox: nobody to tell, so the
    person is not told a message was sent (and the case waits in the Unassigned list)."""
    from app.models import Team

    c = chat()
    with app.app_context():
        for user in db.session.scalars(sa.select(User)):
            user.active = False
        db.session.scalars(sa.select(Team)).one().duty_email = None
        db.session.scalars(sa.select(Case)).one().worker_id = None
        db.session.commit()
    ack = c.emit("help")
    assert ack["ok"] is True
    assert ack["notice"][0].startswith("We have saved that you asked for help, but we could not send")
    assert rows(app, Notification) == [] and [f.kind for f in rows(app, FollowUp)] == ["help_now"]
