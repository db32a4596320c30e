"""The managers' reports: every figure from cases and conversations made through the real services,
anonymous counts kept after an erasure added in, small numbers suppressed in the CSV, the print view
and the command, an empty period explained, an unknown team or period refused, access and audit."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
import sqlalchemy as sa
from conftest import made_once
from test_staff import signed_in, staff  # noqa: F401  (the fixture)

from app import db, followups
from app.cases.eligibility import record_eligibility
from app.cases.services import find_case, set_stage
from app.clock import utcnow
from app.conversation.services import answer, dialogue_for
from app.dialogue import split_key
from app.models import AuditEvent, Conversation, FollowUp, RetainedCount, User
from app.records import erasure
from app.reports import ReportError, figures, periods, suppression
from app.reports.figures import Timing
from app.staff.services import staff_conversation

WORKER, MANAGER = "worker@north.example", "manager@north.example"
DIFFERENTLY = "Ask about outcomes in the first visit"
BETTER = "The advocate should have been asked in sooner"
TRAINING = "Mental Capacity Act refresher for the duty team"


def user(email) -> User:
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def walk_service(conversation_id: int, answers: dict) -> None:
    """A staff dialogue to its end through the conversation service, as the question pages do."""
    for _ in range(40):
        conversation = db.session.get(Conversation, conversation_id)
        if conversation.finished_at is not None:
            return
        key = conversation.state
        sid, _ = split_key(key)
        step = dialogue_for(conversation).spec.steps[sid]
        value = answers.get(sid, "confirm" if step.kind == "review" else None)
        assert answer(conversation_id, str(uuid.uuid4()), key, value).ok, key
    raise AssertionError("never finished")


@pytest.fixture
def quarter():
    return periods.quarter_of(utcnow())


@pytest.fixture
def made(request, app, staff, invite, chat):  # noqa: F811
    """North's quarter: R-1 answered Part 1 and Part 2 (with help) and felt less safe; R-2 said not
    now, in Polish; R-3 never opened; R-4 is not to be approached; R-5's Part 2 was erased on
    request after it closed; a worker's reflection and a manager's review of R-1 (made once per
    process through the chat socket and the services, then copied: ``made_once``)."""
    return made_once(request, app, lambda: make_quarter(app, invite, chat), staff)


def make_quarter(app, invite, chat) -> None:
    chat(part=1, reference="R-1", worker=WORKER, respondent="self").walk(
        {"outcome_words": "To feel safe at home"}
    )
    chat(part=2, reference="R-1", eligible_agreed_by=MANAGER, respondent="self_helped").walk(
        {"listened": "yes", "informed": "partly", "safer": "no", "happy": "yes", "outcome_met": "fully"}
    )
    declined = chat(part=1, reference="R-2", worker=WORKER, language="pl")
    assert declined.answer(None)["ok"] and declined.answer("not_now")["ok"]
    invite(part=1, reference="R-3", worker=WORKER)
    invite(part=1, reference="R-4", worker=WORKER)
    chat(part=2, reference="R-5", worker=WORKER, eligible_agreed_by=MANAGER, respondent="self").walk(
        {"listened": "yes", "informed": "yes", "safer": "yes", "happy": "partly"}
    )
    with app.app_context():
        manager, worker = user(MANAGER), user(WORKER)
        record_eligibility(manager, find_case("R-4"), "not_approached", reason="danger")
        urgent = db.session.scalars(sa.select(FollowUp).where(FollowUp.kind == "less_safe")).one()
        assert followups.acknowledge(worker, urgent)
        followups.mark_done(worker, urgent, "Rang her back")
        one = find_case("R-1")
        walk_service(staff_conversation(worker, one, "reflection").id, {"differently": DIFFERENTLY})
        walk_service(
            staff_conversation(manager, one, "review").id,
            {"better": BETTER, "training": "yes", "training_what": TRAINING},
        )
        five = find_case("R-5")
        set_stage(five, "closed")
        erasure.erase_on_request(manager, five, "The person asked")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RetainedCount))


def north(app, quarter):
    with app.app_context():
        return figures.report(quarter, figures.team_named("North"))


def test_every_figure_from_the_real_services(app, made, quarter):
    found = north(app, quarter)
    counts = {b.key: b.counts for b in found.breakdowns}
    assert counts["invitations_part1"] == {"accepted": 1, "declined": 1, "not_answered": 2}
    assert found.breakdown("invitations_part1").total == 4
    # R-5's Part 2 was erased: its conversation is still counted, from the counts kept.
    assert counts["invitations_part2"] == {"accepted": 2, "declined": 0, "not_answered": 0}
    assert found.breakdown("invitations_part2").retained == 1
    assert counts["completed_part1"] == {"completed": 1, "not_completed": 0}
    assert counts["completed_part2"] == {"completed": 2, "not_completed": 0}
    assert counts["not_eligible"] == {"danger": 1, "further_risk": 0, "not_ethical": 0, "other": 0}
    assert counts["experience_listened"] == {"yes": 2, "partly": 0, "no": 0, "not_sure": 0}
    assert counts["experience_informed"] == {"yes": 1, "partly": 1, "no": 0, "not_sure": 0}
    assert counts["experience_safer"] == {"yes": 1, "partly": 0, "no": 1, "not_sure": 0}
    assert found.breakdown("experience_safer").percentages == {
        "yes": 50,
        "partly": 0,
        "no": 50,
        "not_sure": 0,
    }
    assert counts["experience_happy"] == {"yes": 1, "partly": 1, "no": 0, "not_sure": 0}
    assert counts["outcomes_met"]["fully"] == 1 and found.breakdown("outcomes_met").total == 1
    assert counts["who"] == {"self": 2, "self_helped": 1, "representative": 0}
    assert counts["languages"]["en"] == 5 and counts["languages"]["pl"] == 1
    assert counts["follow_ups"]["less_safe"] == 1
    acknowledged, done = found.timings
    assert acknowledged.count == 1 and done.count == 1 and acknowledged.median is not None
    assert found.themes == {
        "What could have been done better": [DIFFERENTLY, BETTER],
        "Training needs": [TRAINING],
        "Learning actions agreed in supervision": [],
    }
    assert found.retained > 0 and "erased" in found.retained_note
    assert not found.empty


def test_another_team_sees_none_of_it(app, made, quarter):
    with app.app_context():
        south = figures.report(quarter, figures.team_named("South"))
    assert south.empty and "Nothing happened in" in south.explanation
    assert south.themes == {
        "What could have been done better": [],
        "Training needs": [],
        "Learning actions agreed in supervision": [],
    }


def test_timings_median_and_90th_percentile():
    timing = Timing("done", "Done", [1.0, 2.0, 3.0, 4.0, 10.0])
    assert timing.median == 3.0 and timing.p90 == 7.6
    assert timing.shared() == {"count": 5, "median_hours": 3.0, "p90_hours": 7.6}
    few = Timing("done", "Done", [1.0, 2.0])
    assert few.shared() == {"count": "[c]", "median_hours": "[c]", "p90_hours": "[c]"}


def test_the_shared_csv_is_suppressed_per_breakdown_with_its_note(app, staff, made, quarter):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    response = manager.get(f"/staff/reports/report.csv?period={quarter.label}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ["Note", suppression.NOTE] in rows
    found = north(app, quarter)
    for breakdown in found.breakdowns:
        row = breakdown.shared()
        shown = [r for r in rows if r and r[0] == breakdown.title]
        assert [r[2] for r in shown] == [str(v) for v in [*row.cells.values(), row.total]]
    # Nothing exact is shared (English's 5 conversations stay 5), and no free text at all.
    header = rows.index(["Breakdown", "Category", "Count", "Percentage"])
    counted = [r[2] for r in rows[header + 1 : rows.index([], header)]]
    assert counted and all(c == "[c]" or int(c) % 5 == 0 for c in counted)
    assert "[c]" in counted and "5" in counted
    assert DIFFERENTLY not in response.text and BETTER not in response.text and TRAINING not in response.text
    with app.app_context():
        detail = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "export_report")
        ).all()
    assert detail == [f"{quarter.label}; team North; csv"]


def test_a_total_that_would_give_a_hidden_count_away_is_hidden():
    breakdown = figures.Breakdown("x", "X", {"a": "A", "b": "B"}, {"a": 12, "b": 3})
    assert breakdown.shared().cells == {"a": 10, "b": "[c]"}
    assert breakdown.shared().total == "[c]"  # 15 - 10 would say b is about 5
    rows = figures.csv_rows(figures.Report(periods.parse("2026Q4"), "North", [breakdown]))
    assert ["X", "Total (total)", "[c]", ""] in rows


def test_the_page_is_exact_and_internal_the_print_view_shared(app, staff, made, quarter):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    page = manager.get(f"/staff/reports?period={quarter.label}")
    assert page.status_code == 200
    html = page.text
    assert figures.INTERNAL in html
    assert html.count('role="img"') == len(north(app, quarter).breakdowns)
    assert html.count("<title id=") == html.count("<desc id=") == html.count('data-role="chart-table"')
    assert "<pattern" in html and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    assert DIFFERENTLY in html and TRAINING in html
    # The Part 1 invitations' exact figures, beside the chart.
    part1 = html.split('data-breakdown="invitations_part1"')[1].split("</section>")[0]
    assert '<td data-cell="total">4</td>' in part1

    printed = manager.get(f"/staff/reports/print?period={quarter.label}").text
    assert suppression.NOTE in printed and figures.INTERNAL not in printed
    part1 = printed.split('data-breakdown="invitations_part1"')[1].split("</section>")[0]
    assert '<td data-cell="total">[c]</td>' in part1 and '<td data-cell="accepted">[c]</td>' in part1
    assert DIFFERENTLY not in printed and BETTER not in printed and TRAINING not in printed
    with app.app_context():
        entries = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.action.in_(("view_report", "export_report"))
            )
        ).all()
    assert entries == [
        ("view_report", f"{quarter.label}; team North"),
        ("export_report", f"{quarter.label}; team North; print"),
    ]


def test_an_empty_period_is_explained_and_a_bad_one_refused(app, staff):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    empty = manager.get("/staff/reports?period=2020Q1")
    assert empty.status_code == 200 and "Nothing happened in 2020 Q1 for team North" in empty.text
    bad = manager.get("/staff/reports?period=2020Q9")
    assert bad.status_code == 400 and "is not a period we know" in bad.text
    assert manager.get("/staff/reports/report.csv?period=soon").status_code == 400


def test_workers_and_admins_are_not_shown_reports(app, staff):  # noqa: F811
    for who in ("worker", "admin"):
        client = signed_in(app, staff, who)
        for url in ("/staff/reports", "/staff/reports/report.csv", "/staff/reports/print"):
            assert client.get(url).status_code == 404
    with app.app_context():
        refused = db.session.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "refused")).all()
    assert refused.count("staff.reports") == 2


def test_the_command_prints_the_shared_figures_and_is_audited(app, runner, made, quarter):
    period = quarter.label.replace(" ", "")
    result = runner.invoke(args=["report", "--period", period, "--team", "North", "--format", "json"])
    assert result.exit_code == 0, result.output
    shared = json.loads(result.output)
    assert shared["team"] == "North" and shared["note"] == suppression.NOTE
    part1 = next(b for b in shared["breakdowns"] if b["key"] == "invitations_part1")
    assert part1["total"] == "[c]" and part1["cells"]["accepted"]["count"] == "[c]"
    assert DIFFERENTLY not in result.output and TRAINING not in result.output

    as_csv = runner.invoke(args=["report", "--period", period, "--format", "csv"])
    assert as_csv.exit_code == 0 and ["Team", "All teams"] in list(csv.reader(io.StringIO(as_csv.output)))

    empty = runner.invoke(args=["report", "--period", "2020Q1", "--format", "json"])
    assert empty.exit_code == 0
    said = json.loads(empty.output)
    assert (
        said["empty"] is True
        and said["breakdowns"] == []
        and "Nothing happened in 2020 Q1" in said["explanation"]
    )

    unknown = runner.invoke(args=["report", "--period", period, "--team", "Nowhere"])
    assert unknown.exit_code == 2 and "There is no team called 'Nowhere'" in unknown.output
    assert "North" in unknown.output
    wrong = runner.invoke(args=["report", "--period", "next week"])
    assert wrong.exit_code == 2 and "is not a period we know" in wrong.output
    with app.app_context():
        exports = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "export_report", AuditEvent.via == "cli")
        ).all()
        runs = db.session.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "cli:report")).all()
    assert exports == [
        f"{quarter.label}; team North; json",
        f"{quarter.label}; team all; csv",
        "2020 Q1; team all; json",
    ]
    assert len(runs) == 5


def test_a_manager_without_a_team_is_told_so(app):
    with app.app_context():
        lonely = User(email="m@x.example", password_hash="!", role="manager")
        with pytest.raises(ReportError, match="managers of a team"):
            figures.for_manager(lonely, periods.parse("2026Q4"))


def test_a_reflection_counts_for_its_workers_team_a_review_for_the_cases(app, made, quarter):
    with app.app_context():
        user(WORKER).team_id = figures.team_named("South").id  # the worker moved team
        db.session.commit()
        north_themes = figures.report(quarter, figures.team_named("North")).themes
        south_themes = figures.report(quarter, figures.team_named("South")).themes
    assert north_themes["What could have been done better"] == [BETTER]
    assert south_themes["What could have been done better"] == [DIFFERENTLY]
