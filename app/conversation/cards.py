"""The live chat's question cards, drawn once for each different turn and kept for the next.

A card is a pure function of its turn (the service's payload, every text in it already translated)
and the conversation's language (the template's own few words): the same turn always draws the same
HTML. Drawing one is most of the cost of sending a turn (Jinja walks the whole card template), and
the same question in the same language is sent again and again: to every person who reaches it, and
to each of them after every refresh or reconnection. So the drawn card is kept, keyed by exactly
what it is drawn from, and a turn seen before is sent the card already drawn for it.

Nothing another process could not rebuild is held: a card missing from one process's memory is drawn
again there. The keys hold what the turns hold (a person's name, an answer shown again after Back),
as every turn does in this process's memory while it is sent; only the last ``SIZE`` are kept.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable

SIZE = 512  # cards kept per app: about a megabyte at most; a part's questions in a few languages


class Cards:
    """The last ``size`` cards drawn, by turn and language; a thread-safe LRU."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._drawn: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def card(self, turn: dict, language: str, draw: Callable[[], str]) -> str:
        """The card for ``turn`` in ``language``: kept, or ``draw()``-n now and kept."""
        # Sorted keys: two turns equal as values are one key whatever order their keys were made in.
        key = (language, json.dumps(turn, sort_keys=True, separators=(",", ":")))
        with self._lock:
            found = self._drawn.get(key)
            if found is not None:
                self._drawn.move_to_end(key)
                self.hits += 1
                return found
        drawn = draw()  # outside the lock: two threads may draw the same card once each, harmlessly
        with self._lock:
            self.misses += 1
            self._drawn[key] = drawn
            self._drawn.move_to_end(key)
            while len(self._drawn) > self.size:
                self._drawn.popitem(last=False)
        return drawn

    def __len__(self) -> int:
        return len(self._drawn)
