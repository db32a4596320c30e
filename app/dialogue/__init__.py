"""The dialogue engine: load and validate YAML dialogues, move through them, render turns.

Knows nothing of Flask, Socket.IO or the database, so it is tested in plain pytest and reused by the
Babel extractor.
"""

from .engine import Dialogue, Facts, Item, Registry, make_key, split_key
from .spec import DialogueError, DialogueSpec, Step, load_dialogue

__all__ = [
    "Dialogue", "DialogueError", "DialogueSpec", "Facts", "Item", "Registry", "Step",
    "load_dialogue", "make_key", "split_key",
]  # fmt: skip
