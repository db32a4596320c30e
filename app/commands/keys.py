"""Commands: keys (being written)."""

COMMANDS: list = []
