"""Reading what people said, for the case page and its PDF: each answer in force with the question as
asked (in English for staff), Part 1's outcomes against Part 2's, and how to contact the person safely.
Access is checked by the caller (``app.access``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import db
from ..conversation.services import dialogue_for, facts_for
from ..dialogue import render as rendering
from ..dialogue import split_key
from ..i18n import translating
from ..models import Case, Conversation


@dataclass
class Said:
    """One answer in force, as the staff pages show it."""

    step: str
    question: str
    answer: str
    view: str
    respondent: str | None
    language: str
    answered_at: datetime


def person_conversations(case: Case) -> dict[str, Conversation]:
    """The latest conversation of each part (a finished one preferred)."""
    found: dict[str, Conversation] = {}
    for conversation in db.session.scalars(
        select(Conversation)
        .where(Conversation.case_id == case.id, Conversation.invitation_id.is_not(None))
        .order_by(Conversation.finished_at.is_not(None), Conversation.id)
    ):
        found[conversation.dialogue_id] = conversation
    return found


def what_was_said(conversation: Conversation) -> list[Said]:
    """Each answer in force, with the question as asked (in English for staff), who gave it and in
    which language."""
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    rows = {a.step: a for a in conversation.answers if a.superseded_at is None}
    with translating("en") as tr:
        shown = rendering.history(dialogue, "\0end", facts, tr)
    said = []
    for item in shown:
        row = rows.get(item["step"])
        if row is None:
            continue
        said.append(
            Said(
                item["step"],
                item["question"],
                item["answer"],
                row.view,
                row.respondent,
                row.language,
                row.answered_at,
            )
        )
    return said


def outcomes_side_by_side(case: Case) -> list[dict]:
    """Each outcome the person wanted in Part 1, against whether Part 2 says it was achieved."""
    found = person_conversations(case)
    part1, part2 = found.get("part1"), found.get("part2")
    if part1 is None:
        return []
    dialogue, facts = dialogue_for(part1), facts_for(part1)
    wanted = dialogue.items("outcomes", facts) if "outcomes" in dialogue.spec.lists else []
    met, labels = {}, {}
    if part2 is not None:
        # The Part 2 step that reads each outcome back, and the words for its answers (the staff
        # label where the dialogue gives one), as the dialogue file names them.
        asked = dialogue_for(part2).repeating_step("outcomes")
        if asked is not None:
            labels = {o.value: o.staff or o.label for o in dialogue_for(part2).step(asked).options}
        for answer in part2.answers:
            step, index = split_key(answer.step)
            if answer.superseded_at is None and step == asked and index is not None and answer.about:
                met[answer.about] = answer
    rows = []
    with translating("en") as tr:
        for item in wanted:
            text = tr.gettext(item.text) if item.translatable else item.text
            answer = met.get(item.text) or met.get(text)
            rows.append(
                {
                    "wanted": text,
                    "met": labels.get(answer.value, "Skipped") if answer else None,
                    "view": answer.view if answer else None,
                    "language": answer.language if answer else None,
                }
            )
    return rows


def contact_instructions(case: Case) -> list[Said]:
    """What the person said in Part 1 about contacting them safely: how, when, not how, and who must
    not be told. Standing instructions, shown wherever a member of staff may reach them."""
    part1 = person_conversations(case).get("part1")
    if part1 is None:
        return []
    keys = set(dialogue_for(part1).spec.contact_instructions)
    # A skipped question is no instruction: only what the person said is shown.
    return [said for said in what_was_said(part1) if said.step in keys and said.answer != "Skipped"]
