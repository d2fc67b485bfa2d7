"""The ticket's public page as a resident sees it on a 360 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import report_ticket, screenshot

pytestmark = pytest.mark.e2e


def boxes(page: Page, selector: str) -> list[dict[str, float]]:
    """The boxes of the matching elements a reader sees (a row hidden until it has a value, like the
    supporters' count, has none)."""
    found = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    shown = [box for box in found if box]
    assert shown, selector
    return shown


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_facts_line_up_label_beside_value(new_context: ContextFactory, locale: str) -> None:
    code = report_ticket(new_context().new_page())
    page = new_context(locale=locale).new_page()
    page.goto(f"/t/{code}")
    screenshot(page, f"ticket-facts-{locale}")
    labels = boxes(page, ".ticket-summary .facts dt")
    values = boxes(page, ".ticket-summary .facts dd")
    assert len(labels) == len(values) >= 3
    # every value starts in the same column, beside its own label (not under it), inside the screen
    assert max(v["x"] for v in values) - min(v["x"] for v in values) < 1, values
    for label, value in zip(labels, values, strict=True):
        assert abs(label["y"] - value["y"]) < 2, (label, value)
        assert value["x"] >= label["x"] + label["width"], (label, value)
        assert value["x"] + value["width"] <= 360, value
