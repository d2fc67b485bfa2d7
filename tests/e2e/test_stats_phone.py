"""/stats on a 360 px phone: the month-by-month chart and table show every figure."""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.services import Services
from portal.tickets.service import find_by_code
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, format_violations, report_ticket, run_axe, screenshot
from tests.unit.factories import resolve_ticket

pytestmark = pytest.mark.e2e


def a_month_of_perfect_rates(new_context: ContextFactory, engine: Engine, services: Services) -> None:
    """One ticket, accepted in time, resolved, rated satisfied and solved: every rate this month is 100 %."""
    reporter = new_context().new_page()
    code = report_ticket(reporter, phone=PHONE)
    with Session(engine, expire_on_commit=False) as db:
        ticket = find_by_code(db, code)
        assert ticket is not None
        resolve_ticket(db, services, ticket, tag=code)
    reporter.goto(f"/t/{code}/rate")
    reporter.locator("label[for=level-5]").click()
    reporter.locator("label[for=solved-yes]").click()
    reporter.locator("form button[type=submit]").click()
    expect(reporter.locator("[role=status]")).to_be_visible()


def wrap_of(page: Page, table: str) -> dict[str, float]:
    return page.evaluate(
        """(id) => { const wrap = document.getElementById(id).closest('.table-wrap');
                     return {client: wrap.clientWidth, scroll: wrap.scrollWidth,
                             page: document.documentElement.scrollWidth}; }""",
        table,
    )


def test_equal_rates_stay_visible_and_the_table_fits(
    new_context: ContextFactory, engine: Engine, services: Services
) -> None:
    a_month_of_perfect_rates(new_context, engine, services)
    page = new_context().new_page()
    page.goto("/stats")
    chart = page.locator("#trend-chart")
    chart.scroll_into_view_if_needed()
    screenshot(page, "stats-trend-zh")
    expect(page.locator("#trend-table tbody td").first).to_have_text("100.0%")
    markers = [m.bounding_box() for m in chart.locator(".chart-marker").all()]
    assert len(markers) == 3 and all(markers)
    boxes = sorted((m["x"], m["x"] + m["width"]) for m in markers if m)
    for (_left, right), (next_left, _right) in pairwise(boxes):
        assert next_left >= right, f"markers cover each other: {boxes}"  # all three lines can be seen

    # the month-by-month table fits the phone in Chinese: 评价数 is not cut off
    sizes = wrap_of(page, "trend-table")
    assert sizes["scroll"] <= sizes["client"] and sizes["page"] <= 360, sizes
    last = page.locator("#trend-table thead th").last
    expect(last).to_have_text("评价数")
    box = last.bounding_box()
    assert box and box["x"] + box["width"] <= 360


def test_a_table_too_wide_for_the_phone_scrolls_inside_its_frame(new_context: ContextFactory) -> None:
    page = new_context(locale="en").new_page()
    page.goto("/stats")
    for table in ("trend-table", "league-table"):
        sizes = wrap_of(page, table)
        assert sizes["page"] <= 360, sizes  # the page never scrolls sideways
        page.evaluate(
            "(id) => { const w = document.getElementById(id).closest('.table-wrap'); w.scrollLeft = w.scrollWidth; }",
            table,
        )
        last = page.locator(f"#{table} thead th").last
        box = last.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (table, box)


@pytest.mark.parametrize("path", ["/stats", "/stats/columns"])
def test_the_figures_and_their_columns_pass_axe(new_context: ContextFactory, path: str) -> None:
    page = new_context().new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    violations = run_axe(page)
    assert not violations, format_violations(path, violations)
