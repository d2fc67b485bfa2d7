"""Chart geometry for server-rendered SVG: the templates draw what these functions measure.

Rates run from 0 to 100. Every chart carries its numbers as text too, and the page prints the data
table beside it, so nothing depends on seeing colour or shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 320  # CSS pixels at which the charts are drawn; they scale with the page


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None
    y: float  # top of the label line
    length: float  # bar length; 0 when there is no value


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: float
    scale: float  # px per percentage point
    bar_top: float = 18  # bar offset below its label
    bar_height: float = 16


def bar_chart(items: list[tuple[str, Decimal | None]], row: float = 46) -> BarChart:
    """Horizontal bars, each under its own label, so long names fit a phone screen."""
    scale = (WIDTH - 60) / 100  # leave room for the value after the longest bar
    bars = [
        Bar(label, value, index * row, float(value) * scale if value is not None else 0)
        for index, (label, value) in enumerate(items)
    ]
    return BarChart(bars, max(row * len(items), row), scale)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: Decimal
    marker_x: float  # where the marker is drawn: beside, not on top of, another line's equal value


@dataclass(frozen=True)
class Line:
    name: str
    marker: str  # circle, square or triangle: shapes as well as colours tell the lines apart
    dash: str
    points: list[Point]
    path: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    height: float
    left: float
    right: float
    top: float
    bottom: float


MARKERS = (("circle", ""), ("square", "6 3"), ("triangle", "2 3"))
MARKER_GAP = 12.0  # markers are up to 11 px wide with their outline: equal values are drawn side by side


def line_chart(
    labels: list[str], series: list[tuple[str, list[Decimal | None]]], height: float = 220
) -> LineChart:
    """Rates over time. A month without data leaves a gap in its line instead of a false zero."""
    left, right, top, bottom = 34.0, WIDTH - 22.0, 12.0, height - 28.0
    count = len(labels)
    step = (right - left) / (count - 1) if count > 1 else 0

    def x_of(index: int) -> float:
        return left + index * step if count > 1 else (left + right) / 2

    def y_of(value: Decimal) -> float:
        return bottom - float(value) * (bottom - top) / 100

    # Lines with the same value in the same month would hide each other's markers (two rates of
    # 100 % in a one-month chart): those markers are spread side by side around the true position.
    sharing: dict[tuple[int, Decimal], list[int]] = {}
    for number, (_name, values) in enumerate(series[: len(MARKERS)]):
        for index, value in enumerate(values):
            if value is not None:
                sharing.setdefault((index, value), []).append(number)

    def marker_x(number: int, index: int, value: Decimal) -> float:
        together = sharing[(index, value)]
        return x_of(index) + (together.index(number) - (len(together) - 1) / 2) * MARKER_GAP

    lines = []
    for number, ((name, values), (marker, dash)) in enumerate(zip(series, MARKERS, strict=False)):
        points: list[Point] = []
        path: list[str] = []
        pen_down = False
        for index, value in enumerate(values):
            if value is None:
                pen_down = False
                continue
            x = round(x_of(index), 1)
            point = Point(x, round(y_of(value), 1), value, round(marker_x(number, index, value), 1))
            points.append(point)
            path.append(f"{'L' if pen_down else 'M'}{point.x} {point.y}")
            pen_down = True
        lines.append(Line(name, marker, dash, points, " ".join(path)))
    every = max(1, -(-count // 6))  # at most six month labels fit a phone's width
    x_ticks = [Tick(round(x_of(i), 1), label) for i, label in enumerate(labels) if i % every == 0]
    y_ticks = [Tick(round(y_of(Decimal(v)), 1), f"{v}") for v in (0, 25, 50, 75, 100)]
    return LineChart(lines, x_ticks, y_ticks, height, left, right, top, bottom)
