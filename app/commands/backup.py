"""Commands: backup (being written)."""

COMMANDS: list = []
