"""The managers' audit log: filtered by case, member of staff, action, how it was done and UTC days
(whole days, both included), a page at a time; exported as CSV with exactly the filtered entries
(every page), the export itself audited; another team's entries never shown; workers kept out."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from conftest import made_once
from test_staff import new_case, sign_in, signed_in, staff  # noqa: F401  (staff is a fixture)

from app import access, db
from app.models import AuditEvent, User


def shown(page) -> list[int]:
    """The entry ids in the page's table, in order."""
    assert page.status_code == 200, page.text[:300]
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page.text)]


def exported(client, query="") -> list[dict]:
    response = client.get("/staff/audit.csv" + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def ids(app, where) -> list[int]:
    """Entry ids straight from the table, newest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.id).where(where).order_by(AuditEvent.id.desc())))


def actions(app, entry_ids) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id.in_(entry_ids))))


def move(app, entry_ids, moment: datetime) -> None:
    with app.app_context():
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.id.in_(entry_ids)).values(at=moment))
        db.session.commit()


@pytest.fixture
def log(request, app, staff):  # noqa: F811
    """North: a worker with case N-1 (viewed, exported), a second worker with N-2 (viewed) who
    tries a South case; South: a worker with case S-1. Then every entry so far is moved to
    1 March 2025 UTC, for the date filters to place some on other days (made once per process
    through the staff pages, then copied: ``made_once``)."""
    return made_once(request, app, lambda: make_log(app, staff), staff)


def make_log(app, staff) -> dict:  # noqa: F811
    north = signed_in(app, staff, "worker")
    n1 = new_case(north, "N-1")
    assert north.get(f"/staff/cases/{n1}").status_code == 200
    assert north.get(f"/staff/cases/{n1}/export.json").status_code == 200
    second = signed_in(app, staff, "worker2")
    n2 = new_case(second, "N-2")
    assert second.get(f"/staff/cases/{n2}").status_code == 200
    south = signed_in(app, staff, "south_worker")
    s1 = new_case(south, "S-1")
    south.get(f"/staff/cases/{s1}")
    assert second.get(f"/staff/cases/{s1}").status_code == 404  # refused, and audited
    moved = ids(app, sa.true())
    move(app, moved, datetime(2025, 3, 1, 12, tzinfo=UTC))
    with app.app_context():
        north_users = set(db.session.scalars(sa.select(User.id).where(User.email.like("%@north.example"))))
    return {"n1": n1, "n2": n2, "s1": s1, "north_users": north_users, "moved": moved}


def north_may_read(log):
    return AuditEvent.user_id.in_(log["north_users"]) | AuditEvent.case_id.in_([log["n1"], log["n2"]])


def test_a_manager_filters_by_case_user_action_and_days(app, staff, log):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    readable = north_may_read(log)
    on_first = ids(app, readable & AuditEvent.id.in_(log["moved"]))  # not the manager's sign-in, today

    n1_only = shown(manager.get(f"/staff/audit?case_id={log['n1']}"))
    assert n1_only == ids(app, AuditEvent.case_id == log["n1"])
    assert {"create_case", "view_case", "export_json"} <= set(actions(app, n1_only))

    worker2 = staff["worker2"][0]
    assert shown(manager.get(f"/staff/audit?user_id={worker2}")) == ids(app, AuditEvent.user_id == worker2)

    views = shown(manager.get("/staff/audit?action=view_case"))
    assert views == ids(app, readable & (AuditEvent.action == "view_case"))
    assert len(views) == 2  # N-1 by the worker, N-2 by the second worker; not South's own view of S-1

    both = shown(manager.get(f"/staff/audit?action=view_case&user_id={worker2}"))
    assert (
        both == ids(app, (AuditEvent.action == "view_case") & (AuditEvent.user_id == worker2))
        and len(both) == 1
    )

    # Days are UTC and whole, both ends included: 2 and 3 March hold exactly the entries moved there.
    export = ids(app, AuditEvent.action == "export_json")
    view_n2 = ids(app, (AuditEvent.action == "view_case") & (AuditEvent.case_id == log["n2"]))
    move(app, export, datetime(2025, 3, 2, 0, 0, 0, tzinfo=UTC))
    move(app, view_n2, datetime(2025, 3, 3, 23, 59, 59, tzinfo=UTC))
    late = ids(app, (AuditEvent.action == "create_case") & (AuditEvent.case_id == log["n2"]))
    move(app, late, datetime(2025, 3, 4, 0, 0, 0, tzinfo=UTC))
    days = shown(manager.get("/staff/audit?date_from=2025-03-02&date_to=2025-03-03"))
    assert sorted(days) == sorted(export + view_n2)
    assert shown(manager.get("/staff/audit?date_from=2025-03-04&date_to=2025-03-04")) == late
    only_first = shown(manager.get("/staff/audit?date_to=2025-03-01"))
    assert sorted(only_first) == sorted(set(on_first) - set(export + view_n2 + late))

    page = manager.get("/staff/audit?date_from=2025-03-03&date_to=2025-03-02")
    assert page.status_code == 400 and "The first day is after the last day" in page.text
    assert 'data-id="' not in page.text


def test_another_teams_entries_are_never_shown(app, staff, log):  # noqa: F811
    north = signed_in(app, staff, "manager")
    south = signed_in(app, staff, "south_manager")
    south_only = ids(app, ~north_may_read(log))
    assert south_only  # South's worker made and viewed S-1
    for query in ("", f"?case_id={log['s1']}", "?action=view_case", f"?user_id={staff['south_worker'][0]}"):
        seen = shown(north.get("/staff/audit" + query))
        assert not set(seen) & set(south_only), query
        assert not {int(row["id"]) for row in exported(north, query)} & set(south_only), query
    # North's second worker tried South's case: that attempt is North's to see, but the case's
    # reference is not (only its id), and South's own entries on it stay out.
    on_s1 = north.get(f"/staff/audit?case_id={log['s1']}")
    assert shown(on_s1) == ids(
        app, (AuditEvent.case_id == log["s1"]) & (AuditEvent.user_id == staff["worker2"][0])
    )
    assert "S-1" not in on_s1.text and f"id {log['s1']}" in on_s1.text
    # And the other way round: none of North's entries on South's manager's page.
    north_only = set(ids(app, AuditEvent.user_id.in_(log["north_users"]) & (AuditEvent.case_id != log["s1"])))
    assert not set(shown(south.get("/staff/audit"))) & north_only


def test_the_csv_holds_exactly_the_filtered_entries_of_every_page_and_is_audited(app, staff, log):  # noqa: F811
    with app.app_context():
        worker = db.session.get(User, staff["worker"][0])
        for _ in range(140):
            access.audit(worker, "view_case", log["n1"])
    manager = signed_in(app, staff, "manager")
    query = f"?case_id={log['n1']}&action=view_case"
    wanted = ids(app, (AuditEvent.case_id == log["n1"]) & (AuditEvent.action == "view_case"))
    assert len(wanted) == 141

    first = manager.get("/staff/audit" + query)
    assert shown(first) == wanted[:100] and "Showing 1–100 of 141" in first.text
    assert f'href="/staff/audit.csv{query.replace("&", "&amp;")}"' in first.text
    second = manager.get("/staff/audit" + query + "&page=2")
    assert shown(second) == wanted[100:] and "Showing 101–141 of 141" in second.text

    rows = exported(manager, query)
    assert [int(r["id"]) for r in rows] == wanted
    assert {(r["action"], r["case_reference"], r["who"], r["via"]) for r in rows} == {
        ("view_case", "N-1", staff["worker"][1], "web")
    }
    with app.app_context():
        [(detail, by)] = db.session.execute(
            sa.select(AuditEvent.detail, AuditEvent.user_id).where(AuditEvent.action == "export_audit")
        ).all()
    assert by == staff["manager"][0]
    assert detail == f"case_id={log['n1']} action=view_case; 141 entries"


def test_commands_and_repeated_failed_sign_ins_are_shown_for_what_they_are(app, staff, log, runner):  # noqa: F811
    assert runner.invoke(args=["export", "--case", "N-1"]).exit_code == 0
    for _ in range(3):
        assert sign_in(app.test_client(), staff["worker2"][1], "not the password").status_code == 400
    manager = signed_in(app, staff, "manager")
    page = manager.get("/staff/audit?via=cli").text
    [row] = re.findall(r'<tr data-id="\d+".*?</tr>', page, re.S)
    assert "command line: " in row and "N-1" in row and "flask export --case N-1 [exit 0]" in row
    panel = re.search(r'data-role="failed-sign-ins".*?</section>', manager.get("/staff/audit").text, re.S)[0]
    assert staff["worker2"][1] in panel and "3 failed sign-ins" in panel
    assert staff["worker"][1] not in panel


def test_a_worker_cannot_open_the_log_or_its_export(app, staff, log):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    assert worker.get("/staff/audit").status_code == 404
    assert worker.get(f"/staff/audit.csv?case_id={log['n1']}").status_code == 404
    assert ids(app, AuditEvent.action == "export_audit") == []
    refused = ids(
        app,
        (AuditEvent.action == "refused") & (AuditEvent.detail.in_(["staff.audit_log", "staff.audit_csv"])),
    )
    assert len(refused) == 2
