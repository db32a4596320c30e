"""Erasure on request: a manager erases a case's conversations with a reason (audited); afterwards the
worker's case page and downloads show nothing of them, the person's old code opens nothing (the same
page as any unknown code), and only anonymous counts remain. A reason is required, a worker (or
another team's manager) cannot, and a case under a legal hold is refused with the hold's reason,
changing nothing."""

from __future__ import annotations

import json
import re

import test_staff
from test_retention import all_audit_text, counts, raw, rows_left
from test_staff import agree, answer_all, invite_code, new_case, post, signed_in, walk_staff_dialogue

from app import db
from app.conversation import codes
from app.models import Case, User
from app.records import RecordsError, erasure

# The fixture: two teams, a worker and a manager in each, and an admin.
staff = test_staff.staff

SAID = "My nephew Callum keeps taking my bank card"
NOT_TOLD = "Callum and his mother"
ASKED = "Will Callum find out I said this?"
REFLECTED = "She seemed frightened of her nephew"
REASON = "The person asked for what they said to be erased (call of 3 March)"


def person_case(app, staff, reference="ER-1", whole=True):
    """A case with the person's Part 1 and (``whole``) Part 2, an urgent signal among its answers,
    and the worker's reflection; returns the worker's client, the case id and both codes."""
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, reference)
    first = invite_code(app, worker, case_id, 1)
    answer_all(
        app,
        first,
        {"who": "self", "outcome_words": SAID, "outcome_choices": ["apology"], "people_not_told": NOT_TOLD},
    )
    if not whole:
        return worker, case_id, first, None
    post(worker, f"/staff/cases/{case_id}/eligibility", {"decision": "yes"}, f"/staff/cases/{case_id}")
    agree(app, staff, case_id)
    second = invite_code(app, worker, case_id, 2)
    answer_all(app, second, {"who": "self", "safer": "no", "has_questions": "yes", "questions": ASKED})
    walk_staff_dialogue(
        worker,
        f"/staff/cases/{case_id}/reflection",
        {"protective": "at_times", "avoided": "yes", "avoided_why": REFLECTED, "process": "no"},
    )
    return worker, case_id, first, second


def erase(client, case_id, reason=REASON):
    return post(client, f"/staff/cases/{case_id}/erase", {"reason": reason}, f"/staff/cases/{case_id}/erase")


def answers_of(app, case_id) -> int:
    return rows_left(app, case_id)["answer"]


def test_a_manager_erases_the_conversations_and_nobody_sees_anything_of_them_again(app, staff):
    worker, case_id, first, second = person_case(app, staff)
    before = rows_left(app, case_id)
    assert before["conversation"] == 3 and before["follow_up"] >= 2 and before["answer"] > 10

    manager = signed_in(app, staff, "manager")
    page = manager.get(f"/staff/cases/{case_id}/erase")
    assert page.status_code == 200
    assert "This cannot be undone." in page.text
    going = page.text.split('data-role="going"')[1].split("</ul>")[0]
    assert "3 conversations" in going and f"{before['answer']} answers" in going
    assert f"{before['invitation']} invitations" in going
    assert SAID not in page.text  # the confirmation names what goes, never what was said

    done = erase(manager, case_id)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/staff/cases/{case_id}#records")

    # Gone from the database: no conversation, answer, follow-up, email record or invitation is left
    # for the case; the case itself and its eligibility decision stay (the enquiry goes on).
    left = rows_left(app, case_id)
    assert {t: left[t] for t in ("conversation", "answer", "invitation", "follow_up", "notification")} == {
        "conversation": 0,
        "answer": 0,
        "invitation": 0,
        "follow_up": 0,
        "notification": 0,
    }
    assert left["case"] == 1 and left["eligibility"] == before["eligibility"] == 1
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.erasure_reason == REASON and case.erased_at is not None
        assert case.erased_by_id == staff["manager"][0] and case.preferred_name == "Sam"

    # The manager reads when, who and why; the worker sees no trace of the conversations.
    shown = manager.get(f"/staff/cases/{case_id}").text
    erased = re.search(r'data-role="erased">(.*?)</p>', shown, re.S)[1]
    assert erased.startswith("Conversations erased on ") and staff["manager"][1] in erased
    assert "The person asked for what they said to be erased (call of 3 March)" in erased
    mine = worker.get(f"/staff/cases/{case_id}").text
    for gone in (SAID, NOT_TOLD, ASKED, REFLECTED, "Feels less safe"):
        assert gone not in mine and gone not in shown
    assert "Conversations erased" not in mine and REASON not in mine
    assert mine.count("Not started.") == 2 and 'id="invitations"' not in mine
    exported = json.loads(worker.get(f"/staff/cases/{case_id}/export.json").data)
    assert exported == {"case": "ER-1", "conversations": []}

    # The person's old codes open exactly what any unknown code opens (but for the form's token).
    def page(response):
        return response.status_code, re.sub(r'name="csrf_token" value="[^"]+"', "", response.text)

    unknown = page(app.test_client().get(f"/s/{codes.new_code()}"))
    assert unknown[0] == 404
    for code in (first, second):
        assert page(app.test_client().get(f"/s/{code}")) == unknown

    # What stays for the reports: counts with no way back to the person (an open case: no quarter).
    kept = counts(app)
    assert kept[("cases", "erased_on_request")] == 1
    assert kept[("answer:part2:safer", "no")] == kept[("answer:part1:outcome_choices", "apology")] == 1
    assert kept[("answer:reflection:protective", "at_times")] == 1
    assert kept[("follow_up", "less_safe")] == 1
    assert kept[("conversations:part1", "finished")] == kept[("conversations:reflection", "finished")] == 1
    assert {p for (p,) in raw(app, "SELECT DISTINCT period FROM retained_count")} == {"unknown"}

    # The audit log: that it was done, by whom, how much; never why, nor a word of what was said.
    entries = raw(app, "SELECT user_id, detail, via FROM audit_event WHERE action = 'erased_on_request'")
    assert entries == [
        (
            staff["manager"][0],
            f"3 conversations, {before['answer']} answers, {before['follow_up']} follow-ups, "
            f"{before['invitation']} invitations, {before['notification']} email records",
            "web",
        )
    ]
    assert ("view_erase",) in raw(app, "SELECT action FROM audit_event WHERE case_id = ?", case_id)
    words = all_audit_text(app)
    for said in (SAID, NOT_TOLD, ASKED, REFLECTED, REASON, "call of 3 March"):
        assert said not in words

    # The enquiry goes on: a new invitation can be made for the case.
    assert invite_code(app, worker, case_id, 1)


def test_a_reason_is_required_and_without_one_nothing_is_erased(app, staff):
    _worker, case_id, _first, _second = person_case(app, staff, whole=False)
    before = rows_left(app, case_id)
    manager = signed_in(app, staff, "manager")
    refused = erase(manager, case_id, reason="   ")
    assert refused.status_code == 400
    assert "Give a reason." in refused.text and "Nothing was erased" in refused.text
    assert rows_left(app, case_id) == before
    assert raw(app, "SELECT count(*) FROM audit_event WHERE action = 'erased_on_request'") == [(0,)]
    assert counts(app) == {}


def test_a_worker_or_another_teams_manager_cannot_erase(app, staff):
    worker, case_id, _first, _second = person_case(app, staff, whole=False)
    before = rows_left(app, case_id)
    assert worker.get(f"/staff/cases/{case_id}/erase").status_code == 404
    assert erase(worker, case_id).status_code == 404
    assert 'data-role="erase-link"' not in worker.get(f"/staff/cases/{case_id}").text
    south = signed_in(app, staff, "south_manager")
    assert south.get(f"/staff/cases/{case_id}/erase").status_code == 404
    assert erase(south, case_id).status_code == 404
    assert rows_left(app, case_id) == before
    refused = raw(app, "SELECT user_id, case_id, detail FROM audit_event WHERE action = 'refused'")
    assert (staff["worker"][0], None, "staff.erase") in refused
    assert (staff["south_manager"][0], case_id, "erase") in refused
    # The service refuses anyone but a manager too, whichever way it is reached.
    with app.app_context():
        someone = db.session.get(User, staff["worker"][0])
        try:
            erasure.erase_on_request(someone, db.session.get(Case, case_id), REASON)
        except RecordsError as exc:
            assert "Only a manager" in str(exc)
        else:
            raise AssertionError("a worker erased a case")
    assert rows_left(app, case_id) == before


def test_an_erasure_under_a_legal_hold_is_refused_with_the_reason_and_changes_nothing(app, staff):
    _worker, case_id, _first, _second = person_case(app, staff, whole=False)
    manager = signed_in(app, staff, "manager")
    held = post(
        manager,
        f"/staff/cases/{case_id}/legal-hold",
        {"reason": "Civil claim: Doe v County Council"},
        f"/staff/cases/{case_id}",
    )
    assert held.status_code == 302
    before = rows_left(app, case_id)

    page = manager.get(f"/staff/cases/{case_id}/erase")
    warning = page.text.split('data-role="held"')[1].split("</div>")[0]
    assert "under a legal hold" in warning and "Civil claim: Doe v County Council" in warning
    assert staff["manager"][1] in warning and 'name="reason"' not in page.text
    assert 'data-role="erase-held"' in manager.get(f"/staff/cases/{case_id}").text

    refused = erase(manager, case_id)
    assert refused.status_code == 400
    message = re.search(r'class="app-error-summary__body">(.*?)</p>', refused.text, re.S)[1]
    assert "under a legal hold" in message and "Civil claim: Doe v County Council" in message
    assert "nothing was erased" in message
    assert rows_left(app, case_id) == before
    with app.app_context():
        assert db.session.get(Case, case_id).erased_at is None
    assert raw(app, "SELECT count(*) FROM audit_event WHERE action = 'erased_on_request'") == [(0,)]
    assert counts(app) == {}


def test_a_browser_open_on_the_conversation_when_it_is_erased_holds_nothing_after(app, staff):
    """The person's page, open at the moment of erasure, is from then on what a browser that never
    had a code gets: the start page."""
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "ER-OPEN")
    code = invite_code(app, worker, case_id, 1)
    person = app.test_client()
    assert person.get(f"/s/{code}").status_code == 302
    assert person.get("/chat").status_code == 200
    assert erase(signed_in(app, staff, "manager"), case_id).status_code == 302
    after, stranger = person.get("/chat"), app.test_client().get("/chat")
    assert (after.status_code, after.headers.get("Location")) == (302, stranger.headers.get("Location"))
    assert rows_left(app, case_id)["conversation"] == 0
