"""Self, mutual and peer evaluations from the staff pages in a real browser, shown on the public page.

The handling department evaluates its own work (a missing reason is refused and nothing is saved),
the command centre gives the mutual evaluation and asks another department for a peer evaluation,
and that department finds the request on its own page, reads the ticket without being able to act
on it, and evaluates. axe-core runs on each staff page along the way.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.directory.models import Department
from portal.evaluation.models import Evaluation
from portal.services import Services
from portal.tickets.service import find_by_code
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import PHONE, report_ticket
from tests.e2e.test_staff import Axe, action_form, make_staff, press, staff_browser, zh
from tests.unit.factories import resolve_ticket

pytestmark = pytest.mark.e2e


def evaluate(page: Page, kind: str, level: int, reason: str) -> None:
    form = action_form(page, f"evaluate-{kind}")
    form.locator(f"label[for=eval-{level}]").click()
    form.locator("#reason-evaluate").fill(reason)
    press(page, form)


def evaluations(engine: Engine, ticket_id: int) -> list[tuple[str, int]]:
    with Session(engine) as session:
        found = session.exec(select(Evaluation).where(Evaluation.ticket_id == ticket_id))
        return sorted((e.kind, e.level) for e in found)


def test_self_mutual_and_peer_evaluations(
    new_context: ContextFactory, engine: Engine, services: Services
) -> None:
    axe = Axe()
    resident = new_context().new_page()
    code = report_ticket(resident, phone=PHONE)
    with Session(engine, expire_on_commit=False) as db:
        ticket = find_by_code(db, code)
        assert ticket is not None and ticket.id is not None
        resolve_ticket(db, services, ticket, tag="ev")  # makes "centreev" and "workerev"
        ticket_id = ticket.id
        handler = db.get(Department, ticket.department_id)
        peer = db.exec(select(Department).where(Department.slug == "transport")).one()
        assert handler is not None and peer.id != handler.id
    make_staff(engine, "peer-transport", StaffRole.DEPARTMENT, peer.id)

    # The handling department evaluates its own work; without a reason nothing is saved.
    worker = staff_browser(new_context, "workerev")
    worker.goto(f"/staff/t/{code}")
    form = action_form(worker, "evaluate-self")
    form.locator("label[for=eval-4]").click()
    press(worker, form)
    expect(worker.locator(".error-summary")).to_contain_text(zh("Write a reason."))
    assert evaluations(engine, ticket_id) == []
    evaluate(worker, "self", 4, "当天更换灯泡，群众满意。")
    expect(action_form(worker, "evaluate-self")).to_have_count(0)  # one per round

    # The centre gives the mutual evaluation and asks the transport bureau for a peer evaluation.
    centre = staff_browser(new_context, "centreev")
    centre.goto(f"/staff/t/{code}")
    evaluate(centre, "mutual", 3, "办结及时，但现场照片不够清楚。")
    ask = action_form(centre, "ask-peer")
    ask.locator("#peer-department").select_option(str(peer.id))
    press(centre, ask)
    expect(action_form(centre, "ask-peer")).to_contain_text(peer.name("zh_Hans"))
    expect(action_form(centre, "ask-peer")).to_contain_text(zh("Waiting for the evaluation"))
    axe.check(centre, "ticket-resolved-centre")

    # The transport bureau finds the request on its own page and evaluates, without other powers.
    other = staff_browser(new_context, "peer-transport")
    other.goto("/staff/department")
    asked = other.locator("section[aria-labelledby=asked-title]")
    expect(asked).to_contain_text(zh("Evaluations asked of you"))
    axe.check(other, "department-asked")
    with other.expect_navigation():
        asked.locator(f"a[href='/staff/t/{code}']").click()
    for step in ("accept", "progress", "resolve", "evaluate-self", "evaluate-mutual", "ask-peer"):
        expect(action_form(other, step)).to_have_count(0)
    axe.check(other, "ticket-peer")
    evaluate(other, "peer", 5, "灯具更换规范，线路也做了检查。")
    assert evaluations(engine, ticket_id) == [("mutual", 3), ("peer", 5), ("self", 4)]

    centre.goto(f"/staff/t/{code}")
    expect(action_form(centre, "ask-peer")).to_contain_text(zh("Evaluated"))

    # The public page shows all three, by role and department, never a staff name.
    resident.goto(f"/t/{code}")
    main = resident.locator("main")
    expect(main).to_contain_text(zh("Self-evaluation by the department"))
    expect(main).to_contain_text(zh("Evaluation by the command centre"))
    expect(main).to_contain_text(peer.name("zh_Hans"))
    expect(main).to_contain_text("灯具更换规范，线路也做了检查。")
    expect(main).not_to_contain_text("peer-transport")
    axe.assert_clean()
