"""Guessing access codes is slowed: wrong codes are counted per address and in total across everyone,
in Flask-Limiter's storage (RATELIMIT_STORAGE_URI: a Redis shares the count between processes).

Only a wrong code is counted, so it costs the guesser, not the person: someone else's guessing from
another address never refuses the right code, and a person who mistypes a few times carries on. Once
an address (or everyone together) has used up its tries, every code from it is refused until the
minute is over, the right one too; otherwise the answer would still tell a guesser which code is
right. Used by the typed code, the invitation link and a socket that connects with a code.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_limiter.util import get_remote_address
from limits import parse

from .. import limiter

SCOPE = "access-code"
EVERYONE = "everyone"


def _limits():
    config = current_app.config
    return parse(config["ACCESS_CODE_LIMIT_PER_ADDRESS"]), parse(config["ACCESS_CODE_LIMIT_TOTAL"])


def _keys(who: str) -> list[str]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [prefix, SCOPE, who] if prefix else [SCOPE, who]


def may_try() -> bool:
    """Whether this request's address may try a code now (neither it nor everyone is out of tries)."""
    if not limiter.enabled:
        return True
    per_address, total = _limits()
    return limiter.limiter.test(per_address, *_keys(get_remote_address())) and limiter.limiter.test(
        total, *_keys(EVERYONE)
    )


def wrong_code() -> None:
    """Count one wrong code against this request's address and against the total."""
    if not limiter.enabled:
        return
    per_address, total = _limits()
    limiter.limiter.hit(per_address, *_keys(get_remote_address()))
    limiter.limiter.hit(total, *_keys(EVERYONE))


def too_many_tries() -> str:
    """What the person reads when codes from here are refused for a while."""
    return gettext(
        "Too many tries. Please wait a minute and try again, or ask the person who gave you the code."
    )
