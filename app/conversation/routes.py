"""Pages for the person: the start page, the invitation link, and one question per page.

These plain HTML forms work with no JavaScript at all; the chat script (``static/js/chat.js`` and its
modules, sent as one bundle) turns the same page into a live chat. Both call ``services``, so there
is one path for every answer.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy.orm.exc import StaleDataError

from .. import council, csrf, db
from . import preferences, services, sessions, throttle
from .messages import error_message, refused_message

bp = Blueprint("conversation", __name__, template_folder="../templates")


@bp.record_once
def _council_settings(state) -> None:
    """The council's jurisdiction is checked as the app is made (this blueprint is registered in
    ``create_app``): a wrong one stops start-up, like a missing setting in production."""
    council.init_app(state.app)


@bp.get("/")
def start():
    """Where a person types the code they were given; in Wales, Welsh is offered first."""
    return _start_page()


def _start_page(**context) -> str:
    """The start page. In Wales, until this browser has answered it, it opens with the Active Offer:
    Welsh or English, asked in Welsh first, before anything else."""
    offer = None if session.get("welsh_offer") else _welsh_offer()
    return render_template("start.html", welsh_offer=offer, **context)


def _welsh_offer() -> list | None:
    """Wales: the offer of Welsh in Welsh, then in English (each from its own catalogue)."""
    if not council.in_wales():
        return None
    return council.welsh_and_english(
        lambda: {
            "question": gettext("Would you like to use Welsh or English?"),
            "change": gettext("You can change the language at any time."),
        }
    )


@bp.post("/start")
def start_with_code():
    """Open a conversation from a typed code."""
    if not throttle.may_try():  # too many wrong codes from here, or from everyone, this minute
        return _too_many_tries()
    code = request.form.get("code", "")
    conversation = services.open_by_code(code)
    if conversation is None:
        throttle.wrong_code()
        return _start_page(error=refused_message()), 400
    _open(conversation)
    return redirect(url_for(".chat"))


@bp.get("/s/<code>")
def open_link(code: str):
    """The invitation link: open the conversation, then leave the code out of the address bar."""
    if not throttle.may_try():
        return _too_many_tries()
    conversation = services.open_by_code(code)
    if conversation is None:
        throttle.wrong_code()
        return _start_page(error=refused_message()), 404
    _open(conversation)
    return redirect(url_for(".chat"))


def _open(conversation) -> None:
    """Open the conversation in this browser. A language chosen at the start page's offer of Welsh
    (Wales) is the answer to it, recorded on the case, and the conversation speaks it."""
    # Read first: opening clears the cookie session. The first choice answered the offer; the
    # latest (the picker, afterwards) is the language the person wants now.
    chosen, latest = session.get("welsh_offer"), session.get("lang")
    sessions.open_in(session, conversation)  # a fresh cookie session: no fixation
    if chosen and council.in_wales():
        preferences.answer_welsh_offer(conversation.id, chosen)
        if latest != chosen and latest in current_app.config["LANGUAGES"]:
            preferences.set_language(conversation.id, latest)
        session["lang"] = latest or chosen


def _too_many_tries():
    return _start_page(error=throttle.too_many_tries()), 429, {"Retry-After": "60"}


def _current():
    """This browser's conversation, if its session is still valid; the page speaks its language."""
    conversation = services.load(session.get("conversation_id"))
    if conversation is None:
        return None
    if conversation.finished_at is None and not sessions.valid(conversation, session.get("token")):
        g.refused = not services.is_open(conversation)
        g.timed_out = not g.refused and sessions.is_idle(conversation)
        session.clear()
        return None
    g.page_lang = conversation.language
    _remember_reading(conversation)
    if conversation.finished_at is None:
        sessions.touch(conversation)
    return conversation


def _remember_reading(conversation) -> None:
    """Every page of this conversation (help, stopped, finished too) keeps the person's settings."""
    g.reading = services.reading_settings(conversation)


@bp.app_context_processor
def _reading_settings() -> dict:
    return {"settings": g.reading} if g.get("reading") else {}


def _holds_session(conversation) -> bool:
    token = session.get("token")
    return bool(token) and token == conversation.session_token


def _gone():
    """Where a browser without a valid session goes: the start page, saying why if it timed out."""
    if g.get("refused"):
        return _start_page(error=refused_message()), 403
    if g.get("timed_out"):
        return _start_page(notice=_timed_out_notice())
    return redirect(url_for(".start"))


def _timed_out_notice() -> str:
    return gettext(
        "For your privacy, we closed the page after {minutes} minutes without activity. "
        "Your answers are saved. To carry on, type your code or open your link again."
    ).format(minutes=current_app.config["SESSION_IDLE_MINUTES"])


@bp.get("/chat")
def chat():
    """The current question as a page; the chat script takes over when JavaScript runs."""
    conversation = _current()
    if conversation is None:
        return _gone()
    if conversation.finished_at is not None:
        turn = services.turn_for(conversation, with_history=False)
        session.clear()  # the conversation is done: nothing more to open from this browser
        return render_template("finished.html", turn=turn)
    if not services.is_open(conversation):
        session.clear()
        return _start_page(error=refused_message()), 403
    if preferences.welsh_offer_pending(conversation):
        # Wales: a person who came by the link (or was handed the tablet) is offered Welsh before
        # the first question, once for the case.
        return render_template("start.html", welsh_offer=_welsh_offer(), in_conversation=True)
    return _question_page(conversation)


def _question_page(conversation, error: str | None = None, status: int = 200, notice: str | None = None):
    """The current question as a page. ``error``: what was wrong with the answer just sent (shown
    as an error); ``notice``: that the page has moved on meanwhile, nothing wrong (shown calmly)."""
    turn = services.turn_for(conversation, with_history=True)
    return (
        render_template(
            "chat.html",
            turn=turn,
            error=error,
            notice=notice,
            answer_id=str(uuid.uuid4()),
            settings=turn["settings"],
            text_sizes=preferences.TEXT_SIZES,
            idle_seconds=int(sessions.idle_limit().total_seconds()),
        ),
        status,
    )


def _form_value(kind: str):
    if request.form.get("action") == "skip":
        return None
    if kind == "multi":
        return request.form.getlist("value")
    if kind in ("none",):
        return None
    value = request.form.get("value")
    return value if value not in (None, "") else None


@bp.post("/chat/answer")
def answer():
    """Store one answer from the plain form, then show the next question."""
    conversation = _current()
    if conversation is None or not services.is_open(conversation):
        return _gone() if conversation is None else redirect(url_for(".chat"))
    kind = request.form.get("kind", "")
    result = services.answer(
        conversation.id,
        request.form.get("id"),
        request.form.get("step"),
        _form_value(kind),
        view=request.form.get("view"),  # the card's "Whose view is this answer?", for a representative
    )
    if not result.ok:
        # A stale form (another tab, the browser's Back) is "not current", and a save that lost a
        # race with another tab "busy": either way, show where they are now (409), said calmly.
        if result.error in ("not_current", "busy"):
            said = "not_current" if result.error == "not_current" else "changed"
            return _question_page(services.load(conversation.id), status=409, notice=error_message(said))
        return _question_page(services.load(conversation.id), error_message(result.error), 400)
    return redirect(url_for(".chat"))


@bp.errorhandler(StaleDataError)
def _changed_meanwhile(_error):
    """A save that lost a race with another tab's (language, settings): nothing from this request
    was saved; the page again as it now is, with a calm word, never a server error."""
    db.session.rollback()
    conversation = _current()
    if conversation is None:
        return _gone()
    if conversation.finished_at is not None or not services.is_open(conversation):
        return redirect(url_for(".chat"))
    return _question_page(conversation, status=409, notice=error_message("changed"))


@bp.post("/chat/back")
def back():
    """Go back one question."""
    conversation = _current()
    if conversation is None:
        return _gone()
    services.back(conversation.id)
    return redirect(url_for(".chat"))


@bp.post("/chat/change")
def change():
    """Change one answer from the check-your-answers page."""
    conversation = _current()
    if conversation is None:
        return _gone()
    result = services.change(conversation.id, request.form.get("step"))
    if not result.ok and result.error == "closed":
        abort(403)
    return redirect(url_for(".chat"))


# -- language, reading settings, help and leaving ---------------------------------------------------


@bp.post("/language")
def choose_language():
    """The language picker: for the conversation if one is open, else for the start page. In Wales,
    the first language chosen while Welsh is being offered answers the offer (Welsh accepted, or
    another language chosen)."""
    lang = request.form.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    conversation = _current()
    if conversation is None:
        if council.in_wales() and not session.get("welsh_offer"):
            session["welsh_offer"] = lang  # recorded on the case when a code opens it
        return redirect(url_for(".start"))
    if preferences.welsh_offer_pending(conversation):
        preferences.answer_welsh_offer(conversation.id, lang)
    else:
        preferences.set_language(conversation.id, lang)
    return redirect(url_for(".chat"))


@bp.post("/chat/settings")
def change_settings():
    """Easy Read, text size and high contrast, from the plain form."""
    conversation = _current()
    if conversation is None:
        return _gone()
    changes = {}
    if "easy_read" in request.form:
        changes["easy_read"] = request.form["easy_read"] == "on"
    if "high_contrast" in request.form:
        changes["high_contrast"] = request.form["high_contrast"] == "on"
    if request.form.get("text_size") in preferences.TEXT_SIZES:
        changes["text_size"] = request.form["text_size"]
    if changes:
        preferences.change_settings(conversation.id, changes)
    return redirect(url_for(".chat"))


@bp.get("/help")
def help_page():
    """Who to contact, reachable from every page without recording anything."""
    conversation = _current()
    return render_template(
        "help.html", contacts=preferences.help_contacts(), in_conversation=conversation is not None
    )


@bp.post("/chat/help")
def ask_for_help():
    """ "I need help now": an urgent signal for the team, then what is true of it, and the contacts."""
    conversation = _current()
    result = None
    if conversation is not None:
        easy_read = bool(conversation.easy_read)
        result = preferences.ask_for_help(conversation.id)
    return render_template(
        "help.html",
        contacts=preferences.help_contacts(),
        in_conversation=conversation is not None,
        notice=preferences.help_notice(result, easy_read) if result else [],
    )


@bp.post("/stop")
def stop():
    """Stop for now: end this browser's session; the answers stay and the code still works."""
    conversation = services.load(session.get("conversation_id"))
    if conversation is not None and _holds_session(conversation):
        _remember_reading(conversation)
        sessions.end(conversation, reason="stop")
    session.clear()
    return render_template("stopped.html")


@bp.post("/exit")
@csrf.exempt  # leaving must always work, even from a page whose form token has gone stale
def exit_page():
    """ "Exit this page": end the session everywhere and go to a neutral page at once."""
    conversation = services.load(session.get("conversation_id"))
    if conversation is not None and _holds_session(conversation):
        sessions.end(conversation, reason="exit")
    session.clear()
    return redirect(current_app.config["EXIT_URL"], code=303)
