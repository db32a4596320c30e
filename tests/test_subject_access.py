"""Subject access: a worker prepares a copy of everything the person said (both parts, every answer
and superseded answer, with dates and who gave each), redacts on the review screen the names the
person asked not to be told and answers about someone else, releases it, and downloads it (PDF and
JSON), always redacted; every step audited without the words."""

from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from test_staff import agree, answer_all, invite_code, new_case, post, signed_in, staff  # noqa: F401

from app import db
from app.models import Answer, AuditEvent, Conversation, SubjectAccessRequest, utcnow
from app.records.subject_access import redact_text

NOT_TOLD = "Please don't tell my brother Darren"
NEIGHBOUR = "My neighbour Mrs Okafor helps me with shopping"
FIRST_OUTCOME = "Stay in my home"
CHANGED_OUTCOME = "Stay in my own home, safely"


def part1_with_a_change(chat, code):
    """Part 1 answered by the person, naming Darren as not to be told and again elsewhere; at
    "check your answers" they change what they want to happen, then send."""
    c = chat(code)
    c.begin(opening=True)
    answers = {
        "who": "self",
        "matters": "Being able to stay at home",
        "outcome_words": FIRST_OUTCOME,
        "people_involved": NEIGHBOUR,
        "people_not_told": NOT_TOLD,
        "inform_unsafe": "Not when Darren is visiting",
    }
    for _ in range(60):
        turn = c.turn
        if turn["step"] == "check":
            break
        assert c.answer(answers.get(turn["step"]))["ok"], turn["step"]
    else:
        raise AssertionError("never reached check your answers")
    assert c.emit("change", {"step": "outcome_words"})["ok"]
    assert c.turn["step"] == "outcome_words"
    assert c.answer(CHANGED_OUTCOME)["ok"]
    assert c.turn["step"] == "check"
    assert c.answer("confirm")["ok"]
    assert c.turn["finished"]


def both_parts(app, staff, chat):  # noqa: F811
    """A case whose person answered Part 1 (in English, one answer changed) and Part 2 (in Polish)."""
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "SAR-1")
    part1_with_a_change(chat, invite_code(app, worker, case_id, 1, language="en"))
    post(worker, f"/staff/cases/{case_id}/eligibility", {"decision": "yes"}, f"/staff/cases/{case_id}")
    agree(app, staff, case_id)
    answer_all(
        app,
        invite_code(app, worker, case_id, 2, language="pl"),
        {"who": "self", "safer": "partly", "has_questions": "yes", "questions": "Can Darren be kept away?"},
    )
    return worker, case_id


def prepare(client, case_id):
    response = post(client, f"/staff/cases/{case_id}/subject-access", page=f"/staff/cases/{case_id}")
    assert response.status_code == 302, response.text[:300]
    return response.headers["Location"]


def answer_id(app, step, value):
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.step == step)).all()
        return next(a.id for a in rows if a.value == value)


def events(app, case_id):
    with app.app_context():
        return db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.detail, AuditEvent.user_id).where(
                AuditEvent.case_id == case_id
            )
        ).all()


def pdf_text(data: bytes) -> str:
    """The words of a PDF, one space between each (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_released_copy_has_every_answer_and_nothing_redacted(app, staff, chat):  # noqa: F811
    worker, case_id = both_parts(app, staff, chat)
    case_page = worker.get(f"/staff/cases/{case_id}").text
    assert "A copy for the person (subject access)" in case_page
    review_url = prepare(worker, case_id)
    assert re.fullmatch(rf"/staff/cases/{case_id}/subject-access/\d+", review_url)

    review = worker.get(review_url).text
    # The name from "people not told" is proposed; "Please", opening the sentence, is not.
    assert re.search(r'data-role="sar-words">Darren</textarea>', review)
    # Every answer, the superseded one too, with when and who; the unredacted words shown to staff,
    # with what will be redacted highlighted.
    for words in (
        FIRST_OUTCOME,
        CHANGED_OUTCOME,
        NEIGHBOUR.replace("'", "&#39;"),
        "Being able to stay at home",
    ):
        assert words in review, words
    assert review.count('data-role="will-redact">Darren</mark>') == 3  # in three answers
    assert "Changed later" in review and "The person · The person&#39;s own view · English" in review
    today = utcnow()
    assert f"given {today.day} {today.strftime('%b %Y')}" in review
    # Part 2 in Polish, its English beside.
    assert "Czy czują się Państwo teraz bezpieczniej?" in review
    assert "In English: Do you feel safer now?" in review
    # The outcome read back in Part 2 is the changed one, as its "about".
    assert f"About: <bdi>{CHANGED_OUTCOME}</bdi>" in review
    # The staff's case page panel lists the request, not yet released, with no download.
    panel = worker.get(f"/staff/cases/{case_id}").text.split('data-role="subject-access"')[1]
    assert (
        "Review and release" in panel
        and "Not yet" in panel
        and "copy.pdf" not in panel.split("</section>")[0]
    )

    withheld = answer_id(app, "people_involved", NEIGHBOUR)
    saved = post(
        worker, f"{review_url}/redactions", {"words": "Darren\n", "withhold": [str(withheld)]}, review_url
    )
    assert saved.status_code == 302 and "saved=1" in saved.headers["Location"]
    review = worker.get(saved.headers["Location"]).text
    assert "Redactions saved." in review
    assert re.search(rf'value="{withheld}" checked', review)
    assert "In the copy: [redacted: about someone else]" in review
    with app.app_context():
        kept = db.session.execute(sa.text("SELECT redactions FROM subject_access_request")).scalar_one()
        assert "Darren" not in kept  # encrypted at rest: the words are names

    released = post(worker, f"{review_url}/release", page=review_url)
    assert released.status_code == 302
    review = worker.get(review_url).text
    assert 'data-role="sar-downloads"' in review and "Release this copy" not in review

    request_id = int(review_url.rsplit("/", 1)[1])
    got = worker.get(f"{review_url}/copy.json")
    assert got.status_code == 200
    assert (
        got.headers["Content-Disposition"]
        == f'attachment; filename="subject-access-{case_id}-{request_id}.json"'
    )
    body = got.get_data(as_text=True)
    assert "Darren" not in body and "Okafor" not in body and "shopping" not in body
    copy = json.loads(body)
    answers = [a for part in copy["conversations"] for a in part["answers"]]
    said = {a["answer"] for a in answers}
    assert {FIRST_OUTCOME, CHANGED_OUTCOME, "Please don't tell my brother [redacted]"} <= said
    assert {"Not when [redacted] is visiting", "Can [redacted] be kept away?"} <= said
    assert [part["part"] for part in copy["conversations"]] == [1, 2]
    first = next(a for a in answers if a["answer"] == FIRST_OUTCOME)
    assert first["superseded_at"] and first["answered_at"] and first["given_by"] == "The person"
    held = next(a for a in answers if a["id"] == withheld)
    assert held["withheld"] and held["answer"] == "[redacted: about someone else]"
    assert held["question"].startswith("Who would you like to be involved?")  # the question stays
    assert held["answered_at"] and held["given_by"] == "The person"
    polish = next(a for a in answers if a["step"] == "safer")
    assert polish["language"] == "pl" and polish["question_english"] == "Do you feel safer now?"

    pdf = worker.get(f"{review_url}/copy.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert (
        pdf.headers["Content-Disposition"]
        == f'attachment; filename="subject-access-{case_id}-{request_id}.pdf"'
    )
    text = pdf_text(pdf.data)
    assert "Your answers: My Safeguarding Experience" in text and "Case reference: SAR-1" in text
    assert "Darren" not in text and "Okafor" not in text and "shopping" not in text
    for words in (FIRST_OUTCOME, CHANGED_OUTCOME, "Please don't tell my brother [redacted]", "changed later"):
        assert words in text, words
    assert "[redacted: about someone else]" in text and "Being able to stay at home" in text

    actions = [e.action for e in events(app, case_id)]
    for action in ("subject_access_prepared", "subject_access_redactions", "subject_access_released"):
        assert actions.count(action) == 1, action
    assert actions.count("subject_access_download") == 2
    # The audit log says what was done and how many, never the words.
    details = " ".join(e.detail or "" for e in events(app, case_id))
    assert "1 words, 1 answers withheld" in details
    for words in ("Darren", "Okafor", "Stay in my", "brother"):
        assert words not in details


def test_downloads_wait_for_release_and_a_released_copy_cannot_change(app, staff, chat):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "SAR-2")
    part1_with_a_change(chat, invite_code(app, worker, case_id, 1))
    review_url = prepare(worker, case_id)
    for kind in ("json", "pdf"):
        refused = worker.get(f"{review_url}/copy.{kind}")
        assert refused.status_code == 302 and refused.headers["Location"].endswith(review_url)
        assert "Content-Disposition" not in refused.headers
    assert "has not been released yet" in worker.get(review_url).text
    assert "subject_access_download" not in [e.action for e in events(app, case_id)]

    assert post(worker, f"{review_url}/release", page=review_url).status_code == 302
    changed = post(worker, f"{review_url}/redactions", {"words": "Nothing"}, review_url)
    assert changed.status_code == 302
    assert "its redactions cannot change" in worker.get(review_url).text
    again = post(worker, f"{review_url}/release", page=review_url)
    assert again.status_code == 302 and "already been released" in worker.get(review_url).text
    with app.app_context():
        request = db.session.scalars(sa.select(SubjectAccessRequest)).one()
        assert request.redactions == {"words": ["Darren"], "answers": []}
    actions = [e.action for e in events(app, case_id)]
    assert actions.count("subject_access_redactions") == 0 and actions.count("subject_access_released") == 1

    # A new copy can be prepared, and redacted afresh.
    second = prepare(worker, case_id)
    assert second != review_url
    assert post(worker, f"{second}/redactions", {"words": "Darren\nSmith"}, second).status_code == 302
    assert re.search(r'data-role="sar-words">Darren\s+Smith</textarea>', worker.get(second).text)


def test_only_staff_who_can_see_the_case_reach_its_copies(app, staff, chat):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "SAR-3")
    part1_with_a_change(chat, invite_code(app, worker, case_id, 1))
    review_url = prepare(worker, case_id)
    post(worker, f"{review_url}/release", page=review_url)
    other_case = new_case(worker, "SAR-4")
    request_id = review_url.rsplit("/", 1)[1]
    # This case's request under another case's address is not found.
    assert worker.get(f"/staff/cases/{other_case}/subject-access/{request_id}").status_code == 404
    # A manager of the team may; a worker or manager of another team, a worker of the same team
    # the case is not given to, and an admin may not: 404, as for a page that does not exist.
    assert signed_in(app, staff, "manager").get(review_url).status_code == 200
    for who in ("south_worker", "south_manager", "worker2", "admin"):
        client = signed_in(app, staff, who)
        for url in (review_url, f"{review_url}/copy.json", f"{review_url}/copy.pdf"):
            assert client.get(url).status_code == 404, (who, url)
        page = "/staff/users" if who == "admin" else "/staff/"
        assert post(client, f"/staff/cases/{case_id}/subject-access", page=page).status_code == 404, who
        assert post(client, f"{review_url}/redactions", {"words": "x"}, page).status_code == 404, who
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SubjectAccessRequest)) == 1
    refused = [e for e in events(app, case_id) if e.action == "refused"]
    assert refused, "refusals are audited"


def test_a_representatives_answers_say_so_in_their_role(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "SAR-5")
    answer_all(
        app,
        invite_code(app, worker, case_id, 1, respondent="imca"),
        {"view": "representative_account", "why_representative": "lacks_capacity", "matters": "Her garden"},
    )
    review = worker.get(prepare(worker, case_id)).text
    assert "Her garden" in review
    rows = re.findall(r'data-role="sar-who">([^<]*)<', review)
    assert rows and all(
        r.startswith("A representative: Independent Mental Capacity Advocate (IMCA) · ") for r in rows
    ), rows
    assert any("The representative, giving the person&#39;s account" in r for r in rows)
    with app.app_context():
        conversation = db.session.scalars(sa.select(Conversation)).one()
        assert conversation.respondent == "imca"


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        (
            "Darren's car, darren, DARREN; Darrenville",
            ["Darren"],
            "[redacted]'s car, [redacted], [redacted]; Darrenville",
        ),
        ("Mrs  Patel and Patel", ["Mrs Patel", "Patel"], "[redacted] and [redacted]"),
        ("Nobody here", ["Darren"], "Nobody here"),
        ("Zoë and zoë", ["ZOË"], "[redacted] and [redacted]"),
    ],
)
def test_words_are_redacted_whole_and_in_any_case(text, words, expected):
    assert redact_text(text, words) == expected
