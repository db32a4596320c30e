"""The dialogue engine: load and validate YAML dialogues, move through them, render turns.

Knows nothing of Flask, Socket.IO or the database, so it is tested in plain pytest and reused by the
Babel extractor.
"""

from .conditions import is_representative
from .engine import Dialogue, Facts, Item, Registry, make_key, split_key
from .load import load_dialogue, load_dialogues
from .spec import DialogueError, DialogueSpec, Problem, Step

__all__ = [
    "Dialogue",
    "DialogueError",
    "DialogueSpec",
    "Facts",
    "Item",
    "Problem",
    "Registry",
    "Step",
    "is_representative",
    "load_dialogue",
    "load_dialogues",
    "make_key",
    "split_key",
]
