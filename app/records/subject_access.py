"""Subject access: a copy of everything the person said, for the person.

A worker prepares a request (``prepare``), reviews the copy with what is to be redacted (the
names the person asked not to be told are proposed; answers about someone else can be withheld
whole), then releases it (``release``). Only a released request is downloaded, and always
redacted (``download``): redaction happens here, on the server, before any copy leaves it. After
release the redactions are fixed; a new request can be prepared.

The copy covers what had been said when the request was prepared: an answer given later is not in
it (nobody reviewed it), and one changed later is shown as it stood then.

Every step is audited with what was done and how many words or answers, never the words."""

from __future__ import annotations

import copy as copying
import re
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from .. import access, db
from ..cases.services import PARTS, TITLES, do_not_tell_answer
from ..clock import aware, utcnow
from ..conversation.services import dialogue_for, facts_for
from ..dialogue import render as rendering
from ..dialogue import split_key
from ..i18n import translating
from ..languages import language
from ..models import Answer, Case, Conversation, SubjectAccessRequest, User
from . import RecordsError

REDACTED = "[redacted]"
WITHHELD = "[redacted: about someone else]"
# The fields of an answer in the copy that hold words: each is redacted, the question too, as it
# may say a name back (a typed outcome read back in Part 2).
TEXT_FIELDS = ("question", "question_english", "answer", "answer_english", "about", "about_english")
# What an answer about someone else loses; its question, date and who gave it stay, so the person
# sees that something was withheld.
WITHHELD_FIELDS = ("answer", "answer_english", "about", "about_english")
MAX_WORDS = 200
MAX_WORD_LENGTH = 120

PART_TITLES = {"part1": "Part 1: at the start of the enquiry", "part2": "Part 2: at the end of the enquiry"}
VIEW_LABELS = {
    "person": "The person's own view",
    "person_supported": "The person's own view, with support",
    "representative_account": "The representative, giving the person's account",
    "representative_own": "The representative's own view",
    "both": "Both the person's account and the representative's own view",
}

# A capitalised word that begins a sentence is often no name ("Please don't tell my brother
# Darren"): these are left out of the proposed words. Only a proposal: the worker reviews it.
_NOT_NAMES = frozenset(
    """a all also an and any anybody anyone because but definitely do don't dont especially
    everyone except he her his i if it just maybe my never no nobody none not only or our please
    she that the their them they this we yes you your""".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


# -- preparing, reviewing, releasing -----------------------------------------------------------------


def requests_for(case: Case) -> list[SubjectAccessRequest]:
    """The case's subject access requests, newest first."""
    return list(
        db.session.scalars(
            select(SubjectAccessRequest)
            .where(SubjectAccessRequest.case_id == case.id)
            .order_by(SubjectAccessRequest.id.desc())
        )
    )


def find(case: Case, request_id: int) -> SubjectAccessRequest | None:
    """The request of this case with this id, or None (another case's request is not this one's)."""
    found = db.session.get(SubjectAccessRequest, request_id)
    return found if found is not None and found.case_id == case.id else None


def proposed_words(case: Case) -> list[str]:
    """The names in the person's latest answer about who must not be told, best effort: each
    capitalised word that is not a title nor a common word opening a sentence. Each word stands
    alone, so that "Darren" is redacted wherever it appears, not only as "Darren Smith"."""
    said = do_not_tell_answer(case) or ""
    words: list[str] = []
    for word in _WORD.findall(said):
        plain = word.replace("’", "'").casefold()
        if len(word) < 2 or not word[0].isupper() or plain in TITLES or plain in _NOT_NAMES:
            continue
        if plain not in {w.casefold() for w in words}:
            words.append(word)
    return words


def prepare(user: User, case: Case) -> SubjectAccessRequest:
    """A new request for a copy of everything the person said, with the proposed redactions:
    the names from their "people not told" answer, and no answer withheld yet."""
    request = SubjectAccessRequest(
        case_id=case.id,
        prepared_by_id=user.id,
        prepared_at=utcnow(),
        redactions={"words": proposed_words(case), "answers": []},
    )
    db.session.add(request)
    db.session.flush()
    access.record(user, "subject_access_prepared", case.id, f"request {request.id}")
    db.session.commit()
    return request


def redactions_of(request: SubjectAccessRequest) -> dict[str, list]:
    """The request's redactions as ``{"words": [...], "answers": [answer ids]}``."""
    found = request.redactions or {}
    return {"words": list(found.get("words") or []), "answers": [int(a) for a in found.get("answers") or []]}


def clean_words(words: list[str] | str | None) -> list[str]:
    """The words as a list: one a line (or given as a list), trimmed, spaces evened, each once."""
    if isinstance(words, str):
        words = words.splitlines()
    found: list[str] = []
    for word in words or []:
        word = " ".join(str(word).split())
        if word and word.casefold() not in {w.casefold() for w in found}:
            found.append(word)
    too_long = [w for w in found if len(w) > MAX_WORD_LENGTH]
    if too_long or len(found) > MAX_WORDS:
        raise RecordsError(
            f"Give at most {MAX_WORDS} words or names to redact, one a line, each at most "
            f"{MAX_WORD_LENGTH} characters. Nothing was saved."
        )
    return found


def update_redactions(
    user: User, request: SubjectAccessRequest, words: list[str] | str | None, answer_ids
) -> SubjectAccessRequest:
    """Set what is redacted: the words, and the answers withheld as about someone else (ids of
    this case's answers). Only before release."""
    words = clean_words(words)
    ours = set(
        db.session.scalars(
            select(Answer.id)
            .join(Conversation, Answer.conversation_id == Conversation.id)
            .where(Conversation.case_id == request.case_id, Conversation.invitation_id.is_not(None))
        )
    )
    answers = sorted({int(a) for a in answer_ids or [] if str(a).isdigit() and int(a) in ours})
    # The check and the change in one statement: a release at the same moment wins, and this
    # changes nothing then.
    changed = db.session.execute(
        update(SubjectAccessRequest)
        .where(SubjectAccessRequest.id == request.id, SubjectAccessRequest.released_at.is_(None))
        .values(redactions={"words": words, "answers": answers})
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise RecordsError(
            "This copy has already been released, so its redactions cannot change. Prepare a new "
            "copy if something else needs to be redacted."
        )
    access.record(
        user,
        "subject_access_redactions",
        request.case_id,
        f"request {request.id}: {len(words)} words, {len(answers)} answers withheld",
    )
    db.session.commit()
    db.session.refresh(request)
    return request


def release(user: User, request: SubjectAccessRequest) -> SubjectAccessRequest:
    """Release the copy as it is now redacted: from then on it can be downloaded, and its
    redactions no longer change."""
    now = utcnow()
    changed = db.session.execute(
        update(SubjectAccessRequest)
        .where(SubjectAccessRequest.id == request.id, SubjectAccessRequest.released_at.is_(None))
        .values(released_at=now, released_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise RecordsError("This copy has already been released. It can be downloaded below.")
    access.record(user, "subject_access_released", request.case_id, f"request {request.id}")
    db.session.commit()
    db.session.refresh(request)
    return request


def download(user: User, request: SubjectAccessRequest, kind: str) -> dict:
    """The released copy, redacted, for a download of ``kind`` ("pdf" or "json"), audited."""
    if request.released_at is None:
        raise RecordsError("This copy has not been released yet. Review it and release it first.")
    access.audit(user, "subject_access_download", request.case_id, f"request {request.id}: {kind}")
    return redacted(copy(request), redactions_of(request))


def language_name(code: str) -> str:
    """A language's name in English (the staff pages' words, and the copy's)."""
    return language(code).english


# -- the copy ----------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment is not None else None


def copy(request: SubjectAccessRequest) -> dict:
    """Everything the person said, unredacted, as it stood when the request was prepared: each of
    their conversations (Part 1 and Part 2, not the staff's own), every answer in the order given,
    superseded ones too. Shown only to staff, on the review screen; what leaves is ``redacted``."""
    case = db.session.get(Case, request.case_id)
    cutoff = aware(request.prepared_at)
    conversations = db.session.scalars(
        select(Conversation)
        .where(Conversation.case_id == case.id, Conversation.invitation_id.is_not(None))
        .order_by(Conversation.dialogue_id, Conversation.id)
    )
    parts = []
    for conversation in conversations:
        answers = [a for a in conversation.answers if aware(a.answered_at) <= cutoff]
        shown = _answers(conversation, answers, cutoff)
        if shown:
            parts.append(
                {
                    "part": int(conversation.dialogue_id.removeprefix("part"))
                    if conversation.dialogue_id in PARTS.values()
                    else None,
                    "title": PART_TITLES.get(conversation.dialogue_id, conversation.dialogue_id),
                    "language": conversation.language,
                    "language_name": language_name(conversation.language),
                    "started_at": _iso(conversation.started_at),
                    "finished_at": _iso(conversation.finished_at)
                    if conversation.finished_at and aware(conversation.finished_at) <= cutoff
                    else None,
                    "answers": shown,
                }
            )
    return {
        "title": "Your answers: My Safeguarding Experience",
        "case": case.reference,
        "request": request.id,
        "prepared_at": _iso(request.prepared_at),
        "released_at": _iso(request.released_at),
        "conversations": parts,
    }


def _answers(conversation: Conversation, answers: list[Answer], cutoff: datetime) -> list[dict]:
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    roles = current_app.extensions["dialogues"].roles()
    rows = []
    for answer in answers:
        step = dialogue.spec.steps.get(split_key(answer.step)[0])
        if step is not None and not step.is_question:
            continue  # a "Continue" after words, or "Send my answers": nothing said
        asked = _as_asked(dialogue, step, answer, facts, answer.language)
        english = _as_asked(dialogue, step, answer, facts, "en") if answer.language != "en" else None
        superseded = answer.superseded_at is not None and aware(answer.superseded_at) <= cutoff
        rows.append(
            {
                "id": answer.id,
                "step": answer.step,
                **asked,
                **{f"{key}_english": (english or {}).get(key) for key in ("question", "answer", "about")},
                "answered_at": _iso(answer.answered_at),
                "superseded_at": _iso(answer.superseded_at) if superseded else None,
                "given_by": given_by(answer.respondent, roles),
                "respondent": answer.respondent,
                "view": answer.view,
                # None where nobody had said yet whose view the answers give.
                "view_label": VIEW_LABELS.get(answer.view),
                "language": answer.language,
                "language_name": language_name(answer.language),
            }
        )
    return rows


def _as_asked(dialogue, step, answer: Answer, facts, lang: str) -> dict[str, str | None]:
    """The question, the answer and the item read back, in ``lang``, rendered through the dialogue
    as the person read them: option labels rather than values, their own words as typed."""
    with translating(lang) as tr:
        if step is None:  # a question since taken out of the dialogue: said as it was kept
            value = answer.value
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            return {"question": None, "answer": shown or tr.gettext("Skipped"), "about": answer.about}
        options = rendering.options(dialogue, answer.step, facts, tr, every=True)
        item = dialogue.item(answer.step, facts)
        about = answer.about
        if about and item is not None and item.translatable and item.text == about:
            about = rendering.translated(tr, item.text, item.context)
        return {
            "question": rendering.question_text(dialogue, answer.step, facts, tr),
            "answer": rendering.display_answer(step, answer.value, options, tr),
            "about": about,
        }


def given_by(respondent: str | None, roles: dict[str, str]) -> str:
    """Who gave an answer, in words: the person, with help, or a representative in their role."""
    if respondent == "self":
        return "The person"
    if respondent == "self_helped":
        return "The person, with someone helping"
    if respondent in roles:
        return f"A representative: {roles[respondent]}"
    if respondent == "representative":
        return "A representative (role not said)"
    if respondent is None:  # the opening's "Shall we start?" comes before "Who is answering?"
        return "Before saying who was answering"
    return "Not known"


# -- redaction ---------------------------------------------------------------------------------------


def _pattern(words: list[str]) -> re.Pattern | None:
    """One pattern for every word: whole words, any case, any spacing between a name's words;
    the longest first, so that "Darren Smith" goes whole before "Darren" alone."""
    words = [w for w in words if w.strip()]
    if not words:
        return None
    alternatives = (r"\s+".join(map(re.escape, w.split())) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


def redact_text(text: str | None, words: list[str]) -> str | None:
    """``text`` with each whole-word, any-case occurrence of a word replaced by "[redacted]"."""
    pattern = _pattern(words)
    if text is None or pattern is None:
        return text
    return pattern.sub(REDACTED, text)


def marked(text: str | None, words: list[str]) -> list[tuple[str, bool]]:
    """``text`` in pieces, each saying whether it will be redacted: for highlighting on the review
    screen (each piece escaped by the template, never marked up here)."""
    if not text:
        return []
    pattern = _pattern(words)
    if pattern is None:
        return [(text, False)]
    pieces, end = [], 0
    for hit in pattern.finditer(text):
        if hit.start() > end:
            pieces.append((text[end : hit.start()], False))
        pieces.append((hit.group(0), True))
        end = hit.end()
    if end < len(text):
        pieces.append((text[end:], False))
    return pieces


def redacted(found: dict, redactions: dict[str, Any]) -> dict:
    """A copy of ``found`` (from ``copy``) with the redactions applied: every word in every text
    field becomes "[redacted]", and a withheld answer keeps only its question, dates and who gave
    it. The original is left as it was."""
    words = list(redactions.get("words") or [])
    withheld = {int(a) for a in redactions.get("answers") or []}
    out = copying.deepcopy(found)
    for part in out["conversations"]:
        for answer in part["answers"]:
            answer["withheld"] = answer["id"] in withheld
            for key in TEXT_FIELDS:
                if answer["withheld"] and key in WITHHELD_FIELDS:
                    # Said where there was something: an answer read back about no item has none.
                    answer[key] = WITHHELD if key == "answer" or answer.get(key) is not None else None
                else:
                    answer[key] = redact_text(answer.get(key), words)
    return out
