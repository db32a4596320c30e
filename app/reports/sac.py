"""The Safeguarding Adults Collection's Making Safeguarding Personal tables, pre-filled: SG4a (was
the person or their representative asked about their desired outcomes; of those who expressed some,
were they achieved) and SG3a (did the person lack capacity; if so, were they supported by an
advocate, family member or friend), for each case closed in a period.

What each case reads: its latest Part 1 and Part 2 person conversations (a finished one preferred,
else the latest: an answer in force stands whether or not the person reached the end), the worker's
reflection, the worker's capacity record on the conversations, and the latest ``SacDecision``.

SG4a "asked" (the rules, from dialogues/part1.yaml and part2.yaml):
- ``expressed``: Part 1 holds at least one desired outcome: words typed at ``outcome_words``, or an
  option chosen at ``outcome_choices`` other than "Not sure yet", "None of these" and "I'd rather talk
  about it" (those say no outcome); or, where Part 1 holds none, words typed at Part 2's ``hoped``
  ("When the enquiry started, what had you hoped would happen?"). Typed words that only say there is
  none ("none", "nothing", "not sure", "don't know", "n/a", "-") are not an outcome.
- ``none_expressed``: the person was asked, and expressed none: Part 1 reached ``outcome_words`` or
  ``outcome_choices`` (a step skipped is still a step asked: the conversation keeps the skip), or
  Part 2 reached ``hoped``.
- ``no``: there is a conversation, but the person said "Not now" or "I'd like to talk to someone
  first" and was never asked about outcomes in it.
- ``not_recorded``: nothing records whether they were asked: no person conversation, or one never
  opened. (Saying "No" would claim something nobody recorded: the worker may have asked them in a
  meeting, and confirms it on the case page.)
- ``dont_know``: only ever a worker's confirmation; the conversations cannot say "don't know".

SG4a "achieved" (only for ``expressed``). The person's view, from Part 2's ``outcome_met`` for each
Part 1 outcome (or ``hoped_met`` for the one hoped for): an outcome they "changed their mind about"
no longer counts; of the rest, all "Yes, fully" is ``fully``, all "Not at all" is ``not``, any other
mix of met, partly and not met is ``partially``; an outcome left unanswered or "Not sure" leaves the
person's view undecided. The worker's view, from their reflection's ``outcomes`` ("How well did the
enquiry work towards the outcomes the person wanted?"): Well is ``fully``, Partly ``partially``, Poorly
``not``; Not sure or unanswered is no view.

The case waits for a worker's confirmation (and is not in SG4a until then) where outcomes were
expressed and: the person's view is undecided, or the worker's view differs from it. The person's
view alone stands where the worker gave none. A confirmed ``SacDecision`` always wins.

SG3a: ``Conversation.capacity`` as the worker recorded it on Part 2's conversation, else Part 1's;
nothing recorded is "Not recorded", including where the person answered for themselves (nobody
records capacity then, and the return must not assume it). Support is counted only where capacity
was lacked: ``capacity_support``, or "Not recorded".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import access, db
from ..clock import aware
from ..conversation.services import dialogue_for, facts_for
from ..dialogue import split_key
from ..models import CAPACITY, SG4A_ACHIEVED, SG4A_ASKED, SUPPORT, Case, Conversation, SacDecision, User
from . import ReportError
from .periods import Period
from .suppression import NOTE, rounded, shared

# The collection's own words (NHS England's publication names each CSV column "SG4a " + these).
ASKED_LABELS = {
    "expressed": "Yes they were asked and outcomes were expressed",
    "none_expressed": "Yes they were asked but no outcomes were expressed",
    "no": "No",
    "dont_know": "Don't Know",
    "not_recorded": "Not Recorded",
}
ACHIEVED_LABELS = {
    "fully": "Fully Achieved",
    "partially": "Partially Achieved",
    "not": "Not Achieved",
}
CAPACITY_LABELS = {
    "lacked": "Yes they lacked capacity",
    "not_lacked": "No they did not lack capacity",
    "dont_know": "Don't Know",
    "not_recorded": "Not Recorded",
}
SUPPORT_LABELS = {
    "yes": "Yes they were supported by an advocate, family or friend",
    "no": "No they were not supported",
    "dont_know": "Don't Know",
    "not_recorded": "Not Recorded",
}

# Part 1's options that say there is no outcome (dialogues/part1.yaml, outcome_choices).
NOT_OUTCOMES = frozenset({"not_sure", "nothing", "rather_talk"})
# Typed words that only say there is none.
_NONE_WORDS = frozenset(
    {"none", "nothing", "no", "not sure", "dont know", "don't know", "n/a", "na", "-", "no idea"}
)
OUTCOME_STEPS = ("outcome_words", "outcome_choices")
MET = {"fully": "fully", "partly": "partially", "not_at_all": "not"}
WORKER_VIEW = {"well": "fully", "partly": "partially", "poorly": "not"}
DECLINED = ("not_now", "talk_first")


@dataclass
class CaseFigures:
    """One case's place in the return, and why."""

    case_id: int
    reference: str
    derived_asked: str
    person_view: str | None  # fully / partially / not, or None (undecided or not asked)
    worker_view: str | None
    decision: SacDecision | None
    capacity: str
    support: str | None  # only where capacity was lacked
    outcomes: int = 0  # how many desired outcomes the conversations hold

    @property
    def waiting(self) -> bool:
        """Outcomes were expressed and the data cannot decide whether they were achieved."""
        if self.decision is not None or self.derived_asked != "expressed":
            return False
        if self.person_view is None:
            return True
        return self.worker_view is not None and self.worker_view != self.person_view

    @property
    def why_waiting(self) -> str | None:
        if not self.waiting:
            return None
        if self.person_view is None:
            return "The person's view of whether their outcomes were achieved is not recorded or not decided."
        return "The person's view and the worker's view of the outcomes differ."

    @property
    def asked(self) -> str | None:
        """SG4a's first question as the return counts it (None while waiting)."""
        if self.decision is not None:
            return self.decision.asked
        return None if self.waiting else self.derived_asked

    @property
    def achieved(self) -> str | None:
        if self.decision is not None:
            return self.decision.achieved
        if self.asked != "expressed":
            return None
        return self.person_view


def _text_is_outcome(value) -> bool:
    if not isinstance(value, str):
        return False
    words = re.sub(r"[.!\s]+", " ", value).strip().lower()
    return bool(words) and words not in _NONE_WORDS


def _latest(case: Case, dialogue_id: str, person: bool = True) -> Conversation | None:
    query = select(Conversation).where(
        Conversation.case_id == case.id, Conversation.dialogue_id == dialogue_id
    )
    query = query.where(
        Conversation.invitation_id.is_not(None) if person else Conversation.staff_user_id.is_not(None)
    )
    if not person and case.worker_id is not None:
        # The case's own worker's reflection, where there is one.
        query = query.order_by((Conversation.staff_user_id == case.worker_id).desc())
    query = query.order_by(Conversation.finished_at.is_(None), Conversation.id.desc())
    return db.session.scalars(query).first()


def _steps_reached(conversation: Conversation | None) -> set[str]:
    """The steps a conversation asked (answered or skipped, a changed answer included)."""
    if conversation is None:
        return set()
    return {split_key(a.step)[0] for a in conversation.answers}


def _in_force(conversation: Conversation | None) -> dict:
    if conversation is None:
        return {}
    return {a.step: a.value for a in conversation.answers if a.superseded_at is None}


def _combined(views: Iterable[str | None]) -> str | None:
    """The person's view across their outcomes; None where any is undecided or none counts."""
    found = list(views)
    if not found or any(v is None for v in found):
        return None
    if all(v == "fully" for v in found):
        return "fully"
    if all(v == "not" for v in found):
        return "not"
    return "partially"


def _part1_outcomes(part1: Conversation | None) -> list[tuple[int, bool]]:
    """Each item of Part 1's ``outcomes`` list by its place (1-based, as Part 2 repeats it), and
    whether it is a desired outcome (not "Not sure yet", "None of these"...)."""
    if part1 is None:
        return []
    dialogue = dialogue_for(part1)
    if "outcomes" not in dialogue.spec.lists:
        return []
    items = dialogue.items("outcomes", facts_for(part1))
    found = []
    for place, item in enumerate(items, start=1):
        is_outcome = item.value not in NOT_OUTCOMES if item.translatable else _text_is_outcome(item.text)
        found.append((place, is_outcome))
    return found


def _person_side(part1: Conversation | None, part2: Conversation | None) -> tuple[str, str | None, int]:
    """SG4a's "asked" as the conversations say it, the person's view of "achieved", and how many
    outcomes they expressed."""
    outcomes = [place for place, is_outcome in _part1_outcomes(part1) if is_outcome]
    part2_answers = _in_force(part2)
    if outcomes:
        met: dict[int, str | None] = {}
        for key, value in part2_answers.items():
            step, index = split_key(key)
            if step == "outcome_met" and index is not None:
                met[index] = value
        views = [MET.get(met.get(place)) for place in outcomes if met.get(place) != "changed_mind"]
        return "expressed", (_combined(views) if part2 is not None else None), len(outcomes)
    if _text_is_outcome(part2_answers.get("hoped")):
        hoped = part2_answers.get("hoped_met")
        return "expressed", (None if hoped == "changed_mind" else MET.get(hoped)), 1
    if _steps_reached(part1) & set(OUTCOME_STEPS) or "hoped" in _steps_reached(part2):
        return "none_expressed", None, 0
    consents = {c.consent for c in (part1, part2) if c is not None}
    if consents & set(DECLINED):
        return "no", None, 0
    return "not_recorded", None, 0


def _capacity(part1: Conversation | None, part2: Conversation | None) -> tuple[str, str | None]:
    for conversation in (part2, part1):
        if conversation is not None and conversation.capacity in CAPACITY:
            capacity = conversation.capacity
            if capacity != "lacked":
                return capacity, None
            support = conversation.capacity_support
            return capacity, support if support in SUPPORT else "not_recorded"
    return "not_recorded", None


def latest_decision(case: Case) -> SacDecision | None:
    return db.session.scalars(
        select(SacDecision).where(SacDecision.case_id == case.id).order_by(SacDecision.id.desc())
    ).first()


def figures(case: Case) -> CaseFigures:
    """One case's SG4a and SG3a figures, with the views behind them. Access is the caller's."""
    part1, part2 = _latest(case, "part1"), _latest(case, "part2")
    asked, person_view, outcomes = _person_side(part1, part2)
    reflection = _latest(case, "reflection", person=False)
    worker_view = WORKER_VIEW.get(_in_force(reflection).get("outcomes"))
    capacity, support = _capacity(part1, part2)
    return CaseFigures(
        case.id,
        case.reference,
        asked,
        person_view,
        worker_view,
        latest_decision(case),
        capacity,
        support,
        outcomes,
    )


@dataclass
class SacReturn:
    """The return for one period over the cases a manager may see; each figure keeps its cases."""

    period: Period
    cases: list[CaseFigures]
    asked: dict[str, list[CaseFigures]] = field(default_factory=dict)
    achieved: dict[str, list[CaseFigures]] = field(default_factory=dict)
    capacity: dict[str, list[CaseFigures]] = field(default_factory=dict)
    support: dict[str, list[CaseFigures]] = field(default_factory=dict)
    waiting: list[CaseFigures] = field(default_factory=list)

    @staticmethod
    def counts(breakdown: dict[str, list[CaseFigures]]) -> dict[str, int]:
        return {key: len(found) for key, found in breakdown.items()}


def closed_in(user: User, period: Period) -> list[Case]:
    """The cases this user may see that closed in the period, by reference."""
    query = access.visible_cases(user).where(Case.stage == "closed", Case.closed_at.is_not(None))
    # Stored moments come back naive on SQLite: compared in Python, in UTC.
    return [c for c in db.session.scalars(query.order_by(Case.reference)) if aware(c.closed_at) in period]


def sac_return(user: User, period: Period) -> SacReturn:
    """SG4a and SG3a for the cases closed in the period within this user's reach."""
    found = SacReturn(
        period,
        [figures(case) for case in closed_in(user, period)],
        asked={key: [] for key in SG4A_ASKED},
        achieved={key: [] for key in SG4A_ACHIEVED},
        capacity={key: [] for key in CAPACITY},
        support={key: [] for key in SUPPORT},
    )
    for case in found.cases:
        found.capacity[case.capacity].append(case)
        if case.support is not None:
            found.support[case.support].append(case)
        if case.waiting:
            found.waiting.append(case)
            continue
        found.asked[case.asked].append(case)
        if case.achieved is not None:
            found.achieved[case.achieved].append(case)
    return found


def may_confirm(user: User | None, case: Case) -> bool:
    """The case's worker, or a manager who may see it."""
    if user is None or not access.can_see(user, case):
        return False
    return user.role == "manager" or user.id == case.worker_id


def confirm(user: User, case: Case, asked: str | None, achieved: str | None) -> SacDecision:
    """A worker's (or the team's manager's) confirmation of the case's SG4a figures: it stands over
    what the conversations say. Audited ``sac_confirmed``; the latest stands."""
    if not may_confirm(user, case):
        raise ReportError("Only the case's worker or a manager of its team can confirm its figures.")
    if asked not in SG4A_ASKED:
        raise ReportError("Choose whether the person was asked about their desired outcomes.")
    if asked == "expressed":
        if achieved not in SG4A_ACHIEVED:
            raise ReportError("Choose whether the outcomes the person expressed were achieved.")
    else:
        achieved = None  # SG4a asks about achievement only where outcomes were expressed
    decision = SacDecision(case_id=case.id, asked=asked, achieved=achieved, decided_by_id=user.id)
    db.session.add(decision)
    access.record(user, "sac_confirmed", case.id, f"{asked}: {achieved or '-'}")
    db.session.commit()
    return decision


# -- the shared return (CSV) -----------------------------------------------------------------------

CSV_HEADER = (
    "Period",
    *(f"SG4a {ASKED_LABELS[key]}" for key in SG4A_ASKED),
    *(f"SG4a {ACHIEVED_LABELS[key]}" for key in SG4A_ACHIEVED),
    *(f"SG3a {CAPACITY_LABELS[key]}" for key in CAPACITY),
    *(f"SG3a Lacked capacity: {SUPPORT_LABELS[key]}" for key in SUPPORT),
)
NOT_RECORDED_NOTE = (
    "SG3a counts capacity only as a worker recorded it: where the person answered for themselves, "
    "nobody records capacity, so those cases are Not Recorded."
)


def csv_rows(found: SacReturn) -> list[list]:
    """The return as the collection lays it out (one row, NHS England's column names), every
    breakdown suppressed and rounded on its own (``suppression.shared``), then the notes."""
    row: list = [found.period.label]
    for breakdown in (found.asked, found.achieved, found.capacity, found.support):
        cells = shared(SacReturn.counts(breakdown)).cells
        row.extend(cells[key] for key in breakdown)
    notes = [
        ["Note", NOTE],
        ["Note", NOT_RECORDED_NOTE],
        [
            "Note",
            f"Cases closed in the period waiting for a worker's confirmation of SG4a, not counted in "
            f"SG4a until confirmed: {rounded(len(found.waiting))}.",
        ],
    ]
    return [list(CSV_HEADER), row, [], *notes]
