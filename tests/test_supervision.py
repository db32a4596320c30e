"""Supervision: a worker's finished reflection is read by the managers of the worker's team and nobody
else (not other workers, other teams' managers, admins, nor a manager who sees the case only as
unassigned), the discussion and learning actions recorded against it, actions marked done, and the
team's learning themes without names or cases. Every view, change and refusal audited."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import opened
from test_staff import new_case, post, signed_in, staff, walk_staff_dialogue  # noqa: F401  (the fixture)

from app import db
from app.clock import utcnow
from app.models import AgreedAction, AuditEvent, Case, Conversation, Supervision, User
from app.records import RecordsError
from app.reports import figures, periods
from app.staff import supervision

ANSWERS = {
    "protective": "at_times",
    "protective_more": "I wanted her safe more than she did.",
    "avoided": "yes",
    "avoided_why": "A joint visit with the advocate would help next time",
    "process": "no",
    "differently": "Ask about outcomes in the first visit",
}


def reflected(app, staff, reference="SV-1", who="worker"):  # noqa: F811
    """A case of the worker's, reflected on to the end: (the worker's client, case id, reflection id)."""
    worker = signed_in(app, staff, who)
    case_id = new_case(worker, reference)
    seen = walk_staff_dialogue(worker, f"/staff/cases/{case_id}/reflection", ANSWERS)
    assert seen[-1] == "done"
    with app.app_context():
        reflection = db.session.scalars(
            sa.select(Conversation).where(
                Conversation.case_id == case_id, Conversation.dialogue_id == "reflection"
            )
        ).one()
        assert reflection.finished_at is not None
        return worker, case_id, reflection.id


def entries(app, action):
    with app.app_context():
        return db.session.execute(
            sa.select(AuditEvent.user_id, AuditEvent.case_id, AuditEvent.detail).where(
                AuditEvent.action == action
            )
        ).all()


def test_the_reflection_says_exactly_who_can_read_it(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "SV-0")
    intro = worker.get(f"/staff/cases/{case_id}/reflection").text
    assert "only you can read them until you finish" in intro
    assert (
        "the managers of your team (every manager of the team you are in) can read your reflection" in intro
    )
    assert (
        "Nobody else can read it: not the person, not other workers, not other teams&#39; managers" in intro
    )
    assert "not administrators" in intro


def test_the_workers_own_manager_reads_it_and_the_view_is_audited(app, staff):  # noqa: F811
    _, case_id, reflection_id = reflected(app, staff)
    manager = signed_in(app, staff, "manager")
    listed = manager.get("/staff/supervision")
    assert listed.status_code == 200 and "SV-1" in listed.text and staff["worker"][1] in listed.text
    assert f"/staff/supervision/{reflection_id}" in listed.text
    assert entries(app, "view_supervision_list") == [(staff["manager"][0], None, "1 reflections")]

    page = manager.get(f"/staff/supervision/{reflection_id}")
    assert page.status_code == 200
    assert (
        "What would you do differently?" in page.text and "Ask about outcomes in the first visit" in page.text
    )
    assert "I wanted her safe more than she did." in page.text
    assert f'href="/staff/cases/{case_id}"' in page.text  # the manager may see the case: a link
    assert staff["manager"][1] in page.text  # who can read it, by name
    assert "Supervision: a reflection" in re.search(r"<title>(.*?)</title>", page.text)[1]
    assert (staff["manager"][0], case_id, f"reflection {reflection_id}") in entries(
        app, "view_reflection_supervision"
    )


def test_an_unfinished_reflection_is_the_workers_alone(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "SV-U")
    worker.get(f"/staff/cases/{case_id}/reflection")
    with app.app_context():
        reflection_id = db.session.scalars(
            sa.select(Conversation.id).where(
                Conversation.case_id == case_id, Conversation.dialogue_id == "reflection"
            )
        ).one()
    manager = signed_in(app, staff, "manager")
    assert manager.get(f"/staff/supervision/{reflection_id}").status_code == 404
    assert "SV-U" not in manager.get("/staff/supervision").text


def test_nobody_else_reads_it_each_refusal_a_404_and_audited(app, staff):  # noqa: F811
    _, case_id, reflection_id = reflected(app, staff)
    url = f"/staff/supervision/{reflection_id}"
    for who in ("south_manager", "worker2", "admin", "worker"):
        client = signed_in(app, staff, who)
        response = client.get(url)
        assert response.status_code == 404, who
        assert "Ask about outcomes" not in response.text
        assert "SV-1" not in client.get("/staff/supervision").text, who
    refused = entries(app, "refused")
    assert (staff["south_manager"][0], case_id, "view_reflection_supervision") in refused
    # Workers (even the reflection's own) and admins are turned away by the page's role, by endpoint.
    for who in ("worker2", "admin", "worker"):
        assert (staff[who][0], None, "staff.supervision_reflection") in refused, who
    assert not [e for e in entries(app, "view_reflection_supervision") if e[0] != staff["manager"][0]]


def test_a_manager_who_sees_the_case_only_as_unassigned_is_refused(app, staff):  # noqa: F811
    _, case_id, reflection_id = reflected(app, staff)
    with app.app_context():
        db.session.get(Case, case_id).team_id = None  # a case of no team: every manager sees it
        db.session.commit()
    south = signed_in(app, staff, "south_manager")
    assert south.get(f"/staff/cases/{case_id}").status_code == 200  # the case's rules let them see it
    assert south.get(f"/staff/supervision/{reflection_id}").status_code == 404  # but not the reflection
    assert (
        post(
            south, f"/staff/supervision/{reflection_id}/discussions", {"discussed_on": "2026-01-05"}
        ).status_code
        == 404
    )
    assert (staff["south_manager"][0], case_id, "view_reflection_supervision") in entries(app, "refused")
    assert (staff["south_manager"][0], case_id, "supervision_recorded") in entries(app, "refused")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Supervision)) == 0
    # The reflection's own team manager still reads it, and the case's link is shown to them.
    assert signed_in(app, staff, "manager").get(f"/staff/supervision/{reflection_id}").status_code == 200


def test_recording_a_discussion_and_learning_actions_and_marking_them_done(app, staff):  # noqa: F811
    worker, case_id, reflection_id = reflected(app, staff)
    manager = signed_in(app, staff, "manager")
    page = f"/staff/supervision/{reflection_id}"
    bad = post(manager, f"{page}/discussions", {"discussed_on": "5 January", "notes": "x"}, page=page)
    assert bad.status_code == 400 and "year-month-day" in bad.text
    today = datetime.now(UTC).date()
    later = (today + timedelta(days=3)).isoformat()
    assert post(manager, f"{page}/discussions", {"discussed_on": later}, page=page).status_code == 400
    recorded = post(
        manager,
        f"{page}/discussions",
        {"discussed_on": today.isoformat(), "notes": "Talked about positive risk-taking."},
        page=page,
    )
    assert recorded.status_code == 302
    with app.app_context():
        held = db.session.scalars(sa.select(Supervision)).one()
        assert (held.worker_id, held.manager_id, held.discussed_on) == (
            staff["worker"][0],
            staff["manager"][0],
            today,
        )
        stored = db.session.execute(sa.text("SELECT notes FROM supervision")).scalar_one()
        assert "positive" not in stored and opened(stored) == "Talked about positive risk-taking."
        supervision_id = held.id
    assert entries(app, "supervision_recorded") == [
        (staff["manager"][0], case_id, f"supervision {supervision_id}")
    ]

    actions = f"/staff/supervision/discussions/{supervision_id}/actions"
    assert post(manager, actions, {"text": "  "}, page=page).status_code == 400
    due = (today + timedelta(days=30)).isoformat()
    assert (
        post(
            manager, actions, {"text": "Shadow a strengths-based visit", "due_on": due}, page=page
        ).status_code
        == 302
    )
    mine = {"text": "Book MSP training for the team", "owner_id": str(staff["manager"][0])}
    assert post(manager, actions, mine, page=page).status_code == 302
    shown = manager.get(page).text
    assert "Talked about positive risk-taking." in shown and "Shadow a strengths-based visit" in shown
    with app.app_context():
        added = db.session.scalars(sa.select(AgreedAction).order_by(AgreedAction.id)).all()
        assert [(a.source, a.owner_id, a.supervision_id) for a in added] == [
            ("supervision", staff["worker"][0], supervision_id),
            ("supervision", staff["manager"][0], supervision_id),
        ]
        assert added[0].due_on == date.fromisoformat(due)
        first, second = added[0].id, added[1].id
        assert (
            "strengths" not in db.session.execute(sa.text("SELECT text FROM agreed_action")).scalars().first()
        )
    assert [e[1] for e in entries(app, "learning_action_added")] == [case_id, case_id]

    # The worker sees their actions (and the one the manager took on) and marks theirs done.
    listed = worker.get("/staff/supervision")
    assert listed.status_code == 200
    assert "Shadow a strengths-based visit" in listed.text and "Book MSP training" in listed.text
    assert "Talked about positive risk-taking." not in listed.text  # the manager's notes are not shown
    assert entries(app, "view_learning_actions") == [(staff["worker"][0], None, None)]
    assert (
        post(worker, f"/staff/supervision/actions/{first}/done", page="/staff/supervision").status_code == 302
    )
    # Another worker may not; the manager marks theirs done from the supervision page.
    other = signed_in(app, staff, "worker2")
    assert post(other, f"/staff/supervision/actions/{second}/done").status_code == 404
    assert (staff["worker2"][0], case_id, "learning_action_done") in entries(app, "refused")
    done = post(manager, f"/staff/supervision/actions/{second}/done", page=page)
    assert done.status_code == 302 and done.headers["Location"].endswith(page)
    with app.app_context():
        marked = {a.id: a.done_by_id for a in db.session.scalars(sa.select(AgreedAction))}
    assert marked == {first: staff["worker"][0], second: staff["manager"][0]}
    assert sorted(e[0] for e in entries(app, "learning_action_done")) == sorted(
        [staff["worker"][0], staff["manager"][0]]
    )
    assert worker.get("/staff/supervision").text.count('data-role="action-done"') == 2


def test_another_teams_manager_can_add_nothing(app, staff):  # noqa: F811
    _, _, reflection_id = reflected(app, staff)
    with app.app_context():
        manager = db.session.get(User, staff["manager"][0])
        held_id = supervision.record_supervision(manager, reflection_id, date(2026, 1, 5), None).id
        south = db.session.get(User, staff["south_manager"][0])
        with pytest.raises(RecordsError):
            supervision.add_action(south, held_id, "Something")
        with pytest.raises(RecordsError):
            supervision.record_supervision(south, reflection_id, date(2026, 1, 5), None)
        # A manager who leaves the team no longer reads it.
        manager.active = False
        db.session.commit()
        assert supervision.reflection_for(manager, reflection_id) is None
    south_client = signed_in(app, staff, "south_manager")
    assert (
        post(south_client, f"/staff/supervision/discussions/{held_id}/actions", {"text": "x"}).status_code
        == 404
    )


def test_team_learning_has_no_names_or_references(app, staff):  # noqa: F811
    _, case_id, reflection_id = reflected(app, staff, "SV-77")
    with app.app_context():
        manager = db.session.get(User, staff["manager"][0])
        held = supervision.record_supervision(manager, reflection_id, date.today(), "Private notes")
        supervision.add_action(manager, held.id, "Read the MSP toolkit")
        start = datetime.now(UTC) - timedelta(days=1)
        end = datetime.now(UTC) + timedelta(days=1)
        team_id = manager.team_id
        themes = supervision.team_learning(team_id, start, end)
        assert themes == sorted(
            ["Read the MSP toolkit", ANSWERS["differently"], ANSWERS["avoided_why"]], key=str.casefold
        )
        text = " ".join(themes)
        for private in (
            "SV-77",
            str(case_id),
            staff["worker"][1],
            "worker@",
            "Private notes",
            ANSWERS["protective_more"],
        ):
            assert private not in text
        south_team = db.session.get(User, staff["south_manager"][0]).team_id
        assert supervision.team_learning(south_team, start, end) == []
        # The same themes feed the team's reports, the supervision's actions under their own heading.
        quarter = periods.quarter_of(utcnow())
        north_report = figures.report(quarter, db.session.get(User, staff["manager"][0]).team)
        assert north_report.themes["Learning actions agreed in supervision"] == ["Read the MSP toolkit"]
        south_report = figures.report(quarter, db.session.get(User, staff["south_manager"][0]).team)
        assert south_report.themes["Learning actions agreed in supervision"] == []
        assert supervision.team_learning(team_id, end, end + timedelta(days=90)) == []  # outside the period
        assert supervision.team_learning(
            team_id, date.today() - timedelta(days=1), date.today() + timedelta(days=1)
        )
