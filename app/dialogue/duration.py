"""How long a conversation takes, measured from its dialogue: what a dialogue's ``{duration}`` says.

The time is the words a person reads on the way and the questions they answer, at a gentle pace,
along the longest way their answers may take (every branch that adds a question taken; a list read
back once per item it holds), for who is answering (the person, or someone answering for them) and
at their reading level (Easy Read has its own, shorter lines). It is rounded up, never down: telling
someone at risk that it is quicker than it is would be untrue reassurance.

The pace is set below, each figure with its reason: the people answering may be distressed, have
a learning disability, read in a second language or with a screen reader, or type slowly on a phone.
``measure`` gives the questions, words and minutes of the longest way, for the notes that state them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

from .conditions import is_representative
from .engine import Dialogue, Facts

# Reading: half the usual adult pace for reading to understand (about 200-240 words a minute).
READING_WPM = 100
# Easy Read: a quarter slower again, for readers who take in each word, and the picture with it.
EASY_READ_WPM = 75
# A choice (one or several options): to think about the question, decide, tap and press Continue.
# The options' words are counted as reading.
CHOICE_SECONDS = 40
# Writing: the same thinking, then a short answer of about 10 words typed at 12 words a minute, a
# third of the usual pace on a phone (about 36), for slow or unsteady typing.
TYPED_WORDS = 10
TYPING_WPM = 12
TEXT_SECONDS = CHOICE_SECONDS + TYPED_WORDS * 60 / TYPING_WPM
# "Check your answers" shows every question again with its answer: the question's words, and this
# many for the answer.
ANSWER_WORDS = 5

# How "{duration}" is counted while measuring: "about N minutes".
DURATION_WORDS = 3


@dataclass(frozen=True)
class Measure:
    """One way through a dialogue: the questions asked, the words read, and the time they take."""

    questions: int
    words: int
    seconds: float

    @property
    def minutes(self) -> int:
        """The time as a dialogue says it: rounded up (see ``rounded``)."""
        return rounded(self.seconds)


def rounded(seconds: float) -> int:
    """Minutes, rounded up: to the whole minute up to 10, then up to a multiple of 5. Never down."""
    whole = max(1, math.ceil(seconds / 60))
    return whole if whole <= 10 else 5 * math.ceil(whole / 5)


def measure(
    dialogue: Dialogue, easy_read: bool = False, respondent: str | None = "self", facts: Facts | None = None
) -> Measure:
    """The longest way through a dialogue from its start: for the person answering for themselves
    (``respondent="self"``), for someone answering for them ("representative"), or for whoever
    it may be (None); in Easy Read or not. ``facts``: what is known before anything is answered
    (the invitation, the answers of the case's other conversations that lists read); its answers are
    not used."""
    facts = replace(facts or Facts(), answers={}, easy_read=easy_read)
    longest = None
    for route in dialogue.routes(facts, respondent=respondent):
        found = _measured(dialogue, route, easy_read)
        if longest is None or found.seconds > longest.seconds:
            longest = found
    return longest or Measure(0, 0, 0.0)


def minutes(dialogue: Dialogue, facts: Facts) -> int:
    """What ``{duration}`` says for this conversation, in minutes: the longest way from the start
    for who is answering (whoever it may be, until it is known), at their reading level, whatever
    they have answered so far (so it says the same each time it is shown)."""
    respondent = None
    if facts.respondent:
        respondent = "representative" if is_representative(facts.respondent) else "self"
    known = _CACHE.setdefault(dialogue, {})
    key = _cache_key(dialogue, facts, respondent)
    found = known.get(key)
    if found is None:
        found = measure(dialogue, facts.easy_read, respondent, facts).minutes
        if len(known) >= _CACHE_SIZE:
            known.clear()
        known[key] = found
    return found


# The time depends only on the dialogue, who answers, the reading level, the invitation and the
# lists read from other conversations: kept per those, since every welcome says it.
_CACHE: WeakKeyDictionary[Dialogue, dict[tuple, int]] = WeakKeyDictionary()
_CACHE_SIZE = 1024


def _cache_key(dialogue: Dialogue, facts: Facts, respondent: str | None) -> tuple:
    linked = tuple(
        (name, tuple(item.text for item in dialogue.items(name, facts)))
        for name, source in dialogue.spec.lists.items()
        if source.dialogue is not None
    )
    name = len((facts.name or "").split())
    invited = (facts.invited_respondent, bool(facts.invited_name))
    return (respondent, facts.easy_read, *invited, name, linked, facts.jurisdiction)


def _measured(dialogue: Dialogue, route: list[tuple[str, Facts]], easy_read: bool) -> Measure:
    questions, words, seconds = 0, 0, 0.0
    asked: list[tuple[str, Facts]] = []
    for key, facts in route:
        step = dialogue.step(key)
        words += _words_at(dialogue, key, facts)
        if step.kind == "review":
            words += sum(_words(dialogue.question(k, f), dialogue, k, f) + ANSWER_WORDS for k, f in asked)
        if step.is_question:
            questions += 1
            if step.in_review:
                asked.append((key, facts))
            seconds += TEXT_SECONDS if step.kind == "text" else CHOICE_SECONDS
    seconds += words * 60 / (EASY_READ_WPM if easy_read else READING_WPM)
    return Measure(questions, words, seconds)


def _words_at(dialogue: Dialogue, key: str, facts: Facts) -> int:
    """The words read at a key: the lines said, the question, and the options offered."""
    step = dialogue.step(key)
    texts = [*dialogue.lines(key, facts), dialogue.question(key, facts)]
    texts += [o.label_for(facts.easy_read) for o in dialogue.offered(key, facts)]
    count = sum(_words(t, dialogue, key, facts) for t in texts)
    if step.options_from:
        items = dialogue.items(step.options_from, facts)
        count += sum(len(_item_words(item, facts).split()) for item in items)
    return count


def _words(text: str | None, dialogue: Dialogue, key: str, facts: Facts) -> int:
    if not text:
        return 0
    item = dialogue.item(key, facts)
    values = {
        "name": facts.name or "the person",
        "item": _item_words(item, facts) if item else "",
        "duration": " ".join(["minutes"] * DURATION_WORDS),
    }
    return len(text.format_map(_Blank(values)).split())


def _item_words(item, facts: Facts) -> str:
    return item.easy if facts.easy_read and item.easy else item.text


class _Blank(dict):
    def __missing__(self, key):
        return ""
