"""axe-core (WCAG 2.2 A and AA) on every public page at 360×800, in normal and elder mode, plus a
full-page screenshot of each into test-results/screens/ for people to look at."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from portal.access import ACCESS_COOKIE
from tests.conftest import current_engine
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, fill_report, format_violations, report_ticket, run_axe, screenshot
from tests.unit.surveys.survey_data import open_survey

pytestmark = pytest.mark.e2e


def _home(page: Page, _photo: Path) -> None:
    page.goto("/")


def _report(page: Page, _photo: Path) -> None:
    page.goto("/report")


def _report_errors(page: Page, _photo: Path) -> None:
    page.goto("/report")
    fill_report(page, category=None, description="坏了", phone="12345")
    with page.expect_navigation():
        page.locator("button[data-submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _confirmation(page: Page, photo: Path) -> None:
    page.goto("/report")
    fill_report(page, community="岑头社区", phone=PHONE, name="张三")
    page.locator("#photos").set_input_files(photo)
    with page.expect_navigation():
        page.locator("button[data-submit]").click()
    expect(page.locator(".tracking-code")).to_be_visible()


def _ticket(page: Page, photo: Path) -> None:
    """The ticket page as its reporter sees it: private details and the photo awaiting approval."""
    _confirmation(page, photo)
    page.locator("main a.button--primary").click()
    expect(page.locator("ol.timeline > li")).to_have_count(1)


def _ticket_public(page: Page, _photo: Path) -> None:
    """The ticket page as anyone else sees it, with the "is this your report?" form."""
    code = report_ticket(page, phone=PHONE)
    page.context.clear_cookies(name=ACCESS_COOKIE)  # forget that this browser sent the report
    page.goto(f"/t/{code}")
    expect(page.locator("#digits")).to_be_visible()


def _track(page: Page, _photo: Path) -> None:
    page.goto("/track")


def _track_errors(page: Page, _photo: Path) -> None:
    page.goto("/track")
    page.locator("#code").fill("7K4M-P2QX")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _board(page: Page, _photo: Path) -> None:
    report_ticket(page, community="岑头社区")
    report_ticket(page, community="孙厝社区", description="孙厝社区菜市场门口路灯不亮，晚上很黑。")
    page.goto("/tickets")
    expect(page.locator("#results .ticket-card")).to_have_count(2)


def _board_filtered(page: Page, _photo: Path) -> None:
    """After an htmx swap: the announced result region must stay clean too."""
    report_ticket(page, community="岑头社区")
    page.goto("/tickets")
    page.locator("#filter-street").select_option(value="houxi")
    expect(page).to_have_url(re.compile(r"street=houxi"))
    expect(page.locator("#results .ticket-card")).to_have_count(0)


def _privacy(page: Page, _photo: Path) -> None:
    page.goto("/privacy")


def _surveys(page: Page, _photo: Path) -> None:
    with Session(current_engine()) as session:
        open_survey(session)
    page.goto("/surveys")


def _survey(page: Page, _photo: Path) -> None:
    with Session(current_engine()) as session:
        open_survey(session)
    page.goto("/surveys/shili-changdi-manyidu")


def _not_found(page: Page, _photo: Path) -> None:
    response = page.goto("/t/7K4M-P2QX")
    assert response is not None and response.status == 404


PAGES: dict[str, Callable[[Page, Path], None]] = {
    "home": _home,
    "report": _report,
    "report-errors": _report_errors,
    "confirmation": _confirmation,
    "ticket": _ticket,
    "ticket-public": _ticket_public,
    "track": _track,
    "track-errors": _track_errors,
    "board": _board,
    "board-filtered": _board_filtered,
    "privacy": _privacy,
    "surveys": _surveys,
    "survey": _survey,
    "not-found": _not_found,
}


@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("name", list(PAGES))
def test_public_page_has_no_axe_violations(
    new_context: ContextFactory, live_server: str, phone_photo: Path, name: str, mode: str
) -> None:
    context = new_context()
    if mode == "elder":
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()
    PAGES[name](page, phone_photo)
    if mode == "elder":
        expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    else:
        expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    page.wait_for_load_state("load")
    screenshot(page, f"{name}-{mode}")
    violations = run_axe(page)
    assert not violations, format_violations(f"{name} ({mode} mode, {page.url})", violations)


def test_axe_harness_reports_violations(page: Page) -> None:
    """The zero-violation results above mean something: axe runs under the CSP and sees real faults."""
    page.goto("/privacy")
    page.evaluate(
        """() => { const img = document.createElement('img'); img.src = '/static/img/favicon.svg';
                   document.querySelector('main').appendChild(img); }"""
    )
    found = {v["id"] for v in run_axe(page)}
    assert "image-alt" in found, found
