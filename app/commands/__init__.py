"""The records commands (``flask --app app rotate-keys``, ``retention``, ``backup`` …), a module per
concern; ``app.cli`` registers ``all_commands()`` with the others."""

from __future__ import annotations


def all_commands() -> list:
    from . import backup, keys, report, retention

    return [*keys.COMMANDS, *retention.COMMANDS, *backup.COMMANDS, *report.COMMANDS]
