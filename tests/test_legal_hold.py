"""A legal hold: set and lifted by a manager of the case's team with a reason (kept on the case,
encrypted; the audit log says it was done, never why), refused without one; a worker cannot, and sees
only that a hold keeps the case. A held case past its retention is kept by the run and listed as held
by the dry run; once lifted, the next run erases it. The case page says when the case closed and when
its conversations are due to be erased."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import test_staff
from conftest import opened
from test_retention import all_audit_text, closed_case, long_ago, raw, rows_left
from test_staff import new_case, post, signed_in

from app import db
from app.models import Case
from app.records import retention

# The fixture: two teams, a worker and a manager in each, and an admin.
staff = test_staff.staff

WHY = "Court of Protection application, ref COP 1234567"
LIFTED = "The application was withdrawn on 2 May"


def hold(client, case_id, reason=WHY):
    return post(client, f"/staff/cases/{case_id}/legal-hold", {"reason": reason}, f"/staff/cases/{case_id}")


def lift(client, case_id, reason=LIFTED):
    return post(
        client, f"/staff/cases/{case_id}/legal-hold/lift", {"reason": reason}, f"/staff/cases/{case_id}"
    )


def flashed(client, case_id) -> list[str]:
    page = client.get(f"/staff/cases/{case_id}").text
    return re.findall(r'class="app-error-summary__body">(.*?)</p>', page, re.S)


def actions(app, case_id) -> list[tuple]:
    return raw(app, "SELECT action, user_id, detail FROM audit_event WHERE case_id = ? ORDER BY id", case_id)


def test_a_manager_sets_and_lifts_a_hold_with_reasons_and_both_are_audited_without_them(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "LH-1")
    manager = signed_in(app, staff, "manager")
    done = hold(manager, case_id)
    assert done.status_code == 302 and done.headers["Location"].endswith("#records")
    page = manager.get(f"/staff/cases/{case_id}").text
    shown = re.search(r'data-role="legal-hold">(.*?)</p>', page, re.S)[1]
    assert shown.startswith("Under a legal hold since ") and staff["manager"][1] in shown and WHY in shown
    assert 'data-role="lift-hold"' in page and 'data-role="place-hold"' not in page
    assert "Kept while the legal hold is on" in page
    (stored,) = raw(app, 'SELECT legal_hold_reason FROM "case" WHERE id = ?', case_id)[0]
    assert WHY not in stored and opened(stored) == WHY  # encrypted at rest

    assert lift(manager, case_id).status_code == 302
    page = manager.get(f"/staff/cases/{case_id}").text
    assert 'data-role="legal-hold"' not in page and 'data-role="place-hold"' in page
    lifted = re.search(r'data-role="hold-lifted">(.*?)</p>', page, re.S)[1]
    assert lifted.startswith("The last legal hold was lifted on ") and LIFTED in lifted
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.legal_hold_at is None and case.legal_hold_reason is None
        assert case.legal_hold_lifted_reason == LIFTED and case.legal_hold_lifted_by_id == staff["manager"][0]

    done = [(a, u, d) for a, u, d in actions(app, case_id) if a.startswith("legal_hold")]
    assert done == [
        ("legal_hold_set", staff["manager"][0], "legal hold set; the reason is on the case"),
        ("legal_hold_lifted", staff["manager"][0], "legal hold lifted; the reason is on the case"),
    ]
    assert {"place_legal_hold", "lift_legal_hold"} <= {a for a, _u, _d in actions(app, case_id)}
    words = all_audit_text(app)
    assert WHY not in words and "COP 1234567" not in words and LIFTED not in words


def test_a_hold_needs_a_reason_and_cannot_be_set_twice_or_lifted_when_there_is_none(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "LH-2")
    manager = signed_in(app, staff, "manager")
    assert hold(manager, case_id, reason="  ").status_code == 302
    assert any(m.startswith("Give a reason.") for m in flashed(manager, case_id))
    assert lift(manager, case_id).status_code == 302
    assert "This case is not under a legal hold: there is nothing to lift." in flashed(manager, case_id)
    with app.app_context():
        assert db.session.get(Case, case_id).legal_hold_at is None

    hold(manager, case_id)
    hold(manager, case_id, reason="Another reason")
    again = flashed(manager, case_id)
    assert any("already under a legal hold" in m and WHY in m for m in again)
    lift(manager, case_id, reason="")
    assert any(m.startswith("Give a reason.") for m in flashed(manager, case_id))
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.legal_hold_reason == WHY and case.legal_hold_at is not None
    assert [a for a, _u, _d in actions(app, case_id) if a.startswith("legal_hold")] == ["legal_hold_set"]


def test_workers_and_other_teams_cannot_set_or_lift_and_a_worker_sees_only_that_a_hold_is_on(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "LH-3")
    assert hold(worker, case_id).status_code == 404
    south = signed_in(app, staff, "south_manager")
    assert hold(south, case_id).status_code == 404
    with app.app_context():
        assert db.session.get(Case, case_id).legal_hold_at is None
    page = worker.get(f"/staff/cases/{case_id}").text
    assert 'data-role="place-hold"' not in page and 'data-role="erase-link"' not in page
    assert "Kept while the case is open, then erased 72 months after it closes" in page

    hold(signed_in(app, staff, "manager"), case_id)
    assert lift(worker, case_id).status_code == 404 and lift(south, case_id).status_code == 404
    page = worker.get(f"/staff/cases/{case_id}").text
    assert "A legal hold keeps this case's records." in page
    assert WHY not in page and 'data-role="lift-hold"' not in page
    with app.app_context():
        assert db.session.get(Case, case_id).legal_hold_at is not None
    refused = raw(app, "SELECT user_id, case_id, detail FROM audit_event WHERE action = 'refused'")
    assert (staff["worker"][0], None, "staff.place_hold") in refused
    assert (staff["worker"][0], None, "staff.lift_hold") in refused
    assert (staff["south_manager"][0], case_id, "place_legal_hold") in refused


def test_a_held_case_past_retention_is_kept_and_listed_as_held_then_erased_once_lifted(app, staff, runner):
    from app.models import User

    case_id = closed_case(app, "LH-OLD", long_ago(), part2=False)
    with app.app_context():
        manager = db.session.get(User, staff["manager"][0])
        case = db.session.get(Case, case_id)
        case.team_id = manager.team_id  # a case of the manager's team
        db.session.commit()
    manager = signed_in(app, staff, "manager")
    assert hold(manager, case_id).status_code == 302

    listed = runner.invoke(args=["retention", "--dry-run"])
    line = next(x for x in listed.output.splitlines() if x.startswith(f"case {case_id} "))
    assert line.endswith(f"kept: legal hold (since {datetime.now(UTC):%Y-%m-%d})"), line
    assert "0 cases would be erased, 1 kept under a legal hold" in listed.output
    ran = runner.invoke(args=["retention"])
    assert "Retention: 0 cases erased, 1 kept under a legal hold." in ran.output
    assert rows_left(app, case_id)["answer"] == 7

    assert lift(manager, case_id).status_code == 302
    ran = runner.invoke(args=["retention"])
    assert "Retention: 1 case erased, 0 kept under a legal hold." in ran.output
    assert rows_left(app, case_id)["case"] == 0


def test_the_panel_says_when_the_case_closed_and_when_its_conversations_are_due_to_go(app, staff):
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "LH-4")
    post(worker, f"/staff/cases/{case_id}/stage", {"stage": "closed"}, f"/staff/cases/{case_id}")
    with app.app_context():
        case = db.session.get(Case, case_id)
        case.closed_at = datetime(2026, 8, 31, 15, 0, tzinfo=UTC)
        db.session.commit()
        due = retention.add_months(datetime(2026, 8, 31, 15, 0, tzinfo=UTC), 72)
    assert due == datetime(2032, 8, 31, 15, 0, tzinfo=UTC)
    page = worker.get(f"/staff/cases/{case_id}").text
    panel = page.split('data-role="keeping"')[1].split("</dl>")[0]
    assert 'data-role="closed">31 Aug 2026<' in panel
    assert "Due to be erased on 31 Aug 2032, 72 months after the case closed" in panel
