"""The person's conversation: pages (plain forms, enhanced into a chat) and the /chat socket."""

from flask import Blueprint

bp = Blueprint("conversation", __name__, template_folder="../templates")

from . import events, routes  # noqa: E402,F401  (registers the handlers on bp and socketio)
