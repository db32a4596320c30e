"""What is particular to the council running the app: the jurisdiction it works under (England or
Wales, ``JURISDICTION``).

It is checked when the app starts (``init_app``): an unknown jurisdiction stops the app with a
message naming the setting, as a missing one does in production.
"""

from __future__ import annotations

from flask import Flask, current_app

from config import JURISDICTIONS


def init_app(app: Flask) -> None:
    """Check the jurisdiction, in every mode: a mistyped one would silently give England's help
    lines and no Welsh to a person in Wales."""
    from . import ConfigurationError

    jurisdiction = app.config.get("JURISDICTION")
    if jurisdiction not in JURISDICTIONS:
        raise ConfigurationError(
            f"cannot start: JURISDICTION={jurisdiction!r} is not one of {', '.join(JURISDICTIONS)} "
            "(see README, Settings)"
        )


def jurisdiction() -> str:
    """The jurisdiction in force: "england" or "wales" (checked at start)."""
    return current_app.config["JURISDICTION"]


def in_wales() -> bool:
    """Whether the council works under Welsh law, with its duties to the Welsh language."""
    return jurisdiction() == "wales"
