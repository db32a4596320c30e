"""FHIR R4 exports for other systems: each person dialogue as a ``Questionnaire``, each finished
person conversation as a ``QuestionnaireResponse``, a case's together as a ``Bundle`` (collection).

Plain dicts (JSON as FHIR R4 writes it): the app needs no FHIR library to run; the tests validate
every resource with ``fhir.resources``' R4B models, whose Questionnaire and QuestionnaireResponse
are R4's unchanged.

What leaves: the questions in English, the answers as the person gave them (their own words and
names only where they typed them), who answered by role (never a name), the language, whose view
each answer gives, when it finished, and the case reference as the council's own system knows it.
Branching (``enableWhen``) is not exported: the conditions live in the dialogue files, and a
response holds only the questions that were asked."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app
from sqlalchemy import select

from .. import db
from ..clock import aware
from ..conversation.services import dialogue_for, facts_for
from ..dialogue import render as rendering
from ..dialogue.spec import Step
from ..i18n import translating
from ..models import Case, Conversation
from .subject_access import given_by

PERSON_DIALOGUES = ("part1", "part2")
# A repeated step's read-back item and its answer, as the children of its repeating group.
ABOUT, MET = "about", "answer"
# What a placeholder says in a Questionnaire, which is no one person's.
_PLACEHOLDERS = {"name": "the person", "item": "(the item read back)", "duration": "a few minutes"}


class _Words(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def base_url() -> str:
    return (current_app.config.get("PUBLIC_URL") or "").rstrip("/") + "/fhir"


def questionnaire_url(dialogue_id: str) -> str:
    """The Questionnaire's canonical URL, stable across versions (``version`` says which)."""
    return f"{base_url()}/Questionnaire/{dialogue_id}"


def code_system(dialogue_id: str, step_id: str) -> str:
    """The system of a step's answer codes: the option values of that step."""
    return f"{questionnaire_url(dialogue_id)}#{step_id}"


def extension_url(name: str) -> str:
    return f"{base_url()}/StructureDefinition/{name}"


def _plain(text: str | None) -> str:
    said = (text or "").format_map(_Words(_PLACEHOLDERS)).strip()
    return said[:1].upper() + said[1:]


# -- Questionnaire ----------------------------------------------------------------------------------


def questionnaire(dialogue_id: str) -> dict:
    """A dialogue as a Questionnaire: one item per question (words-only steps and "check your
    answers" are not questions and are left out), linkId the step id, the question in English as
    the person is asked it."""
    dialogue = current_app.extensions["dialogues"][dialogue_id]
    spec = dialogue.spec
    return {
        "resourceType": "Questionnaire",
        "id": dialogue_id,
        "url": questionnaire_url(dialogue_id),
        "version": str(spec.version),
        "name": "".join(part.capitalize() for part in dialogue_id.split("_")),
        "title": spec.title,
        "status": "active",
        "language": "en",
        "item": [_question_item(dialogue_id, step) for step in spec.steps.values() if step.is_question],
    }


def _question_item(dialogue_id: str, step: Step) -> dict:
    item: dict[str, Any] = {"linkId": step.id, "text": _plain(step.ask), "required": not step.optional}
    if step.kind == "text":
        item["type"] = "text"
    else:
        item["type"] = "choice"
        if step.kind == "multi":
            item["repeats"] = True
        # Options built from the person's earlier answers (``options_from``) cannot be listed here.
        if step.options:
            system = code_system(dialogue_id, step.id)
            item["answerOption"] = [
                {"valueCoding": {"system": system, "code": o.value, "display": _plain(o.label)}}
                for o in step.options
            ]
    if not step.repeat:
        return item
    # Asked once per item of a list: FHIR lets a response hold the same linkId more than once only
    # for a repeating group, so the group carries the step's id and each repetition keeps the item
    # read back as data beside its answer.
    about = {"linkId": f"{step.id}.{ABOUT}", "text": "What was read back", "type": "string", "readOnly": True}
    answer = {**item, "linkId": f"{step.id}.{MET}", "required": False}
    return {
        "linkId": step.id,
        "text": item["text"],
        "type": "group",
        "repeats": True,
        "item": [about, answer],
    }


# -- QuestionnaireResponse --------------------------------------------------------------------------


def questionnaire_response(conversation: Conversation) -> dict:
    """A finished person conversation: each answer in force on the route it took, typed by kind."""
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    walked = dialogue.walk(facts)
    # The questions say "the person", never a name the invitation or the case holds.
    unnamed = replace(facts, name=None)
    on_route = set(walked)
    rows = {a.step: a for a in conversation.answers if a.superseded_at is None and a.step in on_route}
    items = []
    with translating("en") as tr:
        for key in walked:
            answer = rows.get(key)
            step = dialogue.step(key)
            if answer is None or not step.is_question:
                continue
            options = rendering.options(dialogue, key, unnamed, tr, every=True)
            item = {
                "linkId": step.id,
                "text": rendering.question_text(dialogue, key, unnamed, tr),
                "extension": [{"url": extension_url("answer-view"), "valueCode": answer.view}],
            }
            given = _answers(conversation.dialogue_id, step, answer.value, options)
            if given:
                item["answer"] = given
            if not step.repeat:
                items.append(item)
                continue
            # One group per repetition (see ``_question_item``), the item read back beside.
            group = {"linkId": step.id, "text": _plain(step.ask), "item": []}
            if answer.about:
                group["item"].append(
                    {
                        "linkId": f"{step.id}.{ABOUT}",
                        "text": "What was read back",
                        "answer": [{"valueString": _about(dialogue, key, facts, tr, answer.about)}],
                    }
                )
            group["item"].append({**item, "linkId": f"{step.id}.{MET}"})
            items.append(group)
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"conversation-{conversation.id}",
        "identifier": {"system": f"{base_url()}/case", "value": conversation.case.reference},
        "questionnaire": f"{questionnaire_url(conversation.dialogue_id)}|{conversation.dialogue_version}",
        "status": "completed",
        "language": conversation.language,
        "extension": [
            {"url": extension_url("respondent"), "valueCode": conversation.respondent or "unknown"}
        ],
        "item": items,
    }
    if conversation.finished_at is not None:
        response["authored"] = aware(conversation.finished_at).isoformat()
    who = respondent_reference(conversation.respondent)
    response["author"] = who
    response["source"] = who
    return response


def respondent_reference(respondent: str | None) -> dict:
    """Who answered, by role only: a display-only reference (no resource, so no name), typed
    Patient for the person and RelatedPerson for a representative."""
    roles = current_app.extensions["dialogues"].roles()
    kind = "Patient" if respondent in ("self", "self_helped") else "RelatedPerson"
    if respondent is None:
        return {"display": given_by(None, roles)}
    return {"type": kind, "display": given_by(respondent, roles)}


def _about(dialogue, key, facts, tr, about: str) -> str:
    item = dialogue.item(key, facts)
    if item is not None and item.translatable and item.text == about:
        return rendering.translated(tr, item.text, item.context)
    return about


def _answers(dialogue_id: str, step: Step, value: Any, options: list[dict]) -> list[dict]:
    if value in (None, "", []):
        return []  # skipped: the item says what was asked, with no answer
    if step.kind == "text":
        return [{"valueString": str(value)}]
    labels = {o["value"]: o["label"] for o in options}
    system = code_system(dialogue_id, step.id)
    chosen = value if isinstance(value, list) else [value]
    return [
        {"valueCoding": {"system": system, "code": str(v), "display": labels.get(v, str(v))}} for v in chosen
    ]


# -- a case's Bundle --------------------------------------------------------------------------------


def finished_conversations(case: Case) -> list[Conversation]:
    return list(
        db.session.scalars(
            select(Conversation)
            .where(
                Conversation.case_id == case.id,
                Conversation.invitation_id.is_not(None),
                Conversation.finished_at.is_not(None),
                Conversation.dialogue_id.in_(PERSON_DIALOGUES),
            )
            .order_by(Conversation.id)
        )
    )


def case_bundle(case: Case) -> dict:
    """The person dialogues' Questionnaires and the case's finished conversations' responses."""
    entries = [
        {"fullUrl": questionnaire_url(d), "resource": questionnaire(d)}
        for d in PERSON_DIALOGUES
        if d in current_app.extensions["dialogues"]
    ]
    for conversation in finished_conversations(case):
        response = questionnaire_response(conversation)
        entries.append(
            {"fullUrl": f"{base_url()}/QuestionnaireResponse/{response['id']}", "resource": response}
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
