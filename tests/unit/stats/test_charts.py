"""Chart geometry: what the SVG templates draw."""

from __future__ import annotations

from decimal import Decimal

from portal.stats.charts import line_chart


def test_equal_values_in_a_month_are_drawn_side_by_side_not_on_top_of_each_other() -> None:
    full, half = Decimal(100), Decimal("51.5")
    chart = line_chart(["11月"], [("响应率", [half]), ("解决率", [full]), ("满意率", [full])])
    [response], [resolution], [satisfaction] = (line.points for line in chart.lines)
    assert resolution.y == satisfaction.y and resolution.x == satisfaction.x  # the same value, same month
    assert satisfaction.marker_x - resolution.marker_x >= 11  # wider than a marker with its outline
    assert response.marker_x == response.x  # alone at its value: drawn where it is
    assert chart.left < resolution.marker_x < satisfaction.marker_x < chart.right


def test_lines_still_run_through_the_true_values() -> None:
    same = [Decimal(80), Decimal(90)]
    chart = line_chart(["Oct", "Nov"], [("a", same), ("b", same)])
    first, second = chart.lines
    assert first.path == second.path  # the lines coincide, as the values do; only markers move apart
    assert [p.marker_x for p in first.points] != [p.marker_x for p in second.points]
