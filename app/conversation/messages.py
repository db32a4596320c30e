"""Calm, plain messages for every error code the services return."""

from flask import current_app
from flask_babel import gettext


def error_message(code: str | None) -> str:
    """The message a person reads for an error code, in the current language."""
    if code == "too_long":
        return gettext("Your answer is too long. Please keep it under {max} characters.").format(
            max=current_app.config["MAX_TEXT_LENGTH"]
        )
    messages = {
        "required": gettext("Please answer this question to carry on."),
        "not_an_option": gettext("Please choose from the options shown."),
        "not_text": gettext("Please type your answer as words."),
        "no_answer_expected": gettext("There is nothing to answer here. Please press Continue."),
        "not_current": gettext("That question has moved on. Here is where you are now."),
        "conflict": gettext(
            "This answer was already sent differently, so nothing has been changed. "
            "Here is where you are now."
        ),
        "closed": gettext("This conversation cannot be continued. Please ask your worker for a new link."),
        "busy": gettext("We could not save that just now. Please try again."),
        "changed": gettext(
            "This page changed while you were on it (perhaps in another tab), so nothing was saved "
            "from it. Here it is again, as it is now."
        ),
        "unavailable": gettext(
            "We could not save that just now. Nothing is lost: please try again in a moment."
        ),
        "not_a_language": gettext("Please choose one of the languages shown."),
        "malformed": gettext("We could not read that answer. Please try again."),
        "finished": gettext("You have finished. Thank you."),
    }
    return messages.get(code, gettext("Something went wrong. Please try again."))


def refused_message() -> str:
    """The one message for any code that cannot be used, whatever the reason."""
    return gettext(
        "This link or code cannot be used. It may be mistyped, out of date or already used. "
        "Please ask your worker for a new one."
    )
