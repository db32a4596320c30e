"""Case-file audit: a manager's random sample of the team's closed cases in a quarter (never a case
twice, never an open case or another team's), each given to an auditor who is neither the case's
worker nor a manager of its team or of the worker's team, who reads the case file (and nothing more)
and answers the audit dialogue through the same engine; the findings read by the team's managers,
actions agreed and tracked to done; the results counted in the reports. Every view, change and
refusal audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import made_once
from test_sac import close, part1, part2, this_quarter
from test_staff import audits, post, signed_in, staff, token_from, walk_staff_dialogue  # noqa: F401

from app import db
from app.models import AgreedAction, AuditSample, Case, CaseFileAudit, Conversation, User
from app.records import RecordsError
from app.reports import figures, periods
from app.staff import case_file_audit as service

AUDIT_ANSWERS = {
    "outcomes_recorded": "adequate",
    "outcomes_notes": "Outcomes recorded in the person's words; whether met is only in Part 2.",
    "voice_heard": "yes",
    "follow_ups_acted": "none_raised",
    "findings": "Record in the case notes whether each outcome was met <b>before</b> closing.",
}


def user(email: str) -> User:
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


@pytest.fixture
def closed(request, app, staff):  # noqa: F811
    """Three of North's cases closed this quarter (one with the person's Part 1 and Part 2), one of
    North's still open, and one of South's closed: case ids by reference (made once per process
    through the chat socket and the services, then copied: ``made_once``)."""
    return made_once(request, app, lambda: make_closed(app), staff)


def make_closed(app) -> dict[str, int]:
    part1(app, "AUD-1", {"outcome_words": "I want to stay in my flat", "outcome_choices": ["feel_safe"]})
    part2(app, "AUD-1", {"outcome_met": "partly"})
    for reference in ("AUD-1", "AUD-2", "AUD-3"):
        if reference != "AUD-1":
            part1(app, reference, {})
        close(app, reference)
    part1(app, "AUD-OPEN", {})
    with app.app_context():
        from app.cases.services import create_invitation

        create_invitation("AUD-SOUTH", 1, worker="worker@south.example")
    close(app, "AUD-SOUTH")
    with app.app_context():
        return {c.reference: c.id for c in db.session.scalars(sa.select(Case))}


def draw(app, manager, size=2, period=None):
    return post(manager, "/staff/audits/samples", {"period": period or this_quarter(), "size": str(size)})


def sample_cases(app, sample_id=None) -> list[str]:
    with app.app_context():
        query = sa.select(Case.reference).join(CaseFileAudit, CaseFileAudit.case_id == Case.id)
        if sample_id is not None:
            query = query.where(CaseFileAudit.sample_id == sample_id)
        return sorted(db.session.scalars(query))


def test_a_sample_is_drawn_at_random_from_the_teams_closed_cases_only_once(app, staff, closed):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    response = draw(app, manager, size=2)
    assert response.status_code == 302
    first = sample_cases(app)
    assert len(first) == 2 and set(first) <= {"AUD-1", "AUD-2", "AUD-3"}
    page = manager.get(response.headers["Location"])
    assert "2 cases drawn at random from 3." in page.text
    assert [a for a in audits(app, "audit_sample_drawn")] and len(audits(app, "audit_sample_drawn")) == 2

    # Asking for more than are left draws what is left, and says so; then nothing is left.
    response = draw(app, manager, size=10)
    assert response.status_code == 302
    assert sample_cases(app) == ["AUD-1", "AUD-2", "AUD-3"]
    assert (
        "You asked for 10, but only 1 case of your team closed in"
        in manager.get(response.headers["Location"]).text
    )
    again = draw(app, manager, size=1)
    assert again.status_code == 400 and "is left to sample" in again.text
    assert sample_cases(app) == ["AUD-1", "AUD-2", "AUD-3"]  # never the open case nor South's


@pytest.mark.parametrize(
    ("period", "size", "says"),
    [
        ("2026", "2", "one quarter"),
        ("2026-27", "2", "one quarter"),
        ("next week", "2", "is not a period we know"),
        ("2999Q1", "2", "outside the years"),
        (None, "0", "a whole number from 1 to 50"),
        (None, "51", "a whole number from 1 to 50"),
        (None, "lots", "a whole number from 1 to 50"),
    ],
)
def test_bad_samples_are_refused_calmly_and_change_nothing(app, staff, closed, period, size, says):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    response = draw(app, manager, size=size, period=period)
    assert response.status_code == 400 and says in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditSample)) == 0


def test_a_future_quarter_and_a_worker_are_refused(app, staff, closed):  # noqa: F811
    with app.app_context():
        with pytest.raises(RecordsError, match="has not started yet"):
            service.draw_sample(user("manager@north.example"), "2998Q1", 2)
        with pytest.raises(RecordsError, match="Only a manager"):
            service.draw_sample(user("worker@north.example"), this_quarter(), 2)
    worker = signed_in(app, staff, "worker")
    assert worker.get("/staff/audits").status_code == 200  # their own audits and actions
    assert post(worker, "/staff/audits/samples", {"period": this_quarter(), "size": "2"}).status_code == 404


def drawn(app, manager, size=3) -> tuple[int, dict[str, int]]:
    """Draw a sample of every closed case: (sample id, {reference: audit id})."""
    assert draw(app, manager, size=size).status_code == 302
    with app.app_context():
        sample = db.session.scalars(sa.select(AuditSample)).one()
        rows = db.session.execute(
            sa.select(Case.reference, CaseFileAudit.id).join(CaseFileAudit, CaseFileAudit.case_id == Case.id)
        ).all()
        return sample.id, dict(rows)


def assign(manager, audit_id, auditor_id, sample_id):
    return post(
        manager,
        f"/staff/audits/{audit_id}/auditor",
        {"auditor_id": str(auditor_id)},
        f"/staff/audits/samples/{sample_id}",
    )


def test_the_auditor_is_never_the_cases_worker_nor_a_manager_of_its_team(app, staff, closed):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    sample_id, audit_ids = drawn(app, manager)
    audit_id = audit_ids["AUD-1"]
    page = manager.get(f"/staff/audits/samples/{sample_id}").text
    offered = set(re.findall(r'<option value="(\d+)"', page))
    # Offered: the other North worker and South's staff; never the case's worker, North's manager
    # (who drew the sample) or the admin.
    assert {str(staff[k][0]) for k in ("worker2", "south_worker", "south_manager")} <= offered
    assert not offered & {str(staff[k][0]) for k in ("worker", "manager", "admin")}

    for who, why in (
        ("worker", "they are the case&#39;s worker"),
        ("manager", "they are a manager of the case&#39;s team"),
        ("admin", "only an active worker or manager can audit a case"),
    ):
        refused = assign(manager, audit_id, staff[who][0], sample_id)
        assert refused.status_code == 400 and why in refused.text, who
    with app.app_context():
        assert db.session.get(CaseFileAudit, audit_id).auditor_id is None
    assert len([a for a in audits(app, "refused")]) >= 3

    # The worker's manager, where the worker has since moved to South but the case stayed North's.
    with app.app_context():
        moved = user("worker@north.example")
        south = user("manager@south.example")
        moved.team_id = south.team_id
        db.session.commit()
        why = service.why_not_auditor(south, db.session.get(Case, closed["AUD-1"]))
        assert why == "they are the worker's manager"
        moved.team_id = user("manager@north.example").team_id
        db.session.commit()

    assert assign(manager, audit_id, staff["south_manager"][0], sample_id).status_code == 302
    with app.app_context():
        assert db.session.get(CaseFileAudit, audit_id).auditor_id == staff["south_manager"][0]
    assert audits(app, "case_file_audit_assigned")[-1][1] == closed["AUD-1"]


def test_automatic_assignment_spreads_the_audits_and_respects_the_rule(app, staff, closed):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    sample_id, audit_ids = drawn(app, manager)
    response = post(
        manager, f"/staff/audits/samples/{sample_id}/assign", {}, f"/staff/audits/samples/{sample_id}"
    )
    assert response.status_code == 302
    assert "3 audits assigned." in manager.get(response.headers["Location"]).text
    with app.app_context():
        chosen = [db.session.get(CaseFileAudit, i).auditor_id for i in audit_ids.values()]
        assert len(set(chosen)) == 3  # three eligible auditors, one audit each
        forbidden = {staff[k][0] for k in ("worker", "manager", "admin")}
        assert not set(chosen) & forbidden


def test_the_auditor_reads_the_case_file_only_and_audits_it_through_the_dialogue(app, staff, closed):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    sample_id, audit_ids = drawn(app, manager)
    audit_id = audit_ids["AUD-1"]
    assert assign(manager, audit_id, staff["south_worker"][0], sample_id).status_code == 302

    auditor = signed_in(app, staff, "south_worker")
    listed = auditor.get("/staff/audits").text
    assert f"/staff/audits/{audit_id}" in listed and "Case AUD-1" in listed
    file = auditor.get(f"/staff/audits/{audit_id}")
    assert file.status_code == 200
    assert "I want to stay in my flat" in file.text and "Part 2: at closure" in file.text
    assert "Reflect on this enquiry" not in file.text and "Mark done" not in file.text  # read only
    # The audit grants nothing else: not the case page, its exports or another audit.
    assert auditor.get(f"/staff/cases/{closed['AUD-1']}").status_code == 404
    assert auditor.get(f"/staff/cases/{closed['AUD-1']}/export.json").status_code == 404
    assert auditor.get(f"/staff/audits/{audit_ids['AUD-2']}").status_code == 404
    # Nobody else opens this audit: not the case's worker, a colleague, nor the team's manager.
    for who in ("worker", "worker2", "manager"):
        other = signed_in(app, staff, who) if who != "manager" else manager
        assert other.get(f"/staff/audits/{audit_id}").status_code == 404, who
        assert other.get(f"/staff/audits/{audit_id}/dialogue").status_code == 404, who
    assert audits(app, "open_case_file_audit")[0][1] == closed["AUD-1"]

    seen = walk_staff_dialogue(auditor, f"/staff/audits/{audit_id}/dialogue", AUDIT_ANSWERS)
    assert seen[0] == "intro" and "outcomes_recorded" in seen and seen[-1] == "done"
    with app.app_context():
        audit = db.session.get(CaseFileAudit, audit_id)
        assert audit.finished_at is not None
        conversation = db.session.get(Conversation, audit.conversation_id)
        assert (
            conversation.dialogue_id == "case_audit"
            and conversation.staff_user_id == staff["south_worker"][0]
        )
    assert [(a[1], a[2]) for a in audits(app, "case_file_audit_finished")] == [
        (closed["AUD-1"], staff["south_worker"][0])
    ]
    # Started, so it stays with its auditor.
    refused = assign(manager, audit_id, staff["south_manager"][0], sample_id)
    assert refused.status_code == 400 and "stays with the auditor who started it" in refused.text


def test_an_audit_whose_auditor_left_goes_to_someone_else_who_starts_again(app, staff, closed):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    sample_id, audit_ids = drawn(app, manager)
    audit_id = audit_ids["AUD-2"]
    assign(manager, audit_id, staff["south_worker"][0], sample_id)
    auditor = signed_in(app, staff, "south_worker")
    page = auditor.get(f"/staff/audits/{audit_id}/dialogue").text
    post(
        auditor,
        f"/staff/audits/{audit_id}/dialogue",
        {"action": "answer", "step": "intro", "kind": "none", "id": "a-1"},
        f"/staff/audits/{audit_id}/dialogue",
    )
    assert 'data-step="intro"' in page
    with app.app_context():
        started = db.session.get(CaseFileAudit, audit_id).conversation_id
        assert started is not None
        user("worker@south.example").active = False  # they left
        db.session.commit()
    sample = manager.get(f"/staff/audits/samples/{sample_id}").text
    assert "started it but can no longer audit this case" in sample
    assert assign(manager, audit_id, staff["south_manager"][0], sample_id).status_code == 302
    with app.app_context():
        audit = db.session.get(CaseFileAudit, audit_id)
        assert audit.auditor_id == staff["south_manager"][0] and audit.conversation_id is None
    fresh = signed_in(app, staff, "south_manager").get(f"/staff/audits/{audit_id}/dialogue").text
    assert 'data-step="intro"' in fresh
    with app.app_context():
        assert db.session.get(CaseFileAudit, audit_id).conversation_id not in (None, started)


def finished_audit(app, staff, closed):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    sample_id, audit_ids = drawn(app, manager)
    audit_id = audit_ids["AUD-1"]
    assign(manager, audit_id, staff["south_worker"][0], sample_id)
    auditor = signed_in(app, staff, "south_worker")
    auditor.get(f"/staff/audits/{audit_id}")
    walk_staff_dialogue(auditor, f"/staff/audits/{audit_id}/dialogue", AUDIT_ANSWERS)
    return manager, sample_id, audit_ids


def test_findings_are_read_by_the_teams_managers_and_actions_tracked_to_done(app, staff, closed):  # noqa: F811
    manager, sample_id, audit_ids = finished_audit(app, staff, closed)
    audit_id = audit_ids["AUD-1"]
    sample = manager.get(f"/staff/audits/samples/{sample_id}").text
    assert f"/staff/audits/{audit_id}/findings" in sample
    findings = manager.get(f"/staff/audits/{audit_id}/findings")
    assert findings.status_code == 200
    # What the auditor typed is escaped.
    assert "whether each outcome was met &lt;b&gt;before&lt;/b&gt; closing" in findings.text
    assert "<b>before</b>" not in findings.text
    assert audits(app, "view_case_file_audit_results")[0][1] == closed["AUD-1"]
    # Not another team's manager, nor a worker; nor an audit not finished yet.
    assert signed_in(app, staff, "south_manager").get(f"/staff/audits/{audit_id}/findings").status_code == 404
    assert signed_in(app, staff, "worker").get(f"/staff/audits/{audit_id}/findings").status_code == 404
    assert manager.get(f"/staff/audits/{audit_ids['AUD-2']}/findings").status_code == 404

    url = f"/staff/audits/{audit_id}/actions"
    page = f"/staff/audits/{audit_id}/findings"
    empty = post(manager, url, {"text": "  ", "owner_id": str(staff["worker"][0])}, page)
    assert empty.status_code == 400 and "Say what the action is." in empty.text
    outsider = post(manager, url, {"text": "Train", "owner_id": str(staff["south_worker"][0])}, page)
    assert outsider.status_code == 400 and "belongs to someone in the team" in outsider.text
    added = post(
        manager,
        url,
        {"text": "Record outcomes met before closing", "owner_id": str(staff["worker"][0])},
        page,
    )
    assert added.status_code == 302
    with app.app_context():
        action = db.session.scalars(sa.select(AgreedAction)).one()
        assert (action.source, action.case_file_audit_id, action.owner_id) == (
            "case_file_audit",
            audit_id,
            staff["worker"][0],
        )
        action_id = action.id

    # The owner sees it and marks it done; a colleague may not.
    colleague = signed_in(app, staff, "worker2")
    assert post(colleague, f"/staff/audits/actions/{action_id}/done", {}, "/staff/audits").status_code == 404
    worker = signed_in(app, staff, "worker")
    assert "Record outcomes met before closing" in worker.get("/staff/audits").text
    assert post(worker, f"/staff/audits/actions/{action_id}/done", {}, "/staff/audits").status_code == 302
    with app.app_context():
        assert db.session.get(AgreedAction, action_id).done_by_id == staff["worker"][0]
    assert [a[1] for a in audits(app, "audit_action_done")] == [closed["AUD-1"]]


def test_the_results_are_counted_in_the_reports(app, staff, closed):  # noqa: F811
    manager, _, audit_ids = finished_audit(app, staff, closed)
    post(
        manager,
        f"/staff/audits/{audit_ids['AUD-1']}/actions",
        {"text": "Record outcomes met", "owner_id": str(staff["worker"][0])},
        f"/staff/audits/{audit_ids['AUD-1']}/findings",
    )
    with app.app_context():
        north = user("manager@north.example").team
        found = figures.report(periods.parse(this_quarter()), north)
        assert found.breakdown("audits").counts == {"audited": 1, "not_yet": 2}
        assert found.breakdown("audit_outcomes_recorded").counts == {
            "good": 0,
            "adequate": 1,
            "poor": 0,
            "not_answered": 0,
        }
        assert found.breakdown("audit_voice_heard").counts["yes"] == 1
        assert found.breakdown("audit_follow_ups_acted").counts["none_raised"] == 1
        assert found.breakdown("audit_actions").counts == {"done": 0, "open": 1}
        # Shared outside the team: small numbers suppressed like every other figure.
        assert found.breakdown("audits").shared().cells == {"audited": "[c]", "not_yet": "[c]"}
        # South's report holds none of North's audits.
        south = user("manager@south.example").team
        assert figures.report(periods.parse(this_quarter()), south).breakdown("audits").total == 0
    page = manager.get(f"/staff/reports?period={this_quarter()}").text
    assert "Case-file audits: quality of the recorded outcomes" in page
    assert "Record outcomes met" not in page  # counts only: the words stay on the audit's page
