"""The national return pre-filled (Safeguarding Adults Collection, SG4a and SG3a): cases and
conversations built through the real services and the chat socket, then every figure checked, the
worker's confirmation, the CSV in the collection's layout with small numbers suppressed, who may see
it, the audit entries, and periods empty or wrong."""

from __future__ import annotations

import csv
import html
import io
import uuid

import pytest
import sqlalchemy as sa
from conftest import Chat, made_once
from test_staff import audits, post, signed_in, staff  # noqa: F401  (the fixture)

from app import db, socketio
from app.cases.services import create_invitation, find_case, open_case, set_stage
from app.clock import utcnow
from app.conversation import services as conversations
from app.models import Conversation, SacDecision, User
from app.reports import ReportError, periods, sac
from app.staff import basis
from app.staff.services import staff_conversation

WORKER = "worker@north.example"
MANAGER = "manager@north.example"


def this_quarter() -> str:
    return periods.quarter_of(utcnow()).label


def talk(app, code, answers: dict, limit=80):
    """Answer a whole conversation on the chat socket: ``answers`` by step key ("outcome_met.2")
    or by step id; any other step skipped (or confirmed, at "check your answers")."""
    c = Chat(socketio.test_client(app, namespace="/chat", auth={"code": code}), code)
    try:
        for _ in range(limit):
            turn = c.turn
            if turn["finished"]:
                return
            key = turn["step"]
            sid = key.split(".")[0]
            if key in answers:
                value = answers[key]
            elif sid in answers:
                value = answers[sid]
            elif turn["input"]["kind"] == "review":
                value = "confirm"
            else:
                value = None
            ack = c.answer(value)
            assert ack["ok"], (key, ack)
            if value == "not_now" and sid == "consent":
                return  # "Not now": the person leaves
        raise AssertionError("no end")
    finally:
        c.client.disconnect(namespace="/chat")


def part1(app, reference, answers, respondent="self", **kwargs):
    with app.app_context():
        code = create_invitation(reference, 1, respondent=respondent, worker=WORKER, **kwargs).code
    talk(app, code, {"consent": "yes", **answers})


def part2(app, reference, answers):
    with app.app_context():
        code = create_invitation(reference, 2, respondent="self", eligible_agreed_by=MANAGER).code
    talk(app, code, {"consent": "yes", **answers})


def reflect(app, reference, value, email=WORKER):
    """The worker's reflection through the staff dialogue's own service, up to its outcomes step."""
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == email)).one()
        conversation = staff_conversation(user, find_case(reference), "reflection")
        for _ in range(20):
            conversation = conversations.load(conversation.id)
            step = conversation.state
            result = conversations.answer(
                conversation.id, str(uuid.uuid4()), step, value if step == "outcomes" else None
            )
            assert result.ok, (step, result)
            if step == "outcomes":
                return
        raise AssertionError("the reflection never asked about outcomes")


def close(app, reference):
    with app.app_context():
        set_stage(find_case(reference), "closed")


def case_id(app, reference):
    with app.app_context():
        return find_case(reference).id


def the_return(app, who=MANAGER, period=None):
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == who)).one()
        found = sac.sac_return(user, periods.parse(period or this_quarter()))
        refs = lambda breakdown: {k: sorted(c.reference for c in v) for k, v in breakdown.items() if v}  # noqa: E731
        return {
            "asked": refs(found.asked),
            "achieved": refs(found.achieved),
            "capacity": refs(found.capacity),
            "support": refs(found.support),
            "waiting": sorted(c.reference for c in found.waiting),
        }


@pytest.fixture
def cases(request, app, staff):  # noqa: F811
    """A closed case for each SG4a answer the conversations can give, one waiting, one with a
    representative whose capacity the worker recorded, and cases the return must leave out (made
    once per process through the chat socket and the services, then copied: ``made_once``)."""
    return made_once(request, app, lambda: make_cases(app), staff)


def make_cases(app) -> None:
    # Fully: own words and a chosen outcome, both met; the worker agrees.
    part1(app, "FULLY", {"outcome_words": "I want to stay in my flat", "outcome_choices": ["feel_safe"]})
    part2(app, "FULLY", {"outcome_met": "fully"})
    reflect(app, "FULLY", "well")
    # Partially: one met, one not; no reflection (the person's view stands).
    part1(app, "PARTLY", {"outcome_choices": ["feel_safe", "stay_home"]})
    part2(app, "PARTLY", {"outcome_met.1": "fully", "outcome_met.2": "not_at_all"})
    # Not achieved, and one outcome they changed their mind about (it no longer counts).
    part1(app, "NOT", {"outcome_words": "I want him to stop", "outcome_choices": ["apology"]})
    part2(app, "NOT", {"outcome_met.1": "not_at_all", "outcome_met.2": "changed_mind"})
    reflect(app, "NOT", "poorly")
    # Asked, none expressed: skipped, or "None of these" and typed "none".
    part1(app, "NONE-SKIPPED", {})
    part1(app, "NONE-SAID", {"outcome_words": "None.", "outcome_choices": ["nothing"]})
    # Not asked: said "Not now".
    part1(app, "NOT-NOW", {"consent": "not_now"})
    # Nothing records it: no conversation at all.
    with app.app_context():
        worker = db.session.scalars(sa.select(User).where(User.email == WORKER)).one()
        open_case("NO-TALK", worker, "en", "Sam", None)
        db.session.commit()
    # Waiting: the person says fully, the worker says poorly.
    part1(app, "DIFFER", {"outcome_words": "To keep seeing my grandson"})
    part2(app, "DIFFER", {"outcome_met": "fully"})
    reflect(app, "DIFFER", "poorly")
    # A representative (IMCA) answered; the worker recorded that the person lacked capacity and was
    # supported; outcomes expressed, Part 2 not yet done: the person's view is missing, so it waits.
    part1(
        app,
        "IMCA",
        {
            "view": "representative_account",
            "why_representative": "lacks_capacity",
            "outcome_words": "Stay home",
        },
        respondent="imca",
        name="Jo",
    )
    with app.app_context():
        conversation = db.session.scalars(
            sa.select(Conversation).where(Conversation.case_id == find_case("IMCA").id)
        ).one()
        recorder = db.session.get(User, conversation.case.worker_id)
        basis.record_capacity(recorder, conversation, "lacked", "yes")
    for reference in (
        "FULLY",
        "PARTLY",
        "NOT",
        "NONE-SKIPPED",
        "NONE-SAID",
        "NOT-NOW",
        "NO-TALK",
        "DIFFER",
        "IMCA",
    ):
        close(app, reference)
    # Left out: a case still open, and another team's closed case.
    part1(app, "STILL-OPEN", {"outcome_words": "Feel safe"})
    with app.app_context():
        create_invitation("SOUTH-1", 1, respondent="self", worker="worker@south.example")
    close(app, "SOUTH-1")


def test_each_sg4a_and_sg3a_figure_comes_from_the_conversations_and_records(app, cases):
    found = the_return(app)
    assert found["asked"] == {
        "expressed": ["FULLY", "NOT", "PARTLY"],
        "none_expressed": ["NONE-SAID", "NONE-SKIPPED"],
        "no": ["NOT-NOW"],
        "not_recorded": ["NO-TALK"],
    }
    assert found["achieved"] == {"fully": ["FULLY"], "partially": ["PARTLY"], "not": ["NOT"]}
    assert found["waiting"] == ["DIFFER", "IMCA"]
    every = ["DIFFER", "FULLY", "NO-TALK", "NONE-SAID", "NONE-SKIPPED", "NOT", "NOT-NOW", "PARTLY"]
    # Capacity only as the worker recorded it: the people who answered themselves are not recorded.
    assert found["capacity"] == {"lacked": ["IMCA"], "not_recorded": every}
    assert found["support"] == {"yes": ["IMCA"]}


def test_a_differing_view_waits_until_the_worker_confirms_and_then_counts_as_chosen(app, staff, cases):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    differ = case_id(app, "DIFFER")
    page = worker.get(f"/staff/cases/{differ}").text
    assert "Waiting for confirmation." in page and "view of the outcomes differ" in page
    assert "Yes they were asked and outcomes were expressed" in page and "Partially Achieved" in page
    response = post(
        worker,
        f"/staff/cases/{differ}/sac",
        {"asked": "expressed", "achieved": "partially"},
        page=f"/staff/cases/{differ}",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#sac")
    found = the_return(app)
    assert found["waiting"] == ["IMCA"]
    assert found["achieved"]["partially"] == ["DIFFER", "PARTLY"]
    assert "DIFFER" in found["asked"]["expressed"]
    assert ("sac_confirmed", differ, staff["worker"][0]) in audits(app, "sac_confirmed")
    # A confirmation stands over what is derived, even where the conversations could decide.
    manager = signed_in(app, staff, "manager")
    fully = case_id(app, "FULLY")
    post(
        manager,
        f"/staff/cases/{fully}/sac",
        {"asked": "dont_know", "achieved": "fully"},
        page=f"/staff/cases/{fully}",
    )
    found = the_return(app)
    assert found["asked"]["dont_know"] == ["FULLY"] and "FULLY" not in found["achieved"].get("fully", [])
    with app.app_context():
        decision = db.session.scalars(sa.select(SacDecision).where(SacDecision.case_id == fully)).one()
        assert (decision.asked, decision.achieved) == ("dont_know", None)  # achieved only where expressed


def test_a_confirmation_that_leaves_achievement_out_is_refused_and_changes_nothing(app, staff, cases):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    differ = case_id(app, "DIFFER")
    post(worker, f"/staff/cases/{differ}/sac", {"asked": "expressed"}, page=f"/staff/cases/{differ}")
    assert (
        "Choose whether the outcomes the person expressed were achieved"
        in worker.get(f"/staff/cases/{differ}").text
    )
    post(worker, f"/staff/cases/{differ}/sac", {"asked": "maybe"}, page=f"/staff/cases/{differ}")
    assert the_return(app)["waiting"] == ["DIFFER", "IMCA"]
    # Another team's worker: the case is not found for them.
    other = signed_in(app, staff, "south_worker")
    response = post(other, f"/staff/cases/{differ}/sac", {"asked": "no"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(sa.select(SacDecision)).all() == []


def test_the_managers_page_shows_exact_figures_each_linking_to_its_cases(app, staff, cases):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    response = manager.get(f"/staff/reports/sac?period={this_quarter()}")
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "Internal: exact figures" in page
    for words in (*sac.ASKED_LABELS.values(), *sac.ACHIEVED_LABELS.values()):
        assert words in page
    assert 'href="#cases-asked-expressed" data-cell="asked-expressed">3</a>' in page
    assert 'href="#cases-capacity-lacked" data-cell="capacity-lacked">1</a>' in page
    assert 'data-cell="asked-dont_know">0</span>' in page
    assert f'href="/staff/cases/{case_id(app, "FULLY")}#sac">FULLY</a>' in page
    assert "view of the outcomes differ" in page  # the waiting list, with why
    assert "SOUTH-1" not in page and "STILL-OPEN" not in page
    assert "nobody records capacity" in page
    assert ("view_sac",) in [a[:1] for a in audits(app, "view_sac")]


def test_the_csv_is_in_the_collections_layout_with_small_numbers_suppressed(app, staff, cases):  # noqa: F811
    # Five more cases no conversation records: "Not Recorded" reaches 6, shared as 5.
    with app.app_context():
        worker = db.session.scalars(sa.select(User).where(User.email == WORKER)).one()
        for n in range(5):
            set_stage(open_case(f"QUIET-{n}", worker, "en", "Sam", None), "closed")
    manager = signed_in(app, staff, "manager")
    response = manager.get(f"/staff/reports/sac.csv?period={this_quarter()}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    header, row = rows[0], rows[1]
    assert header[:9] == [
        "Period",
        "SG4a Yes they were asked and outcomes were expressed",
        "SG4a Yes they were asked but no outcomes were expressed",
        "SG4a No",
        "SG4a Don't Know",
        "SG4a Not Recorded",
        "SG4a Fully Achieved",
        "SG4a Partially Achieved",
        "SG4a Not Achieved",
    ]
    assert header[9:] == [f"SG3a {w}" for w in sac.CAPACITY_LABELS.values()] + [
        f"SG3a Lacked capacity: {w}" for w in sac.SUPPORT_LABELS.values()
    ]
    shared = dict(zip(header, row, strict=True))
    assert shared["Period"] == this_quarter()
    assert shared["SG4a Not Recorded"] == "5"  # 6, rounded to the nearest 5
    assert shared["SG4a Yes they were asked and outcomes were expressed"] == "[c]"  # 3
    assert shared["SG4a Don't Know"] == "[c]"  # 0
    assert shared["SG3a Not Recorded"] == "15"  # 13
    assert shared["SG3a Yes they lacked capacity"] == "[c]"
    notes = [r for r in rows[2:] if r]
    assert notes[0] == ["Note", "Counts under 5 are shown as [c]" + notes[0][1].split("[c]", 1)[1]]
    assert any("waiting for a worker's confirmation" in r[1] and r[1].endswith("[c].") for r in notes)
    assert audits(app, "export_sac") == [("export_sac", None, staff["manager"][0])]


@pytest.mark.parametrize("who", ["worker", "admin"])
def test_workers_and_admins_are_refused_the_return(app, staff, who):  # noqa: F811
    client = signed_in(app, staff, who)
    assert client.get("/staff/reports/sac?period=2026Q4").status_code == 404
    assert client.get("/staff/reports/sac.csv?period=2026Q4").status_code == 404
    assert [a[0] for a in audits(app, "refused")] == ["refused", "refused"]
    assert audits(app, "view_sac") == [] and audits(app, "export_sac") == []


def test_another_teams_manager_sees_none_of_this_teams_cases(app, staff, cases):  # noqa: F811
    found = the_return(app, who="manager@south.example")
    assert found["capacity"] == {"not_recorded": ["SOUTH-1"]}
    page = signed_in(app, staff, "south_manager").get(f"/staff/reports/sac?period={this_quarter()}").text
    assert "FULLY" not in page and "SOUTH-1" in page


def test_a_period_with_no_closed_cases_is_an_explained_empty_page(app, staff, cases):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    response = manager.get("/staff/reports/sac?period=2025Q3")
    assert response.status_code == 200
    assert "No cases closed in 2025 Q3 (01 Jul 2025 to 30 Sep 2025)" in response.text
    shared = list(csv.reader(io.StringIO(manager.get("/staff/reports/sac.csv?period=2025Q3").text)))
    assert shared[1][0] == "2025 Q3" and set(shared[1][1:]) == {"[c]"}


@pytest.mark.parametrize("text", ["2026Q5", "last quarter", "2026-28", "1999"])
def test_a_bad_period_is_a_clear_error(app, staff, text):  # noqa: F811
    manager = signed_in(app, staff, "manager")
    response = manager.get("/staff/reports/sac", query_string={"period": text})
    assert response.status_code == 400
    assert "There is a problem with the period" in response.text
    csv_response = manager.get("/staff/reports/sac.csv", query_string={"period": text})
    with pytest.raises(ReportError) as refused:
        periods.parse(text)
    assert (csv_response.status_code, csv_response.text.strip()) == (400, str(refused.value))
    assert str(refused.value) in response.text.replace("&#39;", "'")


def test_periods_parse_quarters_years_and_financial_years():
    from datetime import UTC, datetime

    q4 = periods.parse("2026q4")
    assert (q4.label, q4.start, q4.end) == (
        "2026 Q4",
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert periods.parse(q4.label) == q4
    q1 = periods.parse("2026Q1")
    assert (q1.start.month, q1.end.month) == (1, 4)
    year = periods.parse(" 2026 ")
    assert (year.label, year.start.month, year.end.year) == ("2026", 1, 2027)
    fy = periods.parse("2026-27")
    assert (fy.label, fy.start, fy.end) == (
        "2026-27",
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2027, 4, 1, tzinfo=UTC),
    )
    assert datetime(2027, 3, 31, 23, 59, tzinfo=UTC) in fy and datetime(2027, 4, 1, tzinfo=UTC) not in fy
    assert fy.last_day.isoformat() == "2027-03-31"
    assert periods.parse("2099-00").label == "2099-00"
    for bad, says in (
        ("2026-28", "next year's last two digits"),
        ("", "Give a period"),
        ("Q4", "not a period"),
    ):
        with pytest.raises(ReportError, match=says):
            periods.parse(bad)
