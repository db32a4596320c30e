"""A case's answers as CSV for other systems: one row per answer the person (or their
representative) gave, superseded ones too, with the question in English as they were asked it.

A cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
return first) is written with a leading ``'``: what a person typed is never run as a formula."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from .. import db
from ..clock import aware
from ..conversation.services import dialogue_for, facts_for
from ..dialogue import render as rendering
from ..i18n import translating
from ..models import Answer, Case, Conversation

COLUMNS = (
    "part",
    "step",
    "question",
    "answer",
    "value",
    "view",
    "respondent",
    "language",
    "answered_at",
    "superseded_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell as text, a formula-looking start made inert with ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def rows(case: Case) -> list[dict[str, str]]:
    """Every answer of the case's person conversations, in the order given."""
    found = []
    conversations = db.session.scalars(
        select(Conversation)
        .where(Conversation.case_id == case.id, Conversation.invitation_id.is_not(None))
        .order_by(Conversation.dialogue_id, Conversation.id)
    )
    for conversation in conversations:
        dialogue = dialogue_for(conversation)
        # The question says "the person", as in the FHIR export: no name the case holds.
        facts = replace(facts_for(conversation), name=None)
        part = conversation.dialogue_id.removeprefix("part")
        with translating("en") as tr:
            for answer in conversation.answers:
                step = dialogue.spec.steps.get(answer.step.partition(".")[0])
                if step is not None and not step.is_question:
                    continue  # a "Continue" after words, or "Send my answers": nothing said
                found.append(_row(part, dialogue, step, answer, facts, tr))
    return found


def _row(part: str, dialogue, step, answer: Answer, facts, tr) -> dict[str, str]:
    if step is None:  # a question since taken out of the dialogue: kept as it was stored
        question, shown = "", _value(answer.value)
    else:
        options = rendering.options(dialogue, answer.step, facts, tr, every=True)
        question = rendering.question_text(dialogue, answer.step, facts, tr) or ""
        shown = rendering.display_answer(step, answer.value, options, tr)
    return {
        "part": part,
        "step": answer.step,
        "question": question,
        "answer": shown,
        "value": _value(answer.value),
        "view": answer.view or "",
        "respondent": answer.respondent or "",
        "language": answer.language,
        "answered_at": aware(answer.answered_at).isoformat(),
        "superseded_at": aware(answer.superseded_at).isoformat() if answer.superseded_at else "",
    }


def _value(value: Any) -> str:
    """The stored value: text as typed, an option's value, several as a JSON list."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def case_csv(case: Case) -> str:
    """The CSV text: a header of ``COLUMNS``, then a row per answer."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows(case):
        writer.writerow([safe_cell(row[column]) for column in COLUMNS])
    return out.getvalue()
