"""The one path for every answer: the chat, the plain HTML form and the tests all come through here.

Each function loads the conversation from the database (``answer`` may take the one its caller has
just loaded for the same event, with its answers, invitation and case), checks the request against
the dialogue, writes in one transaction and commits before returning. Nothing is kept in process
memory, so any server process can serve any turn.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from .. import db, followups
from ..clock import aware, utcnow
from ..database import BUSY, busy_log, write_turns
from ..dialogue import Dialogue, Facts, is_representative
from ..dialogue import render as rendering
from ..dialogue.answers import InvalidAnswer, check_value, is_unicode
from ..i18n import translating
from ..languages import language
from ..models import Answer, Case, Conversation, Invitation
from . import codes, rows

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 64
MAX_STEP_LENGTH = 64


@dataclass
class Result:
    """What became of a request: ``ok``, or a stable ``error`` code for a calm message."""

    ok: bool
    error: str | None = None
    duplicate: bool = False
    # For "I need help now": how many people the saved signal's emails go to (0: nobody to tell).
    notified: int = 0


def dialogue_for(conversation: Conversation) -> Dialogue:
    """The loaded dialogue a conversation runs."""
    return current_app.extensions["dialogues"][conversation.dialogue_id]


# -- opening ---------------------------------------------------------------------------------------


_BY_CODE = select(Conversation.id).where(
    Conversation.invitation_id == Invitation.id, Invitation.code_hash == bindparam("code_hash")
)


def open_by_code(code: Any) -> Conversation | None:
    """The conversation a code opens, or None if the code is wrong, expired, revoked or finished."""
    if not isinstance(code, str) or not codes.looks_like_code(code):
        return None
    conversation = load(db.session.scalar(_BY_CODE, {"code_hash": codes.hash_code(code)}))
    return conversation if is_open(conversation) else None


def is_open(conversation: Conversation | None) -> bool:
    """Whether a conversation may still be answered."""
    if conversation is None or conversation.finished_at is not None:
        return False
    invitation = conversation.invitation
    if invitation is None:
        return True  # a member of staff's own dialogue: their sign-in is checked instead
    if invitation.revoked_at is not None:
        return False
    return aware(invitation.expires_at) > utcnow()


# What a turn reads of a conversation, in one SELECT and one row: the conversation with its
# invitation and case (as ``rows.Loaded`` objects, not ORM instances: filling three ORM instances
# was most of a load's cost), and its answers gathered into that row as one JSON array by the
# database (``Given`` rows, read back here). One statement, not a second for the answers: SQLite's
# driver runs each SELECT outside a transaction, and two could see the conversation and its
# answers at different moments. One row, not one per answer (a join). Plain rows, not ORM objects,
# for the answers too: a conversation has tens of them, for values the turn only reads.
_ANSWERS = Answer.__table__
_CONVERSATIONS = Conversation.__table__
_INVITATIONS = Invitation.__table__
_CASES = Case.__table__
_GIVEN_COLUMNS = (
    _ANSWERS.c.id,
    _ANSWERS.c.step,
    _ANSWERS.c.value,
    _ANSWERS.c.view,
    _ANSWERS.c.client_id,
    _ANSWERS.c.answered_at,
    _ANSWERS.c.superseded_at,
)


@dataclass(slots=True)
class Given:
    """One answer of a conversation as ``load`` read it: what a turn needs of it, and nothing it
    would write back (an answer is written by the statements in ``_write``, not through this)."""

    id: int
    step: str
    value: Any
    view: str
    client_id: str
    answered_at: datetime
    superseded_at: datetime | None


# Each database's own way to gather rows into one JSON array: an array of arrays, one per answer,
# its values in ``_GIVEN_COLUMNS``' order. The databases the app runs on (README, "Storage").
_GATHER = {
    "sqlite": (func.json_group_array, func.json_array),
    "postgresql": (func.json_agg, func.json_build_array),
}
# One statement object per database for every load, with how that database's answer times are read
# back: its cache key is computed once and kept with it.
_LOADS: dict[str, tuple[Any, Any]] = {}
LOADED = "given"  # where ``load`` keeps the answers on the conversation object (not a mapped column)
_JOINED = _CONVERSATIONS.outerjoin(_INVITATIONS, _CONVERSATIONS.c.invitation_id == _INVITATIONS.c.id).join(
    _CASES, _CONVERSATIONS.c.case_id == _CASES.c.id
)
_SLICES = (
    (rows.LoadedConversation, slice(0, len(rows.LoadedConversation.columns))),
    (
        rows.LoadedInvitation,
        slice(len(rows.LoadedConversation.columns), -len(rows.LoadedCase.columns) - 1),
    ),
    (rows.LoadedCase, slice(-len(rows.LoadedCase.columns) - 1, -1)),
)


def _load_statement(dialect):
    """The load's statement for ``dialect``, and its reader of the gathered answers' times (SQLite's
    text as its DateTime reads it; PostgreSQL's JSON gives ISO 8601 with the offset)."""
    found = _LOADS.get(dialect.name)
    if found is None:
        gather, row = _GATHER[dialect.name]
        answers = (
            select(gather(row(*_GIVEN_COLUMNS)))
            .where(_ANSWERS.c.conversation_id == _CONVERSATIONS.c.id)
            .correlate(_CONVERSATIONS)
            .scalar_subquery()
        )
        statement = (
            select(
                *(_CONVERSATIONS.c[name] for name in rows.LoadedConversation.columns),
                *(_INVITATIONS.c[name] for name in rows.LoadedInvitation.columns),
                *(_CASES.c[name] for name in rows.LoadedCase.columns),
                answers,
            )
            .select_from(_JOINED)
            .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
        )
        if dialect.name == "sqlite":
            read_time = _ANSWERS.c.answered_at.type.dialect_impl(dialect).result_processor(dialect, None)
        else:
            read_time = datetime.fromisoformat
        found = _LOADS[dialect.name] = (statement, read_time)
    return found


def _given(gathered: Any, dialect, read_time) -> list[Given]:
    """The answers from the JSON array ``load`` read, oldest first, their values as the columns'
    own types would give them: the answer decrypted, the times as datetimes (``read_time``)."""
    if gathered is None:  # PostgreSQL's json_agg of no rows
        return []
    if isinstance(gathered, str):  # SQLite's text (psycopg reads JSON itself)
        gathered = json.loads(gathered)
    value_type = _ANSWERS.c.value.type
    given = [
        Given(
            id=answer_id,
            step=step,
            value=value_type.process_result_value(value, dialect),
            view=view,
            client_id=client_id,
            answered_at=read_time(answered_at),
            superseded_at=None if superseded_at is None else read_time(superseded_at),
        )
        for answer_id, step, value, view, client_id, answered_at, superseded_at in gathered
    ]
    given.sort(key=lambda answer: answer.id)  # an aggregate's order is not promised
    return given


def load(conversation_id: Any) -> rows.LoadedConversation | None:
    """A conversation by id, fresh from the database, with the rows a turn needs: its invitation and
    case, and its answers (``answers_of``). Read-only objects (``rows``): a change is written with
    ``save`` (or a statement of its own, then ``rows.keep``)."""
    if not isinstance(conversation_id, int):
        return None
    session = db.session()
    if session.identity_map:
        session.expire_all()  # whatever else this event read through the ORM is read afresh too
    # On the session's connection (its transaction), not through ``Session.execute``: a plain
    # statement on tables, which the session's execution path (events, options) only slows.
    connection = session.connection()
    dialect = connection.dialect
    statement, read_time = _load_statement(dialect)
    row = connection.execute(statement, {"conversation_id": conversation_id}).first()
    if row is None:
        return None
    conversation, invitation, case = (
        kind(dict(zip(kind.columns, row[part], strict=True))) for kind, part in _SLICES
    )
    conversation.__dict__.update(
        invitation=invitation if invitation.id is not None else None,  # none: a staff dialogue
        case=case,
        _loaded_in=session,
    )
    conversation.__dict__[LOADED] = _given(row[-1], dialect, read_time)
    return conversation


def answers_of(conversation: Conversation) -> list:
    """Every answer of a conversation, superseded ones too, oldest first: as ``load`` read them with
    it (``Given`` rows), or else (a conversation found another way) its ORM relationship."""
    given = conversation.__dict__.get(LOADED)
    return given if given is not None else conversation.answers


# -- facts and turns -------------------------------------------------------------------------------


def current_answers(conversation: Conversation) -> dict[str, Any]:
    """The answers in force, by step key (a changed answer replaces the earlier one)."""
    return {a.step: a.value for a in answers_of(conversation) if a.superseded_at is None}


def facts_for(conversation: Conversation) -> Facts:
    """Everything the engine may know about this conversation."""
    dialogue = dialogue_for(conversation)
    invitation = conversation.invitation  # None for a worker's reflection or a manager's review
    linked = {}
    for source in dialogue.spec.lists.values():
        if source.dialogue and source.dialogue not in linked:
            other = _latest_conversation(conversation.case_id, source.dialogue)
            linked[source.dialogue] = current_answers(other) if other else {}
    return Facts(
        answers=current_answers(conversation),
        respondent=conversation.respondent,
        name=conversation.person_name or conversation.case.preferred_name,
        easy_read=bool(conversation.easy_read),
        invited_respondent=invitation.respondent if invitation else None,
        invited_name=(invitation.person_name if invitation else None) or conversation.case.preferred_name,
        linked=linked,
        jurisdiction=current_app.config.get("JURISDICTION", "england"),
    )


def _latest_conversation(case_id: int, dialogue_id: str) -> Conversation | None:
    # A finished conversation is preferred: its answers were checked by the person.
    return db.session.scalars(
        select(Conversation)
        .where(Conversation.case_id == case_id, Conversation.dialogue_id == dialogue_id)
        .order_by(Conversation.finished_at.is_(None), Conversation.id.desc())
    ).first()


def reading_settings(conversation: Conversation) -> dict:
    """How the person likes to read: sent with every turn and drawn on every page."""
    return {
        "easy_read": bool(conversation.easy_read),
        "text_size": conversation.text_size or "normal",
        "high_contrast": bool(conversation.high_contrast),
    }


def turn_for(conversation: Conversation, with_history: bool = False) -> dict:
    """The current turn, in the conversation's language; with what was said so far if asked."""
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    key = conversation.state
    walked = dialogue.walk(facts)  # once: the progress, "back", review and history all follow it
    with translating(conversation.language) as tr:
        payload = rendering.turn(dialogue, key, facts, tr, walked)
        if with_history:
            payload["history"] = rendering.history(dialogue, key, facts, tr, walked)
        if dialogue.step(key).sets == "consent":
            payload["privacy"] = privacy(tr, facts)
        if offers_view(conversation, dialogue, key):
            payload["view"] = view_choice(tr, facts, _chosen_view(conversation, key))
    lang = language(conversation.language)
    payload["language"], payload["dir"] = lang.code, lang.dir
    payload["settings"] = reading_settings(conversation)
    if payload.get("picture"):
        payload["picture"] = url_for("static", filename=f"pictures/{payload['picture']}.svg")
    return payload


def privacy(tr, facts: Facts) -> dict:
    """What the opening adds to "Shall we start?": how long the answers are kept (the council's
    ``RETENTION_MONTHS``, which production cannot start without, said in years when it is whole
    years) and the council's privacy notice."""
    months = current_app.config["RETENTION_MONTHS"]
    about = is_representative(facts.respondent)
    kept = _kept_for(tr, months, facts.easy_read, about)
    return {
        "kept": kept,
        "url": current_app.config["PRIVACY_NOTICE_URL"],
        "link": tr.gettext("Read the council's privacy notice (opens in a new tab)"),
    }


def _kept_for(tr, months: int, easy_read: bool, about: bool) -> str:
    """ "The council keeps your answers for 6 years after the enquiry ends", in its right plural;
    in months when the setting is not whole years (18 months is not "1 year")."""
    if months % 12 == 0:
        n = months // 12
        if easy_read and about:
            return tr.ngettext(
                "We keep the answers for %(num)d year.", "We keep the answers for %(num)d years.", n
            )
        if easy_read:
            return tr.ngettext(
                "We keep your answers for %(num)d year.", "We keep your answers for %(num)d years.", n
            )
        if about:
            return tr.ngettext(
                "The council keeps the answers for %(num)d year after the enquiry ends.",
                "The council keeps the answers for %(num)d years after the enquiry ends.",
                n,
            )
        return tr.ngettext(
            "The council keeps your answers for %(num)d year after the enquiry ends.",
            "The council keeps your answers for %(num)d years after the enquiry ends.",
            n,
        )
    n = months
    if easy_read and about:
        return tr.ngettext(
            "We keep the answers for %(num)d month.", "We keep the answers for %(num)d months.", n
        )
    if easy_read:
        return tr.ngettext(
            "We keep your answers for %(num)d month.", "We keep your answers for %(num)d months.", n
        )
    if about:
        return tr.ngettext(
            "The council keeps the answers for %(num)d month after the enquiry ends.",
            "The council keeps the answers for %(num)d months after the enquiry ends.",
            n,
        )
    return tr.ngettext(
        "The council keeps your answers for %(num)d month after the enquiry ends.",
        "The council keeps your answers for %(num)d months after the enquiry ends.",
        n,
    )


# -- whose view an answer gives --------------------------------------------------------------------

# What a representative may say of each answer, question by question (an attorney may know the
# person's wishes on one thing and have only their own view on another). The same values as the
# dialogues' ``view`` step, whose answer is the conversation's view and each question's default.
VIEWS = ("person_supported", "representative_account", "representative_own", "both")


# Questions about the answering itself (who is answering, in which role, why, who was with them):
# the representative's own facts, never the person's view or wishes, so never asked whose view.
ABOUT_THE_ANSWERING = "about_you"


def offers_view(conversation: Conversation, dialogue: Dialogue, key: str) -> bool:
    """Whether the question at ``key`` asks whose view its answer gives: only a representative
    invited to answer (never the person, never staff), only at a question they answer (choice,
    multi, text), and not at the steps that set who is answering, the name, the view or consent,
    nor at the other questions about the answering itself (topic ``about_you``)."""
    if conversation.invitation is None or not is_representative(conversation.respondent):
        return False
    if not dialogue.is_valid_key(key):
        return False
    step = dialogue.step(key)
    return (
        step.kind in ("choice", "multi", "text") and step.sets is None and step.topic != ABOUT_THE_ANSWERING
    )


def _chosen_view(conversation: Conversation, key: str) -> str | None:
    """What the control shows chosen: this question's own answer's view (after Back or Change),
    else what an answer given now would store (the conversation's view)."""
    for given in answers_of(conversation):
        if given.step == key and given.superseded_at is None and given.view in VIEWS:
            return given.view
    default = _view_of(conversation)
    return default if default in VIEWS else None


class _Placeholders(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _with_name(tr, text: str, facts: Facts) -> str:
    """``text`` (translated) with ``{name}`` filled as the dialogue's own texts are: the person's
    name, or "the person" in the language; isolated in a right-to-left language, and in Welsh the
    fallback "y person" takes the article its place needs."""
    name = facts.name or tr.gettext("the person")
    if getattr(tr, "language", None) == "cy" and not facts.name:
        text = rendering.welsh_person(text, name)
    if getattr(tr, "rtl", False):
        name = rendering.isolate(name)
    return text.format_map(_Placeholders(name=name))


def view_choice(tr, facts: Facts, chosen: str | None) -> dict:
    """The turn's ``view``: the question, its four answers, and the one chosen to begin with."""
    return {
        "question": tr.gettext("Whose view is this answer?"),
        "options": [
            {
                "value": "person_supported",
                "label": _with_name(tr, tr.gettext("{name}'s own view, they told me"), facts),
            },
            {
                "value": "representative_account",
                "label": _with_name(tr, tr.gettext("What I understand {name} wants"), facts),
            },
            {"value": "representative_own", "label": tr.gettext("My own view")},
            {
                "value": "both",
                "label": _with_name(tr, tr.gettext("Both: what {name} told me, and my own view"), facts),
            },
        ],
        "chosen": chosen,
    }


# -- answering -------------------------------------------------------------------------------------


def answer(
    conversation_id: int,
    client_id: Any,
    key: Any,
    value: Any,
    loaded: Conversation | None = None,
    view: Any = None,
) -> Result:
    """Check and store one answer and move on, all in one committed transaction.

    ``loaded``: the conversation as the caller loaded it (``load``) for this same event, used as it
    is unless something has expired it since (a commit): then it is loaded again.
    ``view``: whose view the answer gives, said by a representative at this question (one of
    ``VIEWS``, only where ``offers_view``); None: the conversation's view. Anything else, and a view
    from anyone the question does not ask it of (the person themself, staff), is ``malformed``."""
    if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_ID_LENGTH or not is_unicode(client_id):
        return Result(False, "malformed")
    if not isinstance(key, str) or len(key) > MAX_STEP_LENGTH:
        return Result(False, "malformed")
    if view is not None and (not isinstance(view, str) or view not in VIEWS):
        return Result(False, "malformed")
    conversation = loaded if still_loaded(loaded, conversation_id) else load(conversation_id)
    if conversation is None:
        return Result(False, "closed")
    # Every answer of the conversation, superseded ones too, came with it: a retried id is among them.
    earlier = next((a for a in answers_of(conversation) if a.client_id == client_id), None)
    if earlier is not None:
        return _retried(conversation, earlier, key, value, view)
    if not is_open(conversation):
        return Result(False, "closed")
    if key != conversation.state:
        return Result(False, "not_current")
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    if view is not None and not offers_view(conversation, dialogue, key):
        return Result(False, "malformed")  # nobody asked them whose view it is: never stored
    try:
        stored = check_value(dialogue, key, facts, value, current_app.config["MAX_TEXT_LENGTH"])
    except InvalidAnswer as exc:
        return Result(False, exc.code)

    step = dialogue.step(key)
    now = utcnow()
    changes: dict[str, Any] = {}
    _apply_sets(conversation, step.sets, stored, now, changes)
    superseded = [a for a in answers_of(conversation) if a.step == key and a.superseded_at is None]
    item = dialogue.item(key, facts)
    given = dict(
        conversation_id=conversation.id,
        step=key,
        value=stored,
        about=item.text if item else None,
        view=view or _view_of(conversation),
        respondent=conversation.respondent,
        language=conversation.language,
        client_id=client_id,
        answered_at=now,
        superseded_at=None,
    )
    facts.answers[key] = stored
    facts.respondent = conversation.respondent
    facts.name = conversation.person_name or conversation.case.preferred_name
    _move_on(conversation, dialogue, facts, key, now, changes)
    try:
        _write(conversation, changes, superseded, given, now)
        if dialogue.spec.follow_ups:
            followups.sync(conversation, dialogue, dialogue.follow_ups(facts))
    except StaleDataError:
        db.session.rollback()
        return Result(False, "busy")
    except IntegrityError:
        db.session.rollback()
        return _raced(conversation_id, client_id, key, value, view)
    except SQLAlchemyError as exc:
        return _not_saved(exc)
    return _commit(conversation.id, client_id, key, value, view)


def still_loaded(conversation: rows.LoadedConversation | None, conversation_id: int) -> bool:
    """Whether ``conversation`` is the one ``load`` read for this event (this session), as it was
    read or as this event has since written it (``save``, ``_write``: each keeps what it wrote).
    A caller whose write failed (rolled back) loads again rather than pass it on."""
    return (
        isinstance(conversation, rows.LoadedConversation)
        and isinstance(conversation_id, int)
        and conversation.id == conversation_id
        and conversation.__dict__.get("_loaded_in") is db.session()
    )


def _stored(conversation_id: int, client_id: str) -> Answer | None:
    return db.session.scalar(
        select(Answer).where(Answer.conversation_id == conversation_id, Answer.client_id == client_id)
    )


def _retried(conversation: Conversation, earlier: Answer, key: str, value: Any, view: str | None) -> Result:
    """An ``id`` already stored: a true retry (same step, same value, same view) is ``ok`` and
    stored once; the same ``id`` with another step, value or view is refused as ``conflict``, and
    nothing changes."""
    if (
        earlier.step == key
        and _same_view(conversation, earlier, view)
        and _same_value(conversation, earlier, value)
    ):
        return Result(True, duplicate=True)
    return Result(False, "conflict")


def _same_view(conversation: Conversation, earlier: Answer, view: str | None) -> bool:
    """Whether a retry gives the view that was stored. One that says none means what a new answer
    would store, the conversation's view, at a question that asks whose view it is; where none is
    asked (the person's own answers, who is answering, the name, the view itself), the stored view
    was never part of what was sent, and a view sent there could never have been stored."""
    asked = offers_view(conversation, dialogue_for(conversation), earlier.step)
    if view is not None:
        return asked and view == earlier.view
    return not asked or _view_of(conversation) == earlier.view


def _same_value(conversation: Conversation, earlier: Answer, value: Any) -> bool:
    """Whether ``value`` is what was stored, once normalised as it was then (text trimmed, line
    breaks made one form, repeats in a list dropped, an empty optional answer stored as nothing)."""
    if value == earlier.value:
        return True
    dialogue = dialogue_for(conversation)
    if not dialogue.is_valid_key(earlier.step):
        return False
    try:
        stored = check_value(
            dialogue, earlier.step, facts_for(conversation), value, current_app.config["MAX_TEXT_LENGTH"]
        )
    except InvalidAnswer:
        return False
    return stored == earlier.value


def _change(conversation: Conversation, changes: dict[str, Any], **values: Any) -> None:
    """Set ``values`` on the loaded conversation as they will be written (``_write``), and note them."""
    rows.keep(conversation, **values)
    changes.update(values)


def _apply_sets(
    conversation: Conversation, sets: str | None, value: Any, now: datetime, changes: dict
) -> None:
    if sets == "consent" and value is not None:
        _change(conversation, changes, consent=value, consent_at=now)
    elif sets == "respondent" and value is not None:
        _change(conversation, changes, respondent=value)
    elif sets == "name" and value:
        _change(conversation, changes, person_name=value[:120])
    elif sets == "view" and value:
        _change(conversation, changes, view=value)


def _view_of(conversation: Conversation) -> str:
    """Whose view an answer gives: the person's own, or the representative's (and which)."""
    if conversation.respondent == "staff":
        return "staff"
    if conversation.respondent == "self":
        return "person"
    if conversation.respondent == "self_helped":  # the person's own answers, with someone helping
        return "person_supported"
    if is_representative(conversation.respondent):
        return conversation.view or "representative_own"
    return "unknown"


def _move_on(conversation, dialogue: Dialogue, facts: Facts, key: str, now: datetime, changes: dict) -> None:
    step = dialogue.step(key)
    nxt = dialogue.next_key(key, facts)
    if conversation.changing and step.kind != "review" and nxt is not None:
        # Changing from "check your answers": go back there, unless the change opened new questions.
        nxt = dialogue.walk(facts, start=nxt)[-1]
    if (nxt is None or dialogue.step(nxt).kind == "review") and conversation.changing:
        _change(conversation, changes, changing=False)
    if step.kind == "review":
        _change(conversation, changes, finished_at=now)
    _change(conversation, changes, state=nxt or key, updated_at=now)


# The statements an answer writes, built once (building one and computing its cache key cost more
# than running it): the conversation's update for each set of columns an answer changes (a handful
# of sets: the state and time always, sometimes consent, who is answering, the name or the view).
_MOVES: dict[frozenset, Any] = {}
_SUPERSEDE = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id.in_(bindparam("ids", expanding=True)))
    .values(superseded_at=bindparam("now"))
)
_INSERT_ANSWER = insert(_ANSWERS)


def _move(columns: frozenset):
    statement = _MOVES.get(columns)
    if statement is None:
        statement = _MOVES[columns] = (
            update(_CONVERSATIONS)
            .where(
                _CONVERSATIONS.c.id == bindparam("row_id"),
                _CONVERSATIONS.c.version == bindparam("row_version"),
            )
            .values({name: bindparam(f"new_{name}") for name in sorted(columns)})
        )
    return statement


def save(conversation: rows.LoadedConversation, **changes: Any):
    """Write ``changes`` to the conversation's row in this transaction, its version checked and
    moved on as the unit of work would (``StaleDataError`` if another device, tab or process moved
    it first: nothing written), and keep them on the loaded conversation. The caller commits.
    Returns the session's connection it wrote on, for the caller's further statements."""
    version = conversation.version
    changes = {**changes, "version": version + 1}
    params = {f"new_{name}": value for name, value in changes.items()}
    # On the session's connection, not through ``Session.execute``: these are plain statements on
    # tables, and the session's execution path (its events, options and ORM checks) cost more than
    # running them. What that path would have done for a write, taking this process's write turn
    # on SQLite, is done here first.
    write_turns.take(db.session())
    connection = db.session.connection()
    moved = connection.execute(
        _move(frozenset(changes)), {**params, "row_id": conversation.id, "row_version": version}
    )
    if moved.rowcount != 1:
        raise StaleDataError("the conversation was moved on by another request")
    rows.keep(conversation, **changes)
    return connection


def _write(
    conversation: rows.LoadedConversation, changes: dict, superseded: list[Given], given: dict, now: datetime
) -> None:
    """Write an answer and where it leaves the conversation as three plain statements, and keep the
    loaded objects as written, instead of through the unit of work: a flush of these few rows cost
    about a millisecond of a turn's CPU (ordering, dependency and history bookkeeping), and this is
    the one write every answer makes."""
    connection = save(conversation, **changes)
    if superseded:
        connection.execute(_SUPERSEDE, {"ids": [a.id for a in superseded], "now": now})
        for earlier in superseded:
            earlier.superseded_at = now
    inserted = connection.execute(_INSERT_ANSWER, given)
    # The loaded answers, as written (``answer`` works on a conversation ``load`` read).
    columns = {column.name: given[column.name] for column in _GIVEN_COLUMNS[1:]}
    conversation.__dict__[LOADED].append(Given(id=inserted.inserted_primary_key[0], **columns))


def _commit(conversation_id: int, client_id: str, key: str, value: Any, view: str | None) -> Result:
    # What was committed is kept as written (not expired): the version check has just proved the row
    # is what this session holds, so the turn that follows can be drawn from it without a reload.
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _raced(conversation_id, client_id, key, value, view)
    except StaleDataError:
        db.session.rollback()
        return Result(False, "busy")
    except SQLAlchemyError as exc:
        return _not_saved(exc)
    finally:
        session.expire_on_commit = expire
    return Result(True)


def _raced(conversation_id: int, client_id: str, key: str, value: Any, view: str | None) -> Result:
    # The same id arrived twice at once (a retry racing the original): stored once.
    earlier = _stored(conversation_id, client_id)
    if earlier is not None:
        return _retried(load(conversation_id), earlier, key, value, view)
    return Result(False, "busy")


def _not_saved(exc: SQLAlchemyError) -> Result:
    """The database refused or could not be reached: nothing was saved, and the person is told so."""
    db.session.rollback()
    if isinstance(exc, BUSY):
        busy_log.note(log, exc)  # overload: counted, one line now and then
    else:
        log.error("commit failed: %s", type(exc).__name__)  # the type only: no answer text in logs
    return Result(False, "unavailable")


def back(conversation_id: int) -> Result:
    """Step back to the previous question, keeping its answer to show again."""
    conversation = load(conversation_id)
    if not is_open(conversation):
        return Result(False, "closed")
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    previous = dialogue.previous_key(conversation.state, facts)
    if previous is None:
        return Result(True)  # already at the start: nothing to do, nothing wrong
    return _commit_move(conversation, state=previous, updated_at=utcnow())


def change(conversation_id: int, key: Any) -> Result:
    """From "check your answers", go to one answer to change it."""
    conversation = load(conversation_id)
    if not is_open(conversation):
        return Result(False, "closed")
    dialogue, facts = dialogue_for(conversation), facts_for(conversation)
    if dialogue.step(conversation.state).kind != "review":
        return Result(False, "not_current")
    route = dialogue.walk(facts)
    # Only what "check your answers" lists may be changed from it: not "Shall we start?", whose
    # "not now" there would end the conversation from a page that is about checking answers.
    if not isinstance(key, str) or key not in route or not dialogue.step(key).in_review:
        return Result(False, "not_current")
    return _commit_move(conversation, state=key, changing=True, updated_at=utcnow())


def _commit_move(conversation: rows.LoadedConversation, **changes: Any) -> Result:
    try:
        save(conversation, **changes)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return Result(False, "busy")
    except SQLAlchemyError as exc:
        return _not_saved(exc)
    return Result(True)
