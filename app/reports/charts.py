"""Charts for the reports, drawn on the server as SVG: a horizontal bar per category, each bar filled
with its own hatching (a pattern, so no one needs to tell colours apart), its label and figure written
beside it as text. ``role="img"`` with a ``<title>`` and ``<desc>`` says what it shows to a screen
reader; the page puts a table of the same figures beside every chart. No script, nothing to fetch.

Every text is escaped here (markupsafe): labels come from the dialogue files and the settings."""

from __future__ import annotations

from markupsafe import Markup, escape

from .suppression import SUPPRESSED

WIDTH = 900
LABEL_WIDTH = 340
BAR_HEIGHT = 22
GAP = 10
# (stroke colour, the pattern's drawing): dark enough on white for 3:1, and each one its own shape.
FILLS = (
    ("#1d70b8", '<path d="M0,8 L8,0" stroke-width="2"/>'),
    ("#00703c", '<path d="M0,0 L8,8" stroke-width="2"/>'),
    ("#6f3c97", '<path d="M4,0 L4,8" stroke-width="2"/>'),
    ("#b1450f", '<path d="M0,4 L8,4" stroke-width="2"/>'),
    ("#0b0c0c", '<circle cx="4" cy="4" r="1.6" stroke-width="1"/>'),
    ("#912b88", '<path d="M0,0 L8,8 M8,0 L0,8" stroke-width="1.5"/>'),
)


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int | str]], summary: str) -> Markup:
    """A horizontal bar chart of ``rows`` (label, figure); a figure that is not a number (``[c]``,
    suppressed) gets no bar, only its text."""
    numbers = [value for _, value in rows if isinstance(value, int)]
    biggest = max(numbers, default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    height = GAP + len(rows) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
        "<defs>",
    ]
    for index, (colour, drawing) in enumerate(FILLS):
        parts.append(
            f'<pattern id="{chart_id}-fill-{index}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="#ffffff"/><g stroke="{colour}" fill="{colour}">{drawing}</g>'
            "</pattern>"
        )
    parts.append("</defs>")
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2 + 5
        colour = FILLS[index % len(FILLS)][0]
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" font-size="14" '
            f'fill="#0b0c0c">{escape(_short(label))}</text>'
        )
        length = 0
        if isinstance(value, int) and value > 0:
            length = max(2, round(span * value / biggest))
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
                f'fill="url(#{chart_id}-fill-{index % len(FILLS)})" stroke="{colour}" stroke-width="2"/>'
            )
        shown = "hidden (under 5)" if value == SUPPRESSED else str(value)
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" font-size="14" fill="#0b0c0c">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str, most: int = 44) -> str:
    """A label that fits beside its bar (the table beside the chart has it whole)."""
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def breakdown_chart(breakdown, shared: bool = False) -> Markup:
    """The chart of one ``figures.Breakdown``: exact (the internal page) or as shared (suppressed)."""
    if shared:
        row = breakdown.shared()
        cells, percentages, total = row.cells, row.percentages, row.total
    else:
        cells, percentages, total = breakdown.counts, breakdown.percentages, breakdown.total
    rows = [(label, cells[key]) for key, label in breakdown.labels.items()]
    said = "; ".join(
        f"{label}: {'hidden' if cells[key] == SUPPRESSED else cells[key]}"
        + ("" if cells[key] == SUPPRESSED or percentages[key] == SUPPRESSED else f" ({percentages[key]}%)")
        for key, label in breakdown.labels.items()
    )
    summary = f"{said}. Total {breakdown.of}: {'hidden' if total == SUPPRESSED else total}."
    return bar_chart(f"chart-{breakdown.key}", breakdown.title, rows, summary)
