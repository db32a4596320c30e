"""Small numbers in anything shared outside the team, as NHS England publishes the Safeguarding
Adults Collection: a count under 5 is shown as "[c]", every other count is rounded to the nearest 5,
and percentages are computed from the rounded figures.

A total must never let a hidden cell be worked out by difference. So a total is the sum of its
rounded parts when none is hidden; when two or more are hidden, their sum is added rounded (it says
nothing about either); when exactly one is hidden, the total is hidden too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SUPPRESSED = "[c]"
SMALLEST_SHOWN = 5
NOTE = (
    "Counts under 5 are shown as [c] and every other count is rounded to the nearest 5, as the "
    "national collection is published; percentages are worked out from the rounded figures, and a "
    "total is hidden where it would reveal a hidden count."
)

Shown = int | str


def rounded(n: int) -> Shown:
    """One count as it may be shared: "[c]" under 5, else the nearest multiple of 5 (halves up)."""
    if n < 0:
        raise ValueError("a count is never negative")
    if n < SMALLEST_SHOWN:
        return SUPPRESSED
    return (n + 2) // 5 * 5


@dataclass(frozen=True)
class SharedRow:
    """A set of counts that add up to a whole (e.g. SG4a's five answers), as they may be shared."""

    cells: dict[str, Shown]
    total: Shown
    percentages: dict[str, Shown]


def shared(counts: Mapping[str, int]) -> SharedRow:
    """The counts of one breakdown, suppressed and rounded, with a total and percentages that give
    no hidden count away."""
    cells = {key: rounded(n) for key, n in counts.items()}
    hidden = [key for key, shown in cells.items() if shown == SUPPRESSED]
    visible = sum(shown for shown in cells.values() if shown != SUPPRESSED)
    if not hidden:
        total: Shown = visible
    elif len(hidden) == 1:
        total = SUPPRESSED
    else:
        together = rounded(sum(counts[key] for key in hidden))
        total = SUPPRESSED if together == SUPPRESSED else visible + together
    percentages: dict[str, Shown] = {}
    for key, shown in cells.items():
        if shown == SUPPRESSED or total == SUPPRESSED or not total:
            percentages[key] = SUPPRESSED if shown == SUPPRESSED or total == SUPPRESSED else 0
        else:
            percentages[key] = round(100 * shown / total)
    return SharedRow(cells, total, percentages)
