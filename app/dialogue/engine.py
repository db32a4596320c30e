"""Run a dialogue: one shared ``transitions`` machine per dialogue, state kept by the caller.

Nothing here knows Flask, Socket.IO or the database. The caller passes ``Facts`` (the answers so far,
who is answering, the person's name, answers from the case's other conversations) and a position
("key"); the engine says where the conversation goes next.

A key is a step id, or ``step.N`` for the Nth item of a step that repeats over a list (Part 2 reads
back each outcome from Part 1 this way).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from transitions import Machine

from .conditions import holds, is_representative
from .load import load_dialogues
from .spec import NOT_ROLES, DialogueError, DialogueSpec, Option, Step


@dataclass(frozen=True)
class Item:
    """One element of a list built from answers; ``text`` is a msgid when ``translatable``.

    ``text`` is also what names the item where it is kept (an answer's ``about``), so it stays the
    option's plain label; ``easy`` is only how Easy Read shows it."""

    value: str
    text: str
    translatable: bool
    easy: str | None = None
    context: str | None = None  # the option's msgctxt (``Option.context``)


@dataclass
class Facts:
    """What the engine may know about a conversation, gathered by the caller."""

    answers: dict[str, Any] = field(default_factory=dict)
    respondent: str | None = None
    name: str | None = None
    # What the invitation said before anything was answered: steps that ask for these are skipped.
    invited_respondent: str | None = None
    invited_name: str | None = None
    linked: dict[str, dict[str, Any]] = field(default_factory=dict)
    easy_read: bool = False
    # Where the council works (the app's JURISDICTION): "england" or "wales".
    jurisdiction: str = "england"


class _Cursor:
    """The short-lived model a shared machine moves for one conversation."""

    def __init__(self, dialogue: Dialogue, facts: Facts, state: str, index: int | None):
        self.dialogue, self.facts, self.state, self.index = dialogue, facts, state, index

    # Conditions read these through the allow-list in ``conditions.py``.
    @property
    def answers(self):
        return self.facts.answers

    @property
    def respondent(self):
        return self.facts.respondent

    @property
    def name(self):
        return self.facts.name

    @property
    def invited_respondent(self):
        return self.facts.invited_respondent

    @property
    def invited_name(self):
        return self.facts.invited_name

    @property
    def jurisdiction(self):
        return self.facts.jurisdiction

    def items(self, list_name: str) -> list[Item]:
        return self.dialogue.items(list_name, self.facts)


def split_key(key: str) -> tuple[str, int | None]:
    """``"outcome_met.2"`` -> ``("outcome_met", 2)``; ``"who"`` -> ``("who", None)``."""
    sid, _, index = key.partition(".")
    return sid, int(index) if index.isdigit() else None


def make_key(sid: str, index: int | None) -> str:
    """The inverse of ``split_key``."""
    return sid if index is None else f"{sid}.{index}"


class Dialogue:
    """A validated dialogue with its one ``transitions`` machine, shared by every conversation."""

    def __init__(self, spec: DialogueSpec, registry: Registry):
        self.spec, self.registry = spec, registry
        # No model is ever added to the machine: each move triggers the shared ``advance`` event on a
        # short-lived cursor (``Event.trigger(model)``), which reads and sets only that cursor's state.
        # Adding a model would decorate it with a trigger and an ``is_<state>`` check per step, and
        # mutate the machine's shared model list under a lock, on every move of every conversation.
        self.machine = Machine(
            model=None,
            states=list(spec.steps),
            initial=spec.start,
            auto_transitions=False,
            send_event=True,
        )
        for step in spec.steps.values():
            if step.repeat:
                # Stay on the step while items remain: an internal transition (dest=None).
                self.machine.add_transition(
                    "advance",
                    step.id,
                    None,
                    conditions=[_has_next_item],
                    before=[_next_item],
                )
            for branch in step.branches:
                conditions = [_when(branch.when)] if branch.when else []
                self.machine.add_transition(
                    "advance", step.id, branch.target, conditions=conditions, after=[_entered]
                )
        self._advance = self.machine.events["advance"]
        self._moves = _plain_moves(self.machine)
        self._read = _read_by(spec)
        # ``ahead`` by what it depends on: the key, the settled answers any branch or list reads, who
        # is answering, the invitation and the lists read from other conversations.
        self._ahead: dict[tuple, tuple[int, int]] = {}

    # Every way a conversation may still go is found by supposing answers (``routes``). A route
    # that loops back to a step already on it ("Not now" returns to the consent question) is not a
    # way to the end, so it is left out. ``MAX_ROUTES`` bounds the search for a dialogue with very
    # many branches: the routes found by then are used.
    MAX_ROUTES = 5000
    CACHE_SIZE = 4096

    @property
    def id(self) -> str:
        return self.spec.id

    def step(self, key: str) -> Step:
        """The step a key points at."""
        return self.spec.steps[split_key(key)[0]]

    def offered(self, key: str, facts: Facts) -> tuple[Option, ...]:
        """The step's own options offered at a key: those whose 'when' holds for these facts."""
        options = self.step(key).options
        if not any(o.when for o in options):
            return options
        cursor = _Cursor(self, facts, split_key(key)[0], None)
        return tuple(o for o in options if o.when is None or holds(o.when, cursor))

    def is_valid_key(self, key: str) -> bool:
        """Whether a key names a step (and an item index only where the step repeats)."""
        sid, index = split_key(key)
        step = self.spec.steps.get(sid)
        return step is not None and (index is not None) == bool(step.repeat)

    # -- lists -----------------------------------------------------------------------------------

    def repeating_step(self, list_name: str) -> str | None:
        """The step asked once per item of ``list_name``: a list of this dialogue, or another
        dialogue's list that this one reads (Part 2's ``part1_outcomes`` is Part 1's ``outcomes``)."""
        for step in self.spec.steps.values():
            if not step.repeat:
                continue
            if step.repeat == list_name:
                return step.id
            source = self.spec.lists[step.repeat]
            other = self.registry.get(source.dialogue) if source.dialogue else None
            theirs = other.spec.lists.get(list_name) if other else None
            if theirs is not None and theirs.steps == source.steps:
                return step.id
        return None

    def items(self, list_name: str, facts: Facts) -> list[Item]:
        """The items of a named list: own-words answers as typed, chosen options by label."""
        source = self.spec.lists[list_name]
        if source.dialogue is None:
            spec, answers = self.spec, facts.answers
        else:
            spec = self.registry[source.dialogue].spec
            answers = facts.linked.get(source.dialogue, {})
        found: list[Item] = []
        for sid in source.steps:
            step, answer = spec.steps.get(sid), answers.get(sid)
            if step is None or answer in (None, "", []):
                continue
            if step.kind == "text":
                found.append(Item(sid, answer, False))
                continue
            for value in answer if isinstance(answer, list) else [answer]:
                option = step.option(value)
                if option is not None:
                    found.append(Item(value, option.label, True, option.easy, option.context))
        return found

    def item(self, key: str, facts: Facts) -> Item | None:
        """The item a repeating key is about, if it still exists."""
        sid, index = split_key(key)
        step = self.spec.steps[sid]
        if not step.repeat or index is None:
            return None
        items = self.items(step.repeat, facts)
        return items[index - 1] if 0 < index <= len(items) else None

    # -- moving ----------------------------------------------------------------------------------

    def follow_ups(self, facts: Facts) -> set[str]:
        """The follow-up kinds whose conditions hold for these answers (see ``follow_ups:``)."""
        cursor = _Cursor(self, facts, self.spec.start, None)
        return {rule.kind for rule in self.spec.follow_ups if holds(rule.when, cursor)}

    def follow_up_rule(self, kind: str):
        """The rule that raises ``kind``, or None."""
        return next((rule for rule in self.spec.follow_ups if rule.kind == kind), None)

    def first_key(self, facts: Facts) -> str:
        """Where a new conversation starts."""
        return self._settle(self.spec.start, facts)

    def next_key(self, key: str, facts: Facts) -> str | None:
        """Where the conversation goes after ``key`` is answered; None after the end."""
        sid, index = split_key(key)
        if self.spec.steps[sid].kind == "end":
            return None
        cursor = _Cursor(self, facts, sid, index)
        moves = self._moves.get(sid) if self._moves is not None else None
        if moves is None:
            self._advance.trigger(cursor)  # a non-queued machine: nothing shared changes, no lock needed
        else:
            _move(moves, _Event(cursor))
        return self._settle(make_key(cursor.state, cursor.index), facts)

    def _settle(self, key: str, facts: Facts) -> str:
        """Skip a repeating step whose list is empty: there is nothing to ask about."""
        sid, index = split_key(key)
        step = self.spec.steps[sid]
        if step.repeat:
            if not self.items(step.repeat, facts):
                return self.next_key(make_key(sid, 1), facts)
            return make_key(sid, index or 1)
        return key

    def walk(self, facts: Facts, start: str | None = None) -> list[str]:
        """Keys from ``start`` following the answers given, up to the first one not answered."""
        key, seen = start or self.first_key(facts), []
        while key is not None and key not in seen:
            seen.append(key)
            if key not in facts.answers or self.step(key).kind in ("review", "end"):
                break
            key = self.next_key(key, facts)
        return seen

    def projected(self, facts: Facts, walked: list[str] | None = None) -> list[str]:
        """The whole route to the end: answered steps, then the default branches beyond.
        ``walked``: ``walk(facts)`` if the caller has it already (it is not changed)."""
        route = list(walked) if walked is not None else self.walk(facts)
        key = route[-1]
        while True:
            key = self.next_key(key, facts)
            if key is None or key in route:
                return route
            route.append(key)

    def previous_key(self, key: str, facts: Facts, walked: list[str] | None = None) -> str | None:
        """The step before ``key`` on the route the answers take; None at the start.
        ``walked``: ``walk(facts)`` if the caller has it already."""
        route = walked if walked is not None else self.walk(facts)
        if key in route:
            i = route.index(key)
            return route[i - 1] if i > 0 else None
        return route[-1] if route else None

    # -- what is said ----------------------------------------------------------------------------

    def lines(self, key: str, facts: Facts) -> tuple[str, ...]:
        """The msgids of the lines said before the question, in the right person and reading level.
        Easy Read says only its own short lines (or none), never the long standard lead-in."""
        step = self.step(key)
        about = is_representative(facts.respondent)
        if facts.easy_read:
            lines = step.easy_say_about if about and step.easy_say_about is not None else step.easy_say
            return lines or ()
        return step.say_about if about and step.say_about is not None else step.say

    def question(self, key: str, facts: Facts) -> str | None:
        """The msgid of the question at a key, in the right person and reading level."""
        step = self.step(key)
        about = is_representative(facts.respondent)
        candidates = []
        if facts.easy_read:
            candidates += [step.easy_about] if about else []
            candidates += [step.easy]
        candidates += [step.ask_about] if about else []
        candidates += [step.ask]
        return next((c for c in candidates if c), None)

    # -- every way on ----------------------------------------------------------------------------

    def routes(
        self, facts: Facts, start: str | None = None, respondent: str | None = None
    ) -> Iterator[list[tuple[str, Facts]]]:
        """Every way from ``start`` (a new conversation's first key if None) to the end, whatever
        the person may answer from there on: each route a list of ``(key, facts)``, the facts being
        the answers supposed on the way to that key.

        Answers given before ``start`` are kept as they are; answers at ``start`` and after it are
        supposed, so pass ``facts`` whose ``answers`` hold only what is settled. Only answers that
        change the way (those a branch, a repeated list or a role depends on) are tried in turn;
        any other step is supposed answered. ``respondent``: "self" or "representative" keeps to the
        routes of the person answering for themselves, or of someone answering for them."""
        key = start or self.first_key(facts)
        found = 0
        # Depth first, with an explicit stack: (key, facts, the route so far).
        stack = [(key, facts, [])]
        while stack and found < self.MAX_ROUTES:
            key, facts, route = stack.pop()
            route = [*route, (key, facts)]
            step = self.step(key)
            if step.kind == "end":
                found += 1
                yield route
                continue
            on_route = {k for k, _ in route}
            ways = {}
            for value in self._supposed(key, step, facts, respondent):
                supposed = _suppose(facts, key, step, value)
                nxt = self.next_key(key, supposed)
                if nxt is None or nxt in on_route:
                    continue
                # Answers that lead the same way, and that nothing further on reads, are one way.
                same = (nxt, is_representative(supposed.respondent)) if self._only_here(step) else value
                ways.setdefault(_frozen(same), (nxt, supposed))
            stack.extend((nxt, supposed, route) for nxt, supposed in reversed(ways.values()))

    def ahead(self, key: str, facts: Facts, walked: list[str] | None = None) -> tuple[int, int]:
        """The fewest and the most questions that may follow ``key``, whatever is answered from it
        on (the answers given before it stand). The same two numbers mean the rest of the way is
        known. ``walked``: ``walk(facts)`` if the caller has it already."""
        route = walked if walked is not None else self.walk(facts)
        if key not in route:
            route = self.projected(facts, route)
        before = route[: route.index(key)] if key in route else []
        settled = {k: facts.answers[k] for k in before if k in facts.answers}
        cache_key = (
            key,
            tuple((k, _frozen(v)) for k, v in settled.items() if split_key(k)[0] in self._read),
            facts.respondent,
            facts.invited_respondent,
            bool(facts.invited_name),
            facts.jurisdiction,
            tuple(
                len(self.items(name, facts)) for name, source in self.spec.lists.items() if source.dialogue
            ),
        )
        found = self._ahead.get(cache_key)
        if found is None:
            counts = [
                sum(1 for k, _ in way[1:] if self.step(k).is_question)
                for way in self.routes(replace(facts, answers=settled), start=key)
            ]
            found = (min(counts), max(counts)) if counts else (0, 0)
            if len(self._ahead) >= self.CACHE_SIZE:
                self._ahead.clear()
            self._ahead[cache_key] = found
        return found

    def _only_here(self, step: Step) -> bool:
        """Whether no step but this one's own branches reads its answer."""
        return self._read.get(step.id, set()) <= {step.id}

    def _supposed(self, key: str, step: Step, facts: Facts, respondent: str | None) -> list:
        """The answers to try at a key: one of each kind that may change the way on."""
        if not step.is_question:
            return [None]
        offered = [o.value for o in self.offered(key, facts)]
        if step.options_from:
            offered = [item.value for item in self.items(step.options_from, facts)] + offered
        read = self._read.get(step.id)
        if step.kind == "text":
            values: list = ["…"]
        elif step.kind == "choice":
            values = list(offered)
        elif read is not None and read - {"list"}:
            # A branch tests the options: each on its own, and all of them.
            values = [[v] for v in offered] + ([offered] if len(offered) > 1 else [])
        else:
            # At most a list's items: one, or all, give every length the list can have.
            values = [offered[:1], offered] if len(offered) > 1 else [offered] if offered else []
        if step.optional or not values:
            values.append(None)
        if step.sets == "respondent":
            if respondent is not None:
                someone_else = respondent != "self"
                values = [v for v in values if v is not None and is_representative(v) == someone_else]
        elif read is None:
            values = values[:1]  # nothing reads this answer: the way on is the same whatever it is
        return values


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _suppose(facts: Facts, key: str, step: Step, value: Any) -> Facts:
    """The facts once ``key`` is answered with ``value`` (and who is answering, if it says)."""
    answers = {**facts.answers, key: value}
    if step.sets == "respondent" and value is not None:
        return replace(facts, answers=answers, respondent=value)
    return replace(facts, answers=answers)


def _read_by(spec: DialogueSpec) -> dict[str, set[str]]:
    """Step id -> what reads its answer: the steps whose branches test it, or "list" when it builds a
    list of this dialogue (a list may change how many times a step repeats, or whether it is asked).
    A step that says who is answering is read by every branch that asks who is answering."""
    read: dict[str, set[str]] = {}
    respondent_steps = [s.id for s in spec.steps.values() if s.sets == "respondent"]
    for source in spec.lists.values():
        if source.dialogue is None:
            for sid in source.steps:
                read.setdefault(sid, set()).add("list")
    for step in spec.steps.values():
        # An option offered only when an earlier answer says so is read by its step, as a branch is.
        whens = [b.when for b in step.branches] + [o.when for o in step.options]
        for when in whens:
            for name, arg in (when or {}).items():
                if name in ("answer_is", "answer_in", "answer_includes"):
                    read.setdefault(str(arg[0]), set()).add(step.id)
                elif name == "answered":
                    read.setdefault(str(arg), set()).add(step.id)
                elif name == "respondent_is":
                    for sid in respondent_steps:
                        read.setdefault(sid, set()).add(step.id)
    return read


class _Event:
    """What the machine's callbacks read of an event (``send_event=True``): its model."""

    __slots__ = ("model",)

    def __init__(self, model: _Cursor):
        self.model = model


def _plain_moves(machine: Machine) -> dict[str, list] | None:
    """The machine's own ``advance`` transitions by source state, as ``(checks, before, dest,
    after)``, for taking them without ``Event.trigger``'s bookkeeping (an ``EventData``, a partial,
    state objects' enter and exit, debug logging: most of the cost of a move, and a turn makes tens).

    Only for a machine as ``Dialogue`` builds it: no callbacks but the transitions' own plain
    functions. Anything else (None here) goes through ``trigger`` as before."""
    if (
        machine.has_queue
        or machine.model_attribute != "state"
        or not machine.send_event
        or machine.prepare_event
        or machine.finalize_event
        or machine.before_state_change
        or machine.after_state_change
        or machine.on_exception
        or machine.on_final
    ):
        return None
    if any(state.on_enter or state.on_exit or state.final for state in machine.states.values()):
        return None
    moves = {}
    for source, transitions in machine.events["advance"].transitions.items():
        found = []
        for t in transitions:
            callables = [c.func for c in t.conditions] + list(t.before) + list(t.after)
            if t.prepare or not all(callable(f) for f in callables):
                return None
            checks = tuple((c.func, c.target) for c in t.conditions)
            found.append((checks, tuple(t.before), t.dest, tuple(t.after)))
        moves[source] = found
    return moves


def _move(moves: list, event: _Event) -> None:
    """Take the first transition whose conditions hold, as ``Event.trigger`` does: its ``before``
    callbacks, the new state (none for an internal transition), then its ``after`` callbacks."""
    for checks, before, dest, after in moves:
        if all(check(event) == target for check, target in checks):
            for callback in before:
                callback(event)
            if dest:
                event.model.state = dest
            for callback in after:
                callback(event)
            return


def _when(when: dict):
    def check(event) -> bool:
        return holds(when, event.model)

    check.__name__ = f"when_{'_'.join(when)}"
    return check


def _has_next_item(event) -> bool:
    model = event.model
    step = model.dialogue.spec.steps[model.state]
    return (model.index or 1) < len(model.items(step.repeat))


def _next_item(event) -> None:
    event.model.index = (event.model.index or 1) + 1


def _entered(event) -> None:
    model = event.model
    model.index = 1 if model.dialogue.spec.steps[model.state].repeat else None


class Registry(dict):
    """Every loaded dialogue by id."""

    @classmethod
    def load(cls, directory: str | Path) -> Registry:
        """Load and validate every ``*.yaml`` in a directory together; raise on any mistake (but not
        on a warning: ``flask dialogue check`` reports those)."""
        specs, problems = load_dialogues(sorted(Path(directory).glob("*.yaml")))
        # A warning (an Easy Read option without its own label) has a fair way on: the app runs.
        mistakes = [p for p in problems if not p.warning]
        if mistakes:
            raise DialogueError(mistakes)
        registry = cls()
        for spec in specs:
            registry[spec.id] = Dialogue(spec, registry)
        return registry

    def roles(self) -> dict[str, str]:
        """Role value -> staff label, in file order, from the steps that ask who is answering
        (every dialogue; the first to name a role gives its label). Not "self" or "representative"."""
        found: dict[str, str] = {}
        for dialogue in self.values():
            for value, label in dialogue.spec.roles().items():
                found.setdefault(value, label)
        return found

    def respondents(self) -> tuple[str, ...]:
        """Everyone who can answer: the person, an unnamed representative, and each role."""
        return (*NOT_ROLES, *self.roles())
