"""Chart geometry for a survey's results, drawn by ``templates/surveys/_results_charts.html``.

Bars are the /stats page's (``portal.stats.charts.bar_chart``: a label above each bar, so long option
texts fit a phone). A matrix draws one stacked bar per row; each segment carries its scale option's
number, repeated in the legend and the table, so colour is never the only signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.stats.charts import WIDTH, BarChart, bar_chart

# Fills for a matrix's scale options, dark enough for white numbers on them (contrast ≥ 4.5:1).
FILLS = ("#1d4f91", "#8a3b12", "#2f6b2f", "#6b2f6b", "#5c5c00", "#00606b", "#7a1f3d")
ROW_HEIGHT = 52
BAR_TOP = 18
BAR_HEIGHT = 24


def share_chart(items: list[tuple[str, Decimal | None]]) -> BarChart:
    """An option (or a scale point, a month) per bar, in percent of those who answered."""
    return bar_chart(items, row=40)


@dataclass(frozen=True)
class Segment:
    number: int  # the scale option's place, 1, 2, 3…: printed on the segment when it fits
    share: Decimal | None  # in percent, for the text alternative
    x: float
    width: float
    fill: str
    label_fits: bool


@dataclass(frozen=True)
class StackedRow:
    label: str
    y: float
    segments: list[Segment]


@dataclass(frozen=True)
class StackedChart:
    rows: list[StackedRow]
    height: float
    width: float = WIDTH
    bar_top: float = BAR_TOP
    bar_height: float = BAR_HEIGHT


def fill(number: int) -> str:
    return FILLS[(number - 1) % len(FILLS)]


def stacked_chart(rows: list[tuple[str, list[Decimal | None]]]) -> StackedChart:
    """One bar per matrix row, 100 % wide, split by the share of each scale option."""
    drawn: list[StackedRow] = []
    for index, (label, shares) in enumerate(rows):
        x = 0.0
        segments: list[Segment] = []
        for number, share in enumerate(shares, start=1):
            width = round(float(share or 0) * WIDTH / 100, 1)
            if width > 0:
                segments.append(Segment(number, share, round(x, 1), width, fill(number), width >= 16))
            x += width
        drawn.append(StackedRow(label, index * ROW_HEIGHT, segments))
    return StackedChart(drawn, max(ROW_HEIGHT * len(rows), ROW_HEIGHT))
