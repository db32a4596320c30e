"""Commands: retention (being written)."""

COMMANDS: list = []
