"""The periods a report or the national return covers, as a manager types them.

``parse(text) -> Period(label, start, end)``: ``start`` inclusive, ``end`` exclusive, both midnight
UTC (the app stores every moment in UTC). Three forms:

- ``2026Q4``: a calendar quarter (Q1 January–March … Q4 October–December 2026);
- ``2026``: a calendar year (1 January 2026 to 1 January 2027);
- ``2026-27``: a financial year, 1 April 2026 to 1 April 2027, the year the Safeguarding Adults
  Collection is returned for (the second part is the next year's last two digits).

Case and spaces do not matter ("2026 q4" is 2026Q4), and a ``label`` parses back to its period, so it
can go in a link. Anything else raises ``ReportError`` saying which forms there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from . import ReportError

FORMS = (
    "a quarter such as 2026Q4 (October to December), a year such as 2026, or a financial year such as 2026-27"
)
_QUARTER = re.compile(r"(\d{4})\s*Q([1-4])")
_YEAR = re.compile(r"(\d{4})")
_FINANCIAL = re.compile(r"(\d{4})\s*[-/]\s*(\d{2})")


@dataclass(frozen=True)
class Period:
    label: str  # "2026 Q4", "2026", "2026-27"
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    def __contains__(self, moment: datetime) -> bool:
        """Whether an aware moment falls in the period."""
        return self.start <= moment < self.end

    @property
    def last_day(self) -> date:
        """The period's last whole day, for saying it ("1 Oct 2026 to 31 Dec 2026")."""
        return (self.end - timedelta(days=1)).date()


def _midnight(year: int, month: int) -> datetime:
    if not 2000 <= year <= 2998:
        raise ReportError(f"{year} is outside the years a report can cover (2000 onwards).")
    return datetime(year, month, 1, tzinfo=UTC)


def parse(text: str | None) -> Period:
    """The period ``text`` names; ``ReportError`` (saying the forms there are) if it names none."""
    given = (text or "").strip().upper()
    if not given:
        raise ReportError(f"Give a period: {FORMS}.")
    if match := _QUARTER.fullmatch(given):
        year, quarter = int(match[1]), int(match[2])
        start = _midnight(year, 3 * quarter - 2)
        end = _midnight(year + 1, 1) if quarter == 4 else _midnight(year, 3 * quarter + 1)
        return Period(f"{year} Q{quarter}", start, end)
    if match := _FINANCIAL.fullmatch(given):
        year, second = int(match[1]), int(match[2])
        if second != (year + 1) % 100:
            raise ReportError(
                f"{text.strip()} is not a financial year: the second part is the next year's last two "
                f"digits, as in {year}-{(year + 1) % 100:02d}."
            )
        return Period(f"{year}-{second:02d}", _midnight(year, 4), _midnight(year + 1, 4))
    if _YEAR.fullmatch(given):
        year = int(given)
        return Period(str(year), _midnight(year, 1), _midnight(year + 1, 1))
    raise ReportError(f"{text.strip()[:20]!r} is not a period we know. Give {FORMS}.")


def quarter_of(moment: datetime) -> Period:
    """The calendar quarter a moment falls in (a page's default period)."""
    return parse(f"{moment.year}Q{(moment.month - 1) // 3 + 1}")
