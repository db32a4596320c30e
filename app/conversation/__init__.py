"""The person's conversation: pages (plain forms, enhanced into a chat) and the /chat socket."""

from . import events  # noqa: F401  (registers the socket handlers)
from .routes import bp

__all__ = ["bp"]
