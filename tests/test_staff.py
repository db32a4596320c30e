"""The practitioner side: sign-in, roles and access (over HTTP and Socket.IO), CSRF, headers and
cookies, eligibility, invitations and hand-over, the side-by-side view, follow-ups, exports, the
audit log and both reflection dialogues."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import opened

from app import db, socketio
from app.models import AuditEvent, Case, Conversation, Eligibility, FollowUp, StaffSession, utcnow
from app.staff.teams import create_team, create_user
from config import TestConfig

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(app):
    """Two teams: a worker and a manager in each, and an admin."""
    with app.app_context():
        create_team("North", "duty@north.example")
        create_team("South", "duty@south.example")
        made = {
            "worker": create_user("worker@north.example", "worker", "North", PASSWORD),
            "worker2": create_user("worker2@north.example", "worker", "North", PASSWORD),
            "manager": create_user("manager@north.example", "manager", "North", PASSWORD),
            "south_worker": create_user("worker@south.example", "worker", "South", PASSWORD),
            "south_manager": create_user("manager@south.example", "manager", "South", PASSWORD),
            "admin": create_user("admin@council.example", "admin", "", PASSWORD),
        }
        return {key: (user.id, user.email) for key, user in made.items()}


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def sign_in(client, email, password=PASSWORD):
    page = client.get("/staff/sign-in")
    return client.post(
        "/staff/sign-in", data={"email": email, "password": password, "csrf_token": token_from(page.text)}
    )


def signed_in(app, staff, who):
    client = app.test_client()
    response = sign_in(client, staff[who][1])
    assert response.status_code == 302, response.text[:300]
    return client


def post(client, url, data=None, page="/staff/"):
    """POST a staff form with the CSRF token from a page, as a browser would."""
    token = token_from(client.get(page).text)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def new_case(client, reference="C-100", **fields):
    data = {
        "reference": reference,
        "preferred_name": "Sam",
        "language": "en",
        "communication_needs": "Large print",
        **fields,
    }
    response = post(client, "/staff/cases/new", data, page="/staff/cases/new")
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def audits(app, action=None):
    with app.app_context():
        query = sa.select(AuditEvent.action, AuditEvent.case_id, AuditEvent.user_id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [tuple(r) for r in db.session.execute(query)]


# -- signing in ------------------------------------------------------------------------------------


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client):
    for url in ("/staff/", "/staff/follow-ups", "/staff/cases/1", "/staff/audit", "/staff/users"):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"], url


def test_a_failed_sign_in_does_not_say_whether_the_account_exists(app, staff):
    client = app.test_client()
    unknown = sign_in(client, "nobody@example.org")
    wrong = sign_in(client, staff["worker"][1], "wrong password!")
    assert unknown.status_code == wrong.status_code == 400

    def message(r):
        return re.search(r'class="app-error-summary__body">(.*?)</p>', r.text, re.S)[1]

    assert message(unknown) == message(wrong)
    assert len(audits(app, "sign_in_failed")) == 2


def test_repeated_failures_lock_out_that_address_not_the_account(app, staff):
    """Five wrong passwords from one address refuse that address for the account for a while (even
    the right password, with the same message); the right password from another address still works.
    The other cases are in test_throttling.py."""
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        assert sign_in(attacker, staff["worker"][1], "not the password").status_code == 400
    assert sign_in(attacker, staff["worker"][1]).status_code == 400
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert sign_in(owner, staff["worker"][1]).status_code == 302
    with app.app_context():
        from app.models.staff import SignInThrottle

        throttle = db.session.scalars(sa.select(SignInThrottle)).one()
        throttle.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
        db.session.commit()
    assert sign_in(attacker, staff["worker"][1]).status_code == 302


def test_sign_in_attempts_from_one_address_are_slowed(app, staff):
    client = app.test_client()
    codes = [sign_in(client, f"guess{i}@example.org").status_code for i in range(12)]
    assert codes[:10] == [400] * 10 and 429 in codes[10:]


def test_signing_out_ends_the_session_on_the_server(app, staff):
    client = signed_in(app, staff, "worker")
    cookie = client.get_cookie("session")
    assert client.get("/staff/").status_code == 200
    post(client, "/staff/sign-out")
    # The old cookie, replayed from elsewhere, no longer opens anything.
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/staff/").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(StaffSession.ended_at.is_(None))) == 0


def test_an_idle_staff_session_expires(app, staff):
    client = signed_in(app, staff, "worker")
    with app.app_context():
        db.session.execute(sa.update(StaffSession).values(seen_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    assert client.get("/staff/").status_code == 302


def test_create_user_from_the_command_line(app, runner):
    team = runner.invoke(args=["create-team", "East", "--duty-email", "duty@east.example"])
    assert team.exit_code == 0, team.output
    result = runner.invoke(
        args=["create-user", "new@team.example", "--role", "manager", "--team", "East", "--password-stdin"],
        input="a very long password\n",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "id": 1,
        "email": "new@team.example",
        "role": "manager",
        "team": "East",
    }
    short = runner.invoke(
        args=["create-user", "x@team.example", "--role", "worker", "--team", "East", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "12 characters" in short.output
    client = app.test_client()
    assert sign_in(client, "new@team.example", "a very long password").status_code == 302


# -- roles and access ------------------------------------------------------------------------------


def test_each_role_sees_only_its_own_cases(app, staff):
    worker = signed_in(app, staff, "worker")
    mine = new_case(worker, "N-1")
    other_worker = signed_in(app, staff, "worker2")
    theirs = new_case(other_worker, "N-2")
    south = signed_in(app, staff, "south_worker")
    south_case = new_case(south, "S-1")

    assert worker.get(f"/staff/cases/{mine}").status_code == 200
    assert worker.get(f"/staff/cases/{theirs}").status_code == 404  # a colleague's case
    home = worker.get("/staff/").text
    assert "N-1" in home and "N-2" not in home

    manager = signed_in(app, staff, "manager")
    assert manager.get(f"/staff/cases/{mine}").status_code == 200
    assert manager.get(f"/staff/cases/{theirs}").status_code == 200
    assert manager.get(f"/staff/cases/{south_case}").status_code == 404  # another team's case
    missing = manager.get("/staff/cases/99999")
    refused_page = manager.get(f"/staff/cases/{south_case}")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert refused_page.text == missing.text  # "not yours" looks exactly like "no such case"

    admin = signed_in(app, staff, "admin")
    assert admin.get(f"/staff/cases/{mine}").status_code == 404
    assert admin.get("/staff/users").status_code == 200
    assert worker.get("/staff/users").status_code == 404
    assert worker.get("/staff/audit").status_code == 404

    refused = [a for a in audits(app, "refused")]
    assert ("refused", theirs, staff["worker"][0]) in refused and (
        "refused",
        south_case,
        staff["manager"][0],
    ) in refused


def test_exports_and_actions_on_another_teams_case_are_refused_and_logged(app, staff):
    south = signed_in(app, staff, "south_worker")
    case_id = new_case(south, "S-9")
    manager = signed_in(app, staff, "manager")
    for url in (
        f"/staff/cases/{case_id}/export.json",
        f"/staff/cases/{case_id}/export.pdf",
        f"/staff/cases/{case_id}/reflection",
        f"/staff/cases/{case_id}/review",
    ):
        assert manager.get(url).status_code == 404, url
    assert post(manager, f"/staff/cases/{case_id}/invitations", {"part": "1"}).status_code == 404
    assert post(manager, f"/staff/cases/{case_id}/eligibility", {"decision": "yes"}).status_code == 404
    assert len([a for a in audits(app, "refused") if a[1] == case_id]) == 6


def staff_socket(app, client):
    return socketio.test_client(app, namespace="/staff", flask_test_client=client)


def test_the_staff_socket_checks_access_and_ends_with_the_sign_out(app, staff):
    worker = signed_in(app, staff, "worker")
    mine = new_case(worker, "N-5")
    south = signed_in(app, staff, "south_worker")
    theirs = new_case(south, "S-5")

    assert not socketio.test_client(app, namespace="/staff").is_connected("/staff")  # not signed in
    sock = staff_socket(app, worker)
    assert sock.is_connected("/staff")
    ok = sock.emit("case", {"id": mine}, namespace="/staff", callback=True)
    assert ok["ok"] is True and ok["reference"] == "N-5"
    refused = sock.emit("case", {"id": theirs}, namespace="/staff", callback=True)
    assert refused == {"ok": False, "code": "not_found"}
    assert ("refused", theirs, staff["worker"][0]) in audits(app, "refused")

    post(worker, "/staff/sign-out")
    names = [m["name"] for m in sock.get_received("/staff")]
    assert "signed_out" in names
    after = sock.emit("case", {"id": mine}, namespace="/staff", callback=True)
    assert after == {"ok": False, "code": "signed_out"}


def test_the_person_chat_socket_is_not_opened_by_a_staff_session(app, staff):
    worker = signed_in(app, staff, "worker")
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=worker, auth={})
    assert not sock.is_connected("/chat")


# -- protection on every page ----------------------------------------------------------------------


def test_forms_without_a_csrf_token_are_refused(app, staff):
    worker = signed_in(app, staff, "worker")
    response = worker.post("/staff/cases/new", data={"reference": "X-1", "language": "en"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert app.test_client().post("/staff/sign-in", data={"email": "a", "password": "b"}).status_code == 400


def test_headers_and_cookies(app, staff):
    client = app.test_client()
    response = sign_in(client, staff["worker"][1])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/staff/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_cookies_are_secure_outside_development(tmp_path, staff):
    from app import create_app
    from config import Config

    class Production(Config):
        SECRET_KEY = "x" * 32
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.sqlite3'}"

    app = create_app(
        Production,
        PUBLIC_URL="https://msp.council.example",
        MAIL_SERVER="127.0.0.1",
        MAIL_DEFAULT_SENDER="msp@council.example",
        COUNCIL_PHONE="01234 567890",
        COUNCIL_OUT_OF_HOURS_PHONE="01234 567891",
        PRIVACY_NOTICE_URL="https://council.example/privacy",
        RETENTION_MONTHS=72,
        DATA_KEYS=TestConfig.DATA_KEYS,
        JURISDICTION="england",
    )
    with app.app_context():
        create_team("P", "duty@prod.example")
        create_user("p@prod.example", "worker", "P", PASSWORD)
    response = sign_in(app.test_client(), "p@prod.example")
    assert "Secure" in response.headers["Set-Cookie"]


# -- eligibility, invitations, hand-over -----------------------------------------------------------


def agree(app, staff, case_id, approve=True, who="manager"):
    """The team's manager agrees (or declines) the latest proposal, with their own account."""
    manager = signed_in(app, staff, who)
    page = manager.get(f"/staff/cases/{case_id}")
    found = re.search(r'action="(/staff/cases/\d+/eligibility/\d+/decide)"', page.text)
    assert found, "no proposal waiting on the case page"
    response = post(manager, found[1], {"approve": "yes" if approve else "no"}, f"/staff/cases/{case_id}")
    assert response.status_code == 302
    return response


def test_part2_needs_an_eligibility_decision_first(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "E-1")
    page = f"/staff/cases/{case_id}"
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "2"}, page)
    assert "agreed by a manager of the case&#39;s team" in worker.get(page).text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0

    decision = {"decision": "not_approached", "reason": "not_ethical"}
    post(worker, f"/staff/cases/{case_id}/eligibility", decision, page)
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "2"}, page)
    assert "waiting for a manager to agree it" in worker.get(page).text
    agree(app, staff, case_id)
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "2"}, page)
    assert "not to be approached" in worker.get(page).text

    post(
        worker,
        f"/staff/cases/{case_id}/eligibility",
        {"decision": "representative", "representative_name": "Jo Bloggs", "representative_role": "imca"},
        page,
    )
    agree(app, staff, case_id)
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "2"}, page)
    with app.app_context():
        conversation = db.session.scalars(sa.select(Conversation)).one()
        assert conversation.invitation.respondent == "imca"
        rows = db.session.scalars(sa.select(Eligibility).order_by(Eligibility.id)).all()
        decisions = [(e.decision, e.status, e.agreed_by_id) for e in rows]
    manager_id = staff["manager"][0]
    assert decisions == [
        ("not_approached", "approved", manager_id),
        ("representative", "approved", manager_id),
    ]
    assert [a for a in audits(app) if a[0].startswith("eligibility_")] == [
        ("eligibility_proposed", case_id, staff["worker"][0]),
        ("eligibility_approved", case_id, manager_id),
        ("eligibility_proposed", case_id, staff["worker"][0]),
        ("eligibility_approved", case_id, manager_id),
    ]


def test_a_declined_proposal_allows_no_part2_and_only_the_teams_manager_decides(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "E-3")
    page = f"/staff/cases/{case_id}"
    post(worker, f"/staff/cases/{case_id}/eligibility", {"decision": "yes"}, page)
    # A worker cannot agree their own proposal, and another team's manager cannot see the case.
    with app.app_context():
        proposal = db.session.scalars(sa.select(Eligibility)).one().id
    assert (
        post(
            worker, f"/staff/cases/{case_id}/eligibility/{proposal}/decide", {"approve": "yes"}, page
        ).status_code
        == 404
    )
    south = signed_in(app, staff, "south_manager")
    decide = f"/staff/cases/{case_id}/eligibility/{proposal}/decide"
    assert post(south, decide, {"approve": "yes"}).status_code == 404
    agree(app, staff, case_id, approve=False)
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "2"}, page)
    assert "declined" in worker.get(page).text
    with app.app_context():
        assert db.session.scalars(sa.select(Eligibility)).one().status == "declined"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0


def test_eligibility_needs_its_reasons(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "E-2")
    page = f"/staff/cases/{case_id}"
    other = {"decision": "not_approached", "reason": "other"}
    post(worker, f"/staff/cases/{case_id}/eligibility", other, page)
    assert "Write down the other reason" in worker.get(page).text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Eligibility)) == 0


def test_an_invitation_gives_a_code_link_qr_and_expiry_and_can_be_revoked(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "I-1")
    response = post(
        worker,
        f"/staff/cases/{case_id}/invitations",
        {"part": "1", "language": "cy"},
        f"/staff/cases/{case_id}",
    )
    page = response.text  # the code is shown in the response that made it, and only there
    code = re.search(r'data-role="code">([A-Z0-9-]+)<', page)[1]
    assert re.search(rf'data-role="link">[^<]*/s/{code}<', page)
    assert 'src="data:image/svg+xml' in page and "Expires" in page
    with app.app_context():
        assert db.session.get(Case, case_id).language == "en"  # a Welsh invitation, not a Welsh case
    # The code is shown once: the next view of the case no longer has it.
    assert code not in worker.get(f"/staff/cases/{case_id}").text
    person = app.test_client()
    assert person.get(f"/s/{code}").status_code == 302
    invitation_id = int(re.search(r'data-invitation="(\d+)"', page)[1])
    post(worker, f"/staff/invitations/{invitation_id}/revoke", page=f"/staff/cases/{case_id}")
    assert app.test_client().get(f"/s/{code}").status_code == 404


def test_handing_the_tablet_over_signs_the_worker_out(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "H-1")
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "1"}, f"/staff/cases/{case_id}")
    page = worker.get(f"/staff/cases/{case_id}").text
    invitation_id = int(re.search(r'data-invitation="(\d+)"', page)[1])
    response = post(worker, f"/staff/invitations/{invitation_id}/hand-over", page=f"/staff/cases/{case_id}")
    assert response.status_code == 302 and response.headers["Location"] == "/chat"
    chat = worker.get("/chat")
    assert chat.status_code == 200 and "Hello" in chat.text
    # Nothing of the staff side is reachable: getting back needs the worker to sign in again.
    for url in ("/staff/", f"/staff/cases/{case_id}", "/staff/follow-ups"):
        assert worker.get(url).status_code == 302, url
    assert "/staff/" not in chat.text
    assert sign_in(worker, staff["worker"][1]).status_code == 302


# -- what people said, follow-ups, exports ---------------------------------------------------------


def answer_all(app, code, answers):
    """Walk a conversation over the chat socket, answering from ``answers`` by step id.
    "Shall we start?" is answered yes unless ``answers`` says otherwise."""
    answers = {"consent": "yes", **answers}
    sock = socketio.test_client(app, namespace="/chat", auth={"code": code})
    for _ in range(60):
        turn = [m["args"][0] for m in sock.get_received("/chat") if m["name"] == "turn"][-1]
        if turn["finished"]:
            return
        sid = turn["step"].split(".")[0]
        value = answers.get(sid, "confirm" if turn["input"]["kind"] == "review" else None)
        ack = sock.emit(
            "answer",
            {"id": str(uuid.uuid4()), "step": turn["step"], "value": value},
            namespace="/chat",
            callback=True,
        )
        assert ack["ok"], (turn["step"], ack)
    raise AssertionError("never finished")


def invite_code(app, worker, case_id, part, **fields):
    response = post(
        worker,
        f"/staff/cases/{case_id}/invitations",
        {"part": str(part), **fields},
        f"/staff/cases/{case_id}",
    )
    page = response.text  # the code is shown in the response that made it, and only there
    return re.search(r'data-role="code">([A-Z0-9-]+)<', page)[1]


def test_part1_and_part2_side_by_side_with_who_said_it_and_in_what_language(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "S-S")
    answer_all(
        app,
        invite_code(app, worker, case_id, 1, language="en"),
        {"who": "self", "outcome_words": "I want him to stop coming round", "outcome_choices": ["apology"]},
    )
    post(
        worker,
        f"/staff/cases/{case_id}/eligibility",
        {"decision": "representative", "representative_name": "Jo", "representative_role": "imca"},
        f"/staff/cases/{case_id}",
    )
    agree(app, staff, case_id)
    answer_all(
        app,
        invite_code(app, worker, case_id, 2, language="pl"),
        {
            "view": "representative_account",
            "why_representative": "lacks_capacity",
            "outcome_met": "partly",
            "has_questions": "yes",
            "questions": "Who can I call?",
            "safer": "no",
        },
    )
    page = worker.get(f"/staff/cases/{case_id}").text
    outcomes = page.split('id="outcomes-title"')[1].split("</table>")[0]
    assert "I want him to stop coming round" in outcomes and "Partly" in outcomes
    assert "An apology" in outcomes
    assert "Representative (person&#39;s account) · Polish" in outcomes
    part1 = page.split('data-part="part1"')[1].split("</section>")[0]
    part2 = page.split('data-part="part2"')[1].split("</section>")[0]
    assert "The person · English" in part1
    assert "Who can I call?" in part2 and "(imca) · Polish" in part2
    assert ("view_case", case_id, staff["worker"][0]) in audits(app, "view_case")


def test_follow_ups_are_raised_listed_and_marked_done(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "F-1")
    post(worker, f"/staff/cases/{case_id}/eligibility", {"decision": "yes"}, f"/staff/cases/{case_id}")
    agree(app, staff, case_id)
    code = invite_code(app, worker, case_id, 2)
    sock = socketio.test_client(app, namespace="/chat", auth={"code": code})
    assert sock.emit("help", {}, namespace="/chat", callback=True)["ok"]
    sock.disconnect(namespace="/chat")
    answer_all(
        app,
        code,
        {"who": "self", "safer": "no", "has_questions": "yes", "recover_help": "yes", "contact": "yes"},
    )
    with app.app_context():
        kinds = sorted(db.session.scalars(sa.select(FollowUp.kind)))
    assert kinds == ["contact", "help_now", "less_safe", "questions", "recover_help"]

    listing = worker.get("/staff/follow-ups").text
    for words in (
        "Asked for help now",
        "Has questions",
        "Wants more help to recover",
        "Feels less safe",
        "Asked to be contacted",
    ):
        assert words in listing
    assert listing.index("Asked for help now") < listing.index("Has questions")  # urgent first
    manager = signed_in(app, staff, "manager")
    summary = manager.get("/staff/follow-ups").text
    assert re.search(r"Asked for help now</th><td>1</td>", summary)

    follow_up_id = int(re.search(r"/staff/follow-ups/(\d+)/done", listing)[1])
    empty = post(worker, f"/staff/follow-ups/{follow_up_id}/done", {"note": ""}, "/staff/follow-ups")
    assert empty.status_code == 302
    done_url = f"/staff/follow-ups/{follow_up_id}/done"
    post(worker, done_url, {"note": "Rang her back at 3pm"}, "/staff/follow-ups")
    with app.app_context():
        done = db.session.get(FollowUp, follow_up_id)
        assert done.done_at is not None and done.note == "Rang her back at 3pm"
        assert db.session.scalar(sa.select(sa.func.count()).where(FollowUp.done_at.is_(None))) == 4
    south = signed_in(app, staff, "south_manager")
    other = sorted(set(range(1, 8)) - {follow_up_id})[0]
    assert post(south, f"/staff/follow-ups/{other}/done", {"note": "x"}).status_code == 404


def test_exports_for_the_case_file_are_audited(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "X-1")
    answer_all(app, invite_code(app, worker, case_id, 1), {"who": "self", "outcome_words": "Feel safe"})
    exported = worker.get(f"/staff/cases/{case_id}/export.json")
    data = json.loads(exported.data)
    assert data["case"] == "X-1"
    assert {"step": "outcome_words", "value": "Feel safe"}.items() <= next(
        a for a in data["conversations"][0]["answers"] if a["step"] == "outcome_words"
    ).items()
    pdf = worker.get(f"/staff/cases/{case_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    actions = [a[0] for a in audits(app) if a[1] == case_id]
    assert "export_json" in actions and "export_pdf" in actions


def test_a_manager_reads_the_audit_log(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "A-1")
    worker.get(f"/staff/cases/{case_id}")
    manager = signed_in(app, staff, "manager")
    log = manager.get("/staff/audit").text
    assert "view_case" in log and staff["worker"][1] in log
    south = signed_in(app, staff, "south_manager")
    assert staff["worker"][1] not in south.get("/staff/audit").text


# -- the staff's own dialogues ---------------------------------------------------------------------


def walk_staff_dialogue(client, url, answers):
    """Answer the plain question pages until the end; return the steps seen."""
    seen = []
    for _ in range(40):
        page = client.get(url).text
        step = re.search(r'data-step="([^"]+)"', page)[1]
        seen.append(step)
        if 'name="id"' not in page:
            return seen
        kind = re.search(r'name="kind" value="([^"]*)"', page)[1]
        data = {
            "id": str(uuid.uuid4()),
            "step": step,
            "kind": kind,
            "action": "answer",
            "csrf_token": token_from(page),
        }
        if step in answers:
            data["value"] = answers[step]
        elif kind == "review":
            data["value"] = "confirm"
        response = client.post(url, data=data)
        assert response.status_code == 302, response.text[:300]
    raise AssertionError("never finished")


def test_a_worker_reflects_and_a_manager_reviews_answer_by_answer(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "R-1")
    url = f"/staff/cases/{case_id}/reflection"
    seen = walk_staff_dialogue(
        worker,
        url,
        {
            "protective": "at_times",
            "avoided": "yes",
            "avoided_why": "Talking about her son",
            "process": "no",
            "differently": "Ask earlier",
        },
    )
    assert {"protective", "avoided", "avoided_why", "process", "differently", "check", "done"} <= set(seen)
    manager = signed_in(app, staff, "manager")
    assert manager.get(url).status_code == 404  # a worker's reflection is the worker's
    seen = walk_staff_dialogue(
        manager,
        f"/staff/cases/{case_id}/review",
        {
            "better": "Earlier advocacy",
            "systems": "partly",
            "systems_what": "Forms",
            "training": "yes",
            "training_what": "MSP for new staff",
            "audit_quality": "good",
        },
    )
    assert {"better", "together", "changes", "systems_what", "training_what", "audit_quality"} <= set(seen)
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT c.dialogue_id, a.step, a.value FROM answer a"
                " JOIN conversation c ON c.id = a.conversation_id"
                " WHERE a.superseded_at IS NULL"
            )
        ).all()
    given = {(d, s): json.loads(opened(v)) if v else v for d, s, v in rows}
    assert given[("reflection", "avoided_why")] == "Talking about her son"
    assert given[("review", "audit_quality")] == "good"
    assert worker.get(f"/staff/cases/{case_id}/review").status_code == 404


# -- no case belongs to nobody ----------------------------------------------------------------------


def test_an_admin_makes_teams_with_duty_inboxes_and_bad_input_changes_nothing(app, staff):
    from app.models import Team

    admin = signed_in(app, staff, "admin")
    made = post(admin, "/staff/teams", {"name": "East", "duty_email": "duty@east.example"}, "/staff/teams")
    assert made.status_code == 200 and "duty@east.example" in made.text
    for bad in ({"name": "East", "duty_email": "x@east.example"}, {"name": "West", "duty_email": "nope"}):
        assert post(admin, "/staff/teams", bad, "/staff/teams").status_code == 400
    with app.app_context():
        east = db.session.scalars(sa.select(Team).where(Team.name == "East")).one()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 3
    post(admin, f"/staff/teams/{east.id}", {"duty_email": "rota@east.example"}, "/staff/teams")
    assert "rota@east.example" in admin.get("/staff/teams").text
    assert signed_in(app, staff, "worker").get("/staff/teams").status_code == 404


def test_a_deactivated_workers_cases_wait_in_the_unassigned_list_until_a_manager_reassigns(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "U-1")
    admin = signed_in(app, staff, "admin")
    post(admin, f"/staff/users/{staff['worker'][0]}/active", {"active": "off"}, "/staff/users")
    with app.app_context():
        assert db.session.get(Case, case_id).worker_id is None
    manager = signed_in(app, staff, "manager")
    home = manager.get("/staff/").text
    unassigned = home.split('data-role="unassigned"')[1].split("</section>")[0]
    assert "Case U-1" in unassigned
    # Another team's manager sees none of it.
    assert "U-1" not in signed_in(app, staff, "south_manager").get("/staff/").text
    # Reassigned to a worker of another team: refused, nothing changes.
    post(manager, f"/staff/cases/{case_id}/worker", {"worker_id": staff["south_worker"][0]}, "/staff/")
    with app.app_context():
        assert db.session.get(Case, case_id).worker_id is None
    to_worker2 = {"worker_id": staff["worker2"][0], "back": "home"}
    post(manager, f"/staff/cases/{case_id}/worker", to_worker2, "/staff/")
    with app.app_context():
        assert db.session.get(Case, case_id).worker_id == staff["worker2"][0]
    assert 'data-role="unassigned"' not in manager.get("/staff/").text
    assert ("reassign", case_id, staff["manager"][0]) in audits(app, "reassign")
    assert ("unassigned", case_id, staff["admin"][0]) in audits(app, "unassigned")
    assert "U-1" in signed_in(app, staff, "worker2").get("/staff/").text


def test_a_case_with_no_worker_or_team_is_seen_by_every_manager(app, staff):
    with app.app_context():
        db.session.add(Case(reference="ORPHAN-1", language="en", stage="open"))
        db.session.commit()
    for who in ("manager", "south_manager"):
        home = signed_in(app, staff, who).get("/staff/").text
        assert "ORPHAN-1" in home.split('data-role="unassigned"')[1].split("</section>")[0], who
    assert "ORPHAN-1" not in signed_in(app, staff, "worker").get("/staff/").text


def test_contacting_the_person_safely_is_shown_on_the_case_and_beside_a_new_invitation(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "CS-1")
    answer_all(
        app,
        invite_code(app, worker, case_id, 1),
        {
            "who": "self",
            "inform_unsafe": "Do not send letters: he opens my post",
            "people_not_told": "My nephew Dan",
        },
    )
    page = worker.get(f"/staff/cases/{case_id}").text
    panel = page.split('data-role="contact-safely"')[1].split("</section>")[0]
    assert "Do not send letters: he opens my post" in panel and "My nephew Dan" in panel
    assert page.index('data-role="contact-safely"') < page.index('id="outcomes"')  # at the top
    response = post(worker, f"/staff/cases/{case_id}/invitations", {"part": "1"}, f"/staff/cases/{case_id}")
    fresh = response.text
    invitation_panel = fresh.split('id="new-invitation"')[1].split("</section>")[-2]
    assert "Do not send letters" in fresh.split('id="new-invitation"')[1] and invitation_panel


def test_a_worker_whose_team_has_no_duty_inbox_cannot_open_a_case(app, staff):
    from app.models import Team

    with app.app_context():
        db.session.scalars(sa.select(Team).where(Team.name == "North")).one().duty_email = None
        db.session.commit()
    worker = signed_in(app, staff, "worker")
    data = {"reference": "ND-1", "preferred_name": "", "language": "en", "communication_needs": ""}
    response = post(worker, "/staff/cases/new", data, page="/staff/cases/new")
    assert response.status_code == 400 and "no duty inbox" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_the_hand_over_screen_shows_how_to_contact_the_person_safely_first(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "HO-1")
    answer_all(app, invite_code(app, worker, case_id, 1), {"who": "self", "inform_times": "Not after 6pm"})
    post(worker, f"/staff/cases/{case_id}/invitations", {"part": "1"}, f"/staff/cases/{case_id}")
    page = worker.get(f"/staff/cases/{case_id}").text
    invitation_id = int(re.search(r'data-invitation="(\d+)"', page)[1])
    screen = worker.get(f"/staff/invitations/{invitation_id}/hand-over")
    assert screen.status_code == 200
    panel = screen.text.split('data-role="contact-safely"')[1].split("</section>")[0]
    assert "Not after 6pm" in panel
    # Nothing happened yet: the worker is still signed in until they press the button.
    assert worker.get("/staff/").status_code == 200
    other_team = signed_in(app, staff, "south_worker")
    assert other_team.get(f"/staff/invitations/{invitation_id}/hand-over").status_code == 404


def test_signals_are_pushed_live_only_to_live_sign_ins_that_may_see_the_case(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "LIVE-1")
    code = invite_code(app, worker, case_id, 1)
    listeners = {who: staff_socket(app, signed_in(app, staff, who)) for who in ("manager", "south_manager")}
    mine = staff_socket(app, worker)
    person = socketio.test_client(app, namespace="/chat", auth={"code": code})
    assert person.emit("help", {}, namespace="/chat", callback=True)["ok"]

    def signals(sock):
        return [m["args"][0] for m in sock.get_received("/staff") if m["name"] == "signal"]

    heard = signals(mine)
    assert [(s["event"], s["reference"], s["kind"], s["urgent"]) for s in heard] == [
        ("raised", "LIVE-1", "help_now", True)
    ]
    assert all("Sam" not in json.dumps(s) for s in heard)  # a label and a reference, never a name
    assert len(signals(listeners["manager"])) == 1
    assert signals(listeners["south_manager"]) == []  # another team's manager hears nothing

    # Signed out (even if the socket stays open): nothing more is pushed to it.
    post(worker, "/staff/sign-out")
    with app.app_context():
        item = db.session.scalars(sa.select(FollowUp)).one()
        from app.models import User

        manager = db.session.get(User, staff["manager"][0])
        from app import followups

        followups.acknowledge(manager, item)
    assert signals(mine) == []
    assert [s["event"] for s in signals(listeners["manager"])] == ["acknowledged"]
