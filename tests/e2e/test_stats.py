"""The evaluation loop, the whole way round in real browsers, and the public figures following it.

A resident reports; the centre dispatches; the department accepts and resolves; the resident rates
不满意 and "not solved"; a supervision order appears and reopens the ticket; the department resolves
again; the resident rates 满意. After each rating, /stats and its CSV download move exactly as the
formulas in portal/stats/figures.py say. Then axe-core on /stats in both modes.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy.engine import Engine

from portal.accounts.models import StaffRole
from portal.stats.period import today
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, format_violations, report_ticket, run_axe, screenshot
from tests.e2e.test_staff import (
    action_form,
    jpeg,
    make_staff,
    press,
    staff_browser,
    ticket_by_code,
    urban_management,
    zh,
)

pytestmark = pytest.mark.e2e

PERIOD = f"from={today() - timedelta(days=1)}&to={today() + timedelta(days=1)}"
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")


def rate(page: Page, code: str, level: int, solved: str) -> None:
    """The reporter's own phone: the rating page knows it, so no digits are asked."""
    page.goto(f"/t/{code}/rate")
    expect(page.locator("#digits")).to_have_count(0)
    page.locator(f"label[for=level-{level}]").click()
    page.locator(f"label[for=solved-{solved}]").click()
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_be_visible()


def resolve(page: Page, code: str, note: str, photo: Path) -> None:
    page.goto(f"/staff/t/{code}")
    press(page, action_form(page, "accept"))
    form = action_form(page, "resolve")
    form.locator("#note-resolve").fill(note)
    form.locator("#photos-resolve").set_input_files(photo)
    press(page, form)
    expect(page.locator(".ticket-summary .tag")).to_contain_text(zh("Resolved"))


def figures(page: Page, department: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """What a reader sees on /stats (the district's cards, the department's league row) and what the
    figures CSV they download from the page says for the department."""
    page.goto(f"/stats?{PERIOD}")
    names = (*RATES, "open_supervision_orders", "composite_score")
    cards = {name: shown(page.locator(f".figure-cards [data-figure={name}] strong")) for name in names}
    row = page.locator(f"#league-table tr[data-group={department}]")
    league = {name: shown(row.locator(f"[data-figure={name}]")) for name in names}
    with page.expect_download() as download:
        page.locator("a[href^='/stats/figures.csv']").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    return cards, league, next(r for r in rows if r["group_code"] == department)


def shown(cell: Locator) -> str:
    """The figure as a reader sees it: "50.0%", or the dash that stands for "no data"."""
    value = cell.inner_text().split()[0]
    return "—" if value.startswith("—") else value


def expect_figures(page: Page, department: str, *, counts: dict[str, str], shown: dict[str, str]) -> None:
    cards, league, row = figures(page, department)
    for column, value in counts.items():
        assert row[column] == value, (column, row[column], value)
    for name, value in shown.items():
        as_shown = f"{value}%" if name in RATES and value != "—" else value
        assert league[name] == as_shown, (name, league[name], as_shown)
        assert cards[name] == as_shown, (name, cards[name], as_shown)  # one department: the district agrees
        assert row[name] == ("" if value == "—" else value), (name, row[name], value)


def test_a_poor_rating_comes_back_round_and_the_figures_follow(
    new_context: ContextFactory, engine: Engine, tmp_path: Path
) -> None:
    department = urban_management(engine)
    make_staff(engine, "centre-loop", StaffRole.DISPATCHER)
    make_staff(engine, "dept-loop", StaffRole.DEPARTMENT, department.id)
    photo = jpeg(tmp_path / "after.jpg")

    resident = new_context().new_page()
    code = report_ticket(resident, phone=PHONE)

    centre = staff_browser(new_context, "centre-loop")
    centre.goto(f"/staff/t/{code}")
    dispatch = action_form(centre, "dispatch")
    dispatch.locator("select#department").select_option(str(department.id))
    press(centre, dispatch)

    dept = staff_browser(new_context, "dept-loop")
    resolve(dept, code, "已更换灯泡，路灯恢复正常。", photo)
    reader = new_context().new_page()
    expect_figures(
        reader, department.slug,
        counts={"dispatched": "1", "accepted_on_time": "1", "resolutions": "1", "ratings": "0"},
        shown={"response_rate": "100.0", "resolution_rate": "—", "satisfaction_rate": "—",
               "on_time_rate": "100.0", "open_supervision_orders": "0", "composite_score": "—"},
    )  # fmt: skip

    # 不满意, not solved: a supervision order reopens the ticket for a second round.
    rate(resident, code, level=2, solved="no")
    ticket = ticket_by_code(engine, code)
    assert (ticket.status, ticket.round) == ("dispatched", 2)
    centre.goto("/staff/supervision")
    card = centre.locator(".ticket-card", has=centre.locator(f"a[href='/staff/t/{code}']"))
    expect(card).to_contain_text(zh("Poor result"))
    # one rated round, not solved (0 of 1); one rating, not satisfied (0 of 1); one open order;
    # composite = (10 × 100 + 50 × 0 + 40 × 0) / 100 = 10.0
    expect_figures(
        reader, department.slug,
        counts={"rated_rounds": "1", "solved_rounds": "0", "ratings": "1", "satisfied_ratings": "0"},
        shown={"response_rate": "100.0", "resolution_rate": "0.0", "satisfaction_rate": "0.0",
               "on_time_rate": "100.0", "open_supervision_orders": "1", "composite_score": "10.0"},
    )  # fmt: skip

    # The department takes it up again and resolves it; the order is fulfilled.
    resolve(dept, code, "已更换整套灯具并复查线路。", photo)
    rate(resident, code, level=4, solved="yes")
    assert ticket_by_code(engine, code).status == "closed"
    # two rated rounds, one solved (50.0); two ratings, one 满意 (50.0); two resolutions on time;
    # the re-acceptance after supervision is not a new order: still 1 of 1 accepted on time.
    # composite = (10 × 100 + 50 × 50 + 40 × 50) / 100 = 55.0
    expect_figures(
        reader, department.slug,
        counts={"dispatched": "1", "rated_rounds": "2", "solved_rounds": "1", "ratings": "2",
                "satisfied_ratings": "1", "resolutions": "2", "resolved_on_time": "2"},
        shown={"response_rate": "100.0", "resolution_rate": "50.0", "satisfaction_rate": "50.0",
               "on_time_rate": "100.0", "open_supervision_orders": "0", "composite_score": "55.0"},
    )  # fmt: skip
    expect(reader.locator(f"#league-table tr[data-group={department.slug}] td").first).to_have_text("1")

    # The public ticket page keeps both rounds.
    resident.goto(f"/t/{code}")
    expect(resident.locator("main")).to_contain_text(zh("Dissatisfied"))
    expect(resident.locator("main")).to_contain_text(zh("Satisfied"))


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_the_figures_page_passes_axe_on_a_phone(
    new_context: ContextFactory, live_server: str, elder: bool
) -> None:
    context = new_context()
    if elder:
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()
    page.goto("/")
    with page.expect_navigation():
        page.locator("a.tile[href='/stats']").click()
    expect(page.locator("h1")).to_have_text(zh("How the departments are doing"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360  # tables scroll in their box
    expect(page.locator("#league-chart title")).to_have_count(1)
    violations = run_axe(page)
    screenshot(page, f"stats-{'elder' if elder else 'standard'}")
    assert not violations, format_violations("/stats", violations)
    # A backwards period: a clear message, in the reader's language, and the form keeps the days.
    page.goto("/stats?from=2026-10-31&to=2026-10-01")
    expect(page.locator(".error-summary")).to_contain_text(
        zh("The last day is before the first day. Swap them and try again.")
    )
    expect(page.locator("#from")).to_have_value("2026-10-31")
    assert not (violations := run_axe(page)), format_violations("/stats error", violations)
    assert re.search(r"^Error|^错误", page.title())
