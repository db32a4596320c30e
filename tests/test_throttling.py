"""Throttling guessers without locking out the people they target: staff sign-in per account and
address, access codes per address and in total, and the client's address behind trusted proxies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from test_staff import PASSWORD, sign_in, signed_in, staff  # noqa: F401  (staff is a fixture)

from app import create_app, db
from app.models import AuditEvent, utcnow
from app.models.staff import SignInThrottle
from config import TestConfig

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def events(app, action):
    with app.app_context():
        query = sa.select(AuditEvent.user_id, AuditEvent.detail).where(AuditEvent.action == action)
        return [tuple(r) for r in db.session.execute(query)]


# -- staff sign-in ---------------------------------------------------------------------------------


def test_an_attacker_failing_many_times_does_not_stop_the_right_password_elsewhere(app, staff):  # noqa: F811
    attacker = from_address(app, ATTACKER)
    for _ in range(8):
        assert sign_in(attacker, staff["worker"][1], "not the password").status_code == 400
    assert sign_in(from_address(app, OWNER), staff["worker"][1]).status_code == 302
    # Nor another account from the attacker's own address.
    assert sign_in(attacker, staff["worker2"][1]).status_code == 302


def test_the_attackers_address_is_refused_even_the_right_password_until_the_lock_ends(app, staff):  # noqa: F811
    attacker = from_address(app, ATTACKER)
    wrong = [sign_in(attacker, staff["worker"][1], "not the password") for _ in range(5)]
    right = sign_in(attacker, staff["worker"][1])

    def message(response):
        return re.search(r'class="app-error-summary__body">(.*?)</p>', response.text, re.S)[1]

    assert right.status_code == 400 and message(right) == message(wrong[0])  # the same calm message
    with app.app_context():
        throttle = db.session.scalars(sa.select(SignInThrottle)).one()
        minutes = app.config["STAFF_LOCK_MINUTES"]
        left = throttle.locked_until.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
        assert timedelta(minutes=minutes - 1) < left <= timedelta(minutes=minutes)
        throttle.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(attacker, staff["worker"][1]).status_code == 302
    with app.app_context():  # a success from that address forgets its count
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInThrottle)) == 0


def test_four_failures_then_the_right_password_is_fine_and_starts_the_count_again(app, staff):  # noqa: F811
    client = from_address(app, OWNER)
    for _ in range(4):
        sign_in(client, staff["worker"][1], "typo")
    assert sign_in(client, staff["worker"][1]).status_code == 302
    client = from_address(app, OWNER)
    for _ in range(4):
        sign_in(client, staff["worker"][1], "typo")
    assert sign_in(client, staff["worker"][1]).status_code == 302


def test_the_count_is_shared_by_every_process(app, staff, tmp_path):  # noqa: F811
    """Two apps on one database (two server processes): their failures add up."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        for made in (app, other, app, other, app):
            assert sign_in(from_address(made, ATTACKER), staff["worker"][1], "nope").status_code == 400
        assert sign_in(from_address(other, ATTACKER), staff["worker"][1]).status_code == 400
        assert sign_in(from_address(other, OWNER), staff["worker"][1]).status_code == 302
    finally:
        with other.app_context():
            db.engine.dispose()


def test_failed_sign_ins_are_audited_with_the_account_and_address_never_the_password(app, staff):  # noqa: F811
    attacker = from_address(app, ATTACKER)
    for _ in range(5):
        sign_in(attacker, staff["worker"][1], "hunter2-secret")
    sign_in(attacker, staff["worker"][1])
    sign_in(attacker, "nobody-typed-this@example.org", "another-secret")
    failed = events(app, "sign_in_failed")
    worker_id = staff["worker"][0]
    assert [d for u, d in failed if u == worker_id] == [f"wrong password from {ATTACKER}"] * 5 + [
        f"refused: too many tries from {ATTACKER}"
    ]
    assert [(u, d) for u, d in failed if u != worker_id] == [(None, None)]  # no typed email kept
    locked = f"{ATTACKER} refused for 15 minutes after 5 failed tries"
    assert events(app, "sign_in_locked") == [(worker_id, locked)]

    # The team's manager reads them in the audit log.
    manager = signed_in(app, staff, "manager")
    log = manager.get("/staff/audit").text
    assert "sign_in_locked" in log and f"wrong password from {ATTACKER}" in log
    assert "hunter2-secret" not in log and "nobody-typed-this" not in log


def test_admins_see_failed_sign_ins_per_account_on_the_accounts_page(app, staff):  # noqa: F811
    attacker = from_address(app, ATTACKER)
    for _ in range(3):
        sign_in(attacker, staff["worker"][1], "hunter2-secret")
    sign_in(attacker, staff["manager"][1], "hunter2-secret")
    sign_in(attacker, "nobody-typed-this@example.org", "another-secret")
    admin = signed_in(app, staff, "admin")
    page = admin.get("/staff/users").text
    row = re.search(r"worker@north\.example</td>.*?</tr>", page, re.S)[0]
    assert "3 failed sign-ins in the last 24 hours" in row
    row = re.search(r"manager@north\.example</td>.*?</tr>", page, re.S)[0]
    assert "1 failed sign-in in the last 24 hours" in row
    assert "1 failed sign-in was for an email that has no account" in page
    assert "hunter2-secret" not in page and "nobody-typed-this" not in page
    # An older failure is no longer counted.
    with app.app_context():
        db.session.execute(sa.update(AuditEvent).values(at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert "failed sign-in" not in admin.get("/staff/users").text.split("New account")[0].split("</table>")[0]


# -- the client's address behind trusted proxies ---------------------------------------------------


def _sign_in_codes(client, forwarded_for, n):
    """n sign-ins to an unknown email: each a 400 until Flask-Limiter slows the address (429)."""
    return [sign_in_from(client, forwarded_for).status_code for _ in range(n)]


def sign_in_from(client, forwarded_for):
    page = client.get("/staff/sign-in", headers={"X-Forwarded-For": forwarded_for})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    return client.post(
        "/staff/sign-in",
        data={"email": "guess@example.org", "password": "x", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )


def test_behind_one_trusted_proxy_each_forwarded_address_is_limited_separately(tmp_path, migrated_db):
    import shutil

    path = tmp_path / "proxied.sqlite3"
    shutil.copyfile(migrated_db, path)
    proxied = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", TRUSTED_PROXIES=1)
    try:
        client = proxied.test_client()  # every request comes from the proxy, 127.0.0.1
        assert _sign_in_codes(client, ATTACKER, 11) == [400] * 10 + [429]
        assert sign_in_from(client, OWNER).status_code == 400  # another client: not slowed
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_not_behind_a_proxy_the_forwarded_header_is_ignored(app):
    assert app.config["TRUSTED_PROXIES"] == 0
    client = app.test_client()
    assert _sign_in_codes(client, ATTACKER, 11) == [400] * 10 + [429]
    assert sign_in_from(client, OWNER).status_code == 429  # a forged header changes nothing


# -- access codes ----------------------------------------------------------------------------------

WRONG = "ABCD-EFGH-JKLM"  # looks like a code, opens nothing
TOO_MANY = "Too many tries. Please wait a minute and try again, or ask the person who gave you the code."


def typed(client, code):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    data = {"code": code, **({"csrf_token": token[1]} if token else {})}
    return client.post("/start", data=data)


def test_wrong_codes_from_one_address_are_limited_but_not_the_right_code_elsewhere(app, invite):
    code = invite()
    guesser = from_address(app, ATTACKER)
    assert [typed(guesser, f"{WRONG[:-1]}{i}").status_code for i in range(10)] == [400] * 10
    refused = typed(guesser, code)  # out of tries: even the right code, until the minute is over
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert TOO_MANY in refused.text
    assert guesser.get(f"/s/{code}").status_code == 429  # the link counts the same tries
    assert typed(from_address(app, OWNER), code).status_code == 302  # the person is not blocked


def test_a_right_code_costs_nothing(app, invite):
    code = invite()
    person = from_address(app, OWNER)
    for _ in range(3):
        assert typed(person, WRONG).status_code == 400  # mistyped a few times
    for _ in range(12):
        assert typed(person, code).status_code == 302
        assert person.get(f"/s/{code}").status_code == 302


def test_wrong_links_count_too(app, invite):
    code = invite()
    guesser = from_address(app, ATTACKER)
    assert [guesser.get(f"/s/{WRONG[:-1]}{i}").status_code for i in range(10)] == [404] * 10
    assert guesser.get(f"/s/{code}").status_code == 429
    assert typed(guesser, code).status_code == 429


def test_wrong_codes_from_everyone_together_are_limited(app, invite):
    code = invite()
    app.config["ACCESS_CODE_LIMIT_TOTAL"] = "5 per minute"
    for i in range(5):  # five addresses, one guess each
        assert typed(from_address(app, f"192.0.2.{i + 1}"), WRONG).status_code == 400
    assert typed(from_address(app, OWNER), code).status_code == 429
    assert TOO_MANY in typed(from_address(app, "192.0.2.99"), WRONG).text


def test_the_limits_are_settings(app):
    assert app.config["ACCESS_CODE_LIMIT_PER_ADDRESS"] == "10 per minute"
    assert app.config["ACCESS_CODE_LIMIT_TOTAL"] == "600 per minute"


def test_a_socket_connecting_with_wrong_codes_is_limited_the_same_way(app, invite):
    from app import socketio

    code = invite()

    def connect(address, with_code):
        client = socketio.test_client(
            app, namespace="/chat", auth={"code": with_code}, flask_test_client=from_address(app, address)
        )
        connected = client.is_connected("/chat")
        if connected:
            client.disconnect(namespace="/chat")
        return connected

    assert [connect(ATTACKER, WRONG) for _ in range(10)] == [False] * 10
    assert connect(ATTACKER, code) is False  # out of tries
    assert typed(from_address(app, ATTACKER), code).status_code == 429  # one count for every path
    assert connect(OWNER, code) is True


@pytest.mark.server
def test_a_served_instance_limits_socket_guesses_per_forwarded_address(tmp_path):
    """A real server behind one trusted proxy: a socket guessing codes from one client is refused
    with the calm message, while the same code from another client opens the conversation."""
    import socketio as sio

    from browser_support import Server

    srv = Server(tmp_path, TRUSTED_PROXIES="1")
    srv.app  # noqa: B018 - the schema is made here, before the server starts
    srv.start()
    try:
        code = srv.invite("CASE-T")["code"]
        refusals = []

        def attempt(address, with_code):
            client = sio.Client(reconnection=False)
            client.on("connect_error", lambda data: refusals.append(data), namespace="/chat")
            try:
                client.connect(
                    srv.base_url,
                    namespaces=["/chat"],
                    auth={"code": with_code},
                    headers={"X-Forwarded-For": address},
                    transports=["websocket"],
                    wait_timeout=10,
                )
            except sio.exceptions.ConnectionError:
                return False
            client.disconnect()
            return True

        assert [attempt(ATTACKER, WRONG) for _ in range(10)] == [False] * 10
        assert attempt(ATTACKER, code) is False
        assert TOO_MANY in str(refusals[-1])
        assert attempt(OWNER, code) is True
    finally:
        srv.reset_limits()
        srv.close()
