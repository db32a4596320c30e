"""FHIR R4 exports: each person dialogue as a Questionnaire, each finished conversation as a
QuestionnaireResponse, a case's as a Bundle; every resource validated with fhir.resources' R4B
models (R4B's Questionnaire and QuestionnaireResponse are R4's), through the command and the page."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from conftest import made_once
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError
from test_staff import signed_in, staff  # noqa: F401

from app import db
from app.models import AuditEvent, Case
from app.records import fhir

REFERENCE = "FHIR-1"
WORKER = "worker@north.example"
MANAGER = "manager@north.example"
OWN_WORDS = 'Stay at home, safely\nand "see my garden"'
CHANGED_FROM = "Stay at home"
CHOICES = ["feel_safe", "stay_home"]


def finish_part1(chat):
    """Part 1 by the person, in English: their own words for an outcome (changed once at "check
    your answers"), two outcomes chosen from the list, two ways to be involved."""
    c = chat(reference=REFERENCE, part=1, worker=WORKER, language="en")
    c.begin(opening=True)
    answers = {
        "who": "self",
        "outcome_words": CHANGED_FROM,
        "outcome_choices": CHOICES,
        "involve_how": ["meetings", "statement"],
        "people_involved": '=HYPERLINK("x"), my neighbour',
    }
    for _ in range(60):
        turn = c.turn
        if turn["step"] == "check":
            break
        assert c.answer(answers.get(turn["step"]))["ok"], turn["step"]
    else:
        raise AssertionError("never reached check your answers")
    assert c.emit("change", {"step": "outcome_words"})["ok"]
    assert c.answer(OWN_WORDS)["ok"]
    assert c.turn["step"] == "check"
    assert c.answer("confirm")["ok"]
    assert c.turn["finished"]


def finish_part2(chat):
    """Part 2 in Welsh, by an IMCA giving the person's account; each Part 1 outcome read back."""
    c = chat(
        reference=REFERENCE,
        part=2,
        worker=WORKER,
        eligible_agreed_by=MANAGER,
        respondent="imca",
        language="cy",
        name="Sam",
    )
    met = iter(["fully", "partly", "not_at_all"])
    answers = {
        "consent": "yes",
        "view": "representative_account",
        "why_representative": "lacks_capacity",
        "safer": "partly",
        "listened": "yes",
    }
    for _ in range(80):
        turn = c.turn
        if turn["finished"]:
            return
        sid = turn["step"].split(".")[0]
        if sid == "outcome_met":
            value = next(met)
        elif turn["input"]["kind"] == "review":
            value = "confirm"
        else:
            value = answers.get(sid)
        assert c.answer(value)["ok"], (turn["step"], value)
    raise AssertionError("Part 2 never finished")


@pytest.fixture
def case(request, app, staff, chat):  # noqa: F811
    """The case's id, its Part 1 and Part 2 answered on the chat socket (made once per process, then
    copied: ``made_once``)."""
    return made_once(request, app, lambda: make_case(app, chat), staff)


def make_case(app, chat) -> int:
    finish_part1(chat)
    finish_part2(chat)
    with app.app_context():
        return db.session.scalars(sa.select(Case.id).where(Case.reference == REFERENCE)).one()


def bundle_of(app, case_id):
    with app.test_request_context():
        return fhir.case_bundle(db.session.get(Case, case_id))


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_resource_is_valid_fhir_r4(app, case):
    bundle = bundle_of(app, case)
    Bundle.model_validate(bundle)
    questionnaires = resources(bundle, "Questionnaire")
    responses = resources(bundle, "QuestionnaireResponse")
    assert [q["id"] for q in questionnaires] == ["part1", "part2"]
    assert len(responses) == 2
    for q in questionnaires:
        Questionnaire.model_validate(q)
    for r in responses:
        QuestionnaireResponse.model_validate(r)


def test_a_broken_field_fails_validation(app, case):
    response = resources(bundle_of(app, case), "QuestionnaireResponse")[0]
    QuestionnaireResponse.model_validate(response)
    without_status = {k: v for k, v in response.items() if k != "status"}
    broken_answer = json.loads(json.dumps(response))
    broken_answer["item"][0]["answer"] = [{"valueCoding": "not a coding"}]
    for broken, field in (
        (without_status, "status"),
        ({**response, "authored": "yesterday"}, "authored"),
        # R5's shape (a list) is not R4's: the models are R4's.
        ({**response, "identifier": [response["identifier"]]}, "identifier"),
        (broken_answer, "valueCoding"),
    ):
        with pytest.raises(ValidationError, match=field):
            QuestionnaireResponse.model_validate(broken)


def test_questionnaires_type_each_question_by_kind(app, case):
    bundle = bundle_of(app, case)
    part1, part2 = resources(bundle, "Questionnaire")
    base = "http://127.0.0.1:5000/fhir"
    assert part1["url"] == f"{base}/Questionnaire/part1" and part1["status"] == "active"
    items = {i["linkId"]: i for i in part1["item"]}
    assert "welcome" not in items and "check" not in items  # words and review: not questions
    assert items["outcome_words"]["type"] == "text"
    assert items["outcome_choices"]["type"] == "choice" and items["outcome_choices"]["repeats"] is True
    who = items["who"]
    assert who["type"] == "choice" and "repeats" not in who
    assert {
        "system": f"{base}/Questionnaire/part1#who",
        "code": "self",
        "display": "I am answering for myself",
    } in [o["valueCoding"] for o in who["answerOption"]]
    # Asked once per Part 1 outcome: a repeating group, the item read back beside the answer.
    met = {i["linkId"]: i for i in part2["item"]}["outcome_met"]
    assert met["type"] == "group" and met["repeats"] is True
    assert [i["linkId"] for i in met["item"]] == ["outcome_met.about", "outcome_met.answer"]
    assert [o["valueCoding"]["code"] for o in met["item"][1]["answerOption"]][:2] == ["fully", "partly"]
    # No placeholder left unsaid; "{name}'s own views" says "The person's own views".
    assert not re.search(r"\{(name|item|duration)\}", json.dumps(part1) + json.dumps(part2))
    views = [o["valueCoding"]["display"] for o in items["view"]["answerOption"]]
    assert views[0].startswith("The person's own views")


def test_responses_hold_typed_answers_language_and_role(app, case):
    part1, part2 = resources(bundle_of(app, case), "QuestionnaireResponse")
    assert part1["questionnaire"].endswith(
        "/fhir/Questionnaire/part1|" + str(app.extensions["dialogues"]["part1"].spec.version)
    )
    assert part1["status"] == "completed" and part1["authored"]
    assert part1["identifier"]["value"] == REFERENCE
    assert part1["language"] == "en" and part2["language"] == "cy"
    assert part1["source"] == {"type": "Patient", "display": "The person"}
    assert part2["source"] == {
        "type": "RelatedPerson",
        "display": "A representative: Independent Mental Capacity Advocate (IMCA)",
    }
    assert part2["author"] == part2["source"]
    assert {"url": "http://127.0.0.1:5000/fhir/StructureDefinition/respondent", "valueCode": "imca"} in part2[
        "extension"
    ]

    items = {i["linkId"]: i for i in part1["item"]}
    # The answer in force only: the changed one is not exported.
    assert items["outcome_words"]["answer"] == [{"valueString": OWN_WORDS}]
    assert (
        CHANGED_FROM + '"' not in json.dumps(part1) and json.dumps(part1).count(json.dumps(CHANGED_FROM)) == 0
    )
    chosen = items["outcome_choices"]["answer"]
    assert [a["valueCoding"]["code"] for a in chosen] == CHOICES
    assert all(a["valueCoding"]["system"].endswith("/Questionnaire/part1#outcome_choices") for a in chosen)
    assert all(a["valueCoding"]["display"] for a in chosen)
    view = items["outcome_words"]["extension"]
    assert view == [
        {"url": "http://127.0.0.1:5000/fhir/StructureDefinition/answer-view", "valueCode": "person"}
    ]
    # Questions asked in English in the export, whatever the language answered in.
    assert "Did this happen" in json.dumps(part2)

    # One group per outcome read back, in Part 1's order, each with what was read back.
    groups = [i for i in part2["item"] if i["linkId"] == "outcome_met"]
    assert len(groups) == 3
    read_back = [g["item"][0]["answer"][0]["valueString"] for g in groups]
    assert read_back[0] == OWN_WORDS and len(set(read_back)) == 3
    codes = [g["item"][1]["answer"][0]["valueCoding"]["code"] for g in groups]
    assert codes == ["fully", "partly", "not_at_all"]
    assert {g["item"][1]["extension"][0]["valueCode"] for g in groups} == {"representative_account"}


def test_nothing_personal_beyond_what_the_person_said(app, case):
    text = json.dumps(bundle_of(app, case))
    for absent in (WORKER, MANAGER, "Sam", "north"):
        assert absent not in text


def test_the_command_prints_a_bundle_and_json_is_unchanged(app, case, runner):
    result = runner.invoke(args=["export", "--case", REFERENCE, "--format", "fhir"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    Bundle.model_validate(printed)
    assert printed["type"] == "collection" and len(printed["entry"]) == 4

    plain = runner.invoke(args=["export", "--case", REFERENCE])
    assert plain.exit_code == 0
    from app.cases.services import export_case

    with app.app_context():
        assert json.loads(plain.output) == export_case(REFERENCE)
    with app.app_context():
        details = db.session.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "cli:export")
        ).all()
    assert any("--format fhir [exit 0]" in d for d in details), details


def test_the_case_page_offers_the_bundle_audited(app, case, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    page = worker.get(f"/staff/cases/{case}").text
    assert f"/staff/cases/{case}/export.fhir.json" in page
    response = worker.get(f"/staff/cases/{case}/export.fhir.json")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert "attachment" in response.headers["Content-Disposition"]
    Bundle.model_validate(json.loads(response.text))
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_id == case)).all()
    assert "export_fhir" in actions
    # Outside the user's reach: not found, and audited as refused.
    south = signed_in(app, staff, "south_worker")
    assert south.get(f"/staff/cases/{case}/export.fhir.json").status_code == 404
