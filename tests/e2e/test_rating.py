"""An elder rates a resolved ticket on a phone, with and without JavaScript; the page passes axe;
a supporter rates from the personal link in their SMS."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.evaluation.models import Rating
from portal.services import Services
from portal.tickets.models import Ticket
from portal.tickets.service import add_supporter, find_by_code
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, format_violations, report_ticket, run_axe, screenshot
from tests.unit.factories import resolve_ticket

pytestmark = pytest.mark.e2e
SUPPORTER = "13900001111"


def resolve(engine: Engine, services: Services, code: str) -> None:
    with Session(engine, expire_on_commit=False) as db:
        ticket = find_by_code(db, code)
        assert ticket is not None
        resolve_ticket(db, services, ticket, tag=code)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_an_elder_rates_the_result(
    new_context: ContextFactory, live_server: str, engine: Engine, services: Services, javascript: bool
) -> None:
    reporter = new_context().new_page()
    code = report_ticket(reporter, phone=PHONE)
    resolve(engine, services, code)

    context = new_context(java_script_enabled=javascript)
    context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()  # a volunteer's phone: the browser does not know the reporter
    page.goto(f"/t/{code}")
    page.locator("main a[href$='/rate']").click()
    expect(page.locator("h1")).to_contain_text(code)
    violations = run_axe(page) if javascript else []
    screenshot(page, "rate-elder")
    assert not violations, format_violations("rate form (elder)", violations)
    page.locator("label[for=level-2]").click()
    page.locator("label[for=solved-no]").click()
    page.locator("#comment").fill("灯还是不亮")
    page.locator("#digits").fill(PHONE[-4:])
    page.locator("form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_be_visible()
    with Session(engine) as db:
        ticket = db.exec(select(Ticket).where(Ticket.code == code)).one()
        assert (ticket.status, ticket.round) == ("dispatched", 2)  # reopened under supervision


def test_a_supporter_rates_from_the_link_in_their_sms(
    new_context: ContextFactory, live_server: str, engine: Engine, services: Services
) -> None:
    reporter = new_context().new_page()
    code = report_ticket(reporter, phone=PHONE)
    with Session(engine, expire_on_commit=False) as db:
        ticket = find_by_code(db, code)
        assert ticket is not None
        add_supporter(db, ticket, SUPPORTER, "zh_Hans")
        db.commit()
    resolve(engine, services, code)
    link = services.sms.to(SUPPORTER)[-1].rsplit("：", 1)[-1]  # type: ignore[attr-defined]
    assert link.startswith(f"{services.settings.base_url}/r/{code}/")

    page = new_context(java_script_enabled=False).new_page()  # the supporter's own phone
    page.goto(link.removeprefix(services.settings.base_url))  # the live server stands in for it
    assert page.url.endswith(f"/t/{code}/rate")  # the token leaves the address bar at once
    expect(page.locator("#digits")).to_have_count(0)
    page.locator("label[for=level-4]").click()
    page.locator("label[for=solved-yes]").click()
    page.locator("form button[type=submit]").click()
    expect(page.locator("[role=status]")).to_be_visible()
    with Session(engine) as db:
        ticket = db.exec(select(Ticket).where(Ticket.code == code)).one()
        assert [r.rater for r in db.exec(select(Rating).where(Rating.ticket_id == ticket.id))] == [SUPPORTER]
