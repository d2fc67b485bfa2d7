"""The staff side in a real browser: the command centre dispatches a resident's report, a department
accepts, reports progress and resolves it with a photo, a missed deadline brings a supervision order,
and the resident watches every public step on the ticket's page. Plus access rules and axe-core on
every staff page (screenshots in test-results/screens/staff-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.accounts.service import create_user
from portal.directory.models import Category, Department
from portal.dispatch.service import sweep
from portal.i18n import translator
from portal.services import Services
from portal.tickets.models import Ticket
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import (
    CATEGORY_SLUG,
    PHONE,
    fill_report,
    format_violations,
    report_ticket,
    run_axe,
    screenshot,
    submit_report,
    tracking_code,
)

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough password"
ZH = translator("zh_Hans")  # the contexts are zh-CN: the pages speak Simplified Chinese


def zh(message: str) -> str:
    return ZH.gettext(message)


# --- accounts and the database ---------------------------------------------------------------


def make_staff(engine: Engine, username: str, role: StaffRole, department_id: int | None = None) -> None:
    with Session(engine) as session:
        create_user(session, username=username, password=PASSWORD, role=role, department_id=department_id)
        session.commit()


def urban_management(engine: Engine) -> Department:
    """The city-management bureau: not the streetlight default, so the dispatcher must really choose it."""
    with Session(engine, expire_on_commit=False) as session:
        category = session.exec(select(Category).where(Category.slug == CATEGORY_SLUG)).one()
        department = session.exec(select(Department).where(Department.slug == "urban-management")).one()
        assert department.active and department.id != category.default_department_id
        return department


def ticket_by_code(engine: Engine, code: str) -> Ticket:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Ticket).where(Ticket.code == code)).one()


# --- browser steps ---------------------------------------------------------------------------


def sign_in(page: Page, username: str) -> None:
    """On the sign-in page: type the name and password and press the button."""
    expect(page.locator("h1")).to_have_text(zh("Staff sign-in"))
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form[action='/staff/login'] button[type=submit]").click()


def staff_browser(new_context: ContextFactory, username: str) -> Page:
    """A browser of its own, signed in at /staff/login (which lands on the staff home page)."""
    page = new_context().new_page()
    page.goto("/staff/login")
    sign_in(page, username)
    expect(page).to_have_url(re.compile(r"/staff$"))
    return page


def action_form(page: Page, action: str) -> Locator:
    return page.locator(f"form.action-form:has(input[type=hidden][name=action][value='{action}'])")


def press(page: Page, form: Locator) -> None:
    with page.expect_navigation():
        form.locator("button").last.click()


def open_from_list(page: Page, code: str) -> None:
    link = page.locator(f".ticket-card a[href='/staff/t/{code}']")
    expect(link).to_be_visible()
    with page.expect_navigation():
        link.click()
    expect(page.locator("h1")).to_contain_text(code)


def resident_sees(page: Page, code: str, *, status: str, event: str, note: str = "") -> None:
    """The resident reloads the ticket's page: the status, and the newest timeline entry."""
    page.goto(f"/t/{code}")
    expect(page.locator(".ticket-summary .tag")).to_contain_text(zh(status))
    newest = page.locator("ol.timeline > li").last
    expect(newest.locator(".timeline-what")).to_have_text(zh(event))
    if note:
        expect(newest.locator(".timeline-note")).to_have_text(note)


class Axe:
    """Screenshot and axe-core on each staff page; every violation is reported at the end together."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        screenshot(page, f"staff-{name}")
        if violations := run_axe(page):
            self.failures.append(format_violations(f"staff-{name} ({page.url})", violations))

    def assert_clean(self) -> None:
        assert not self.failures, "\n".join(self.failures)


def jpeg(path: Path) -> Path:
    """A real photo-like JPEG of the repaired light (a gradient with noise, 1200×900)."""
    size = (1200, 900)
    base = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (base, Image.effect_noise(size, 30), base.rotate(90).resize(size)))
    image.save(path, "JPEG", quality=85)
    return path


# --- the whole way ---------------------------------------------------------------------------


def test_report_is_dispatched_accepted_and_resolved(
    new_context: ContextFactory, engine: Engine, tmp_path: Path
) -> None:
    axe = Axe()
    department = urban_management(engine)
    department_name = department.name("zh_Hans")
    make_staff(engine, "centre-flow", StaffRole.DISPATCHER)
    make_staff(engine, "dept-flow", StaffRole.DEPARTMENT, department.id)

    # 1. A resident reports a streetlight that is out.
    resident = new_context().new_page()
    code = report_ticket(resident)
    resident_sees(resident, code, status="Submitted", event="Reported")

    # 2. The command centre signs in, finds the ticket in the queue and dispatches it.
    centre = new_context().new_page()
    centre.goto("/staff/login")
    axe.check(centre, "login")
    sign_in(centre, "centre-flow")
    centre.goto("/staff/queue")
    expect(centre.locator("h1")).to_have_text(zh("Dispatch queue"))
    axe.check(centre, "queue")
    open_from_list(centre, code)
    axe.check(centre, "ticket-dispatcher")
    dispatch = action_form(centre, "dispatch")
    select = dispatch.locator("select#department")
    assert select.input_value() != str(department.id), "pick a department that is not pre-selected"
    select.select_option(label=department_name)
    dispatch.get_by_label(zh("Public note (optional)")).fill("已转区城管局处理，请耐心等待。")
    press(centre, dispatch)
    expect(centre).to_have_url(re.compile(rf"/staff/t/{code}\?done=dispatch$"))
    expect(centre.locator("p.success[role=status]")).to_be_visible()
    expect(centre.locator(".ticket-summary .tag")).to_contain_text(zh("Sent to a department"))
    expect(centre.locator(".ticket-summary")).to_contain_text(department_name)
    resident_sees(
        resident, code, status="Sent to a department", event="Sent to the department",
        note="已转区城管局处理，请耐心等待。",
    )  # fmt: skip
    expect(resident.locator(".ticket-summary")).to_contain_text(department_name)

    # 3. The department signs in, opens its orders, accepts, reports progress, and resolves.
    dept = staff_browser(new_context, "dept-flow")
    dept.goto("/staff/department")
    axe.check(dept, "department")
    open_from_list(dept, code)
    axe.check(dept, "ticket-department")
    press(dept, action_form(dept, "accept"))
    expect(dept.locator(".ticket-summary .tag")).to_contain_text(zh("Accepted"))
    resident_sees(resident, code, status="Accepted", event="The department accepted the order")

    progress = action_form(dept, "progress")
    progress.locator("#note-progress").fill("维修人员已到场，正在更换灯泡。")
    progress.locator("#internal-progress").fill("备件从仓库调拨")
    press(dept, progress)
    expect(dept.locator(".ticket-summary .tag")).to_contain_text(zh("In progress"))
    resident_sees(
        resident, code, status="In progress", event="Progress update", note="维修人员已到场，正在更换灯泡。"
    )
    expect(resident.locator("main")).not_to_contain_text("备件从仓库调拨")  # internal notes stay inside

    resolve = action_form(dept, "resolve")
    resolve.locator("#note-resolve").fill("已更换灯泡，路灯恢复正常。")
    with dept.expect_navigation():
        resolve.locator("button").click()
    expect(dept.locator(".error-summary")).to_contain_text(zh("Add at least one photo of the result."))
    expect(action_form(dept, "resolve").locator("#note-resolve")).to_have_value("已更换灯泡，路灯恢复正常。")
    axe.check(dept, "ticket-department-error")
    resident_sees(
        resident, code, status="In progress", event="Progress update", note="维修人员已到场，正在更换灯泡。"
    )  # the refused step changed nothing

    resolve = action_form(dept, "resolve")
    resolve.locator("#photos-resolve").set_input_files(jpeg(tmp_path / "after.jpg"))
    press(dept, resolve)
    expect(dept).to_have_url(re.compile(rf"/staff/t/{code}\?done=resolve$"))
    expect(dept.locator(".ticket-summary .tag")).to_contain_text(zh("Resolved"))
    resident_sees(resident, code, status="Resolved", event="Resolved", note="已更换灯泡，路灯恢复正常。")
    expect(resident.locator(".photos img")).to_have_count(1)  # the photo of the result is public
    # ... with the step that resolved it, as the department's, not among what the resident reported
    resolved = resident.locator("ol.timeline > li").last
    expect(resolved.locator(".photos img")).to_have_count(1)
    expect(resolved.locator(".photos .hint")).to_have_text(zh("Taken by the department (after resolving)"))
    expect(resident.locator("section:has(#what-title) .photos")).to_have_count(0)

    # 4. The whole public story, in order, as the resident reads it.
    expect(resident.locator("ol.timeline .timeline-what")).to_have_text(
        [zh(a) for a in ("Reported", "Sent to the department", "The department accepted the order",
                         "Progress update", "Resolved")]
    )  # fmt: skip
    # Someone else's browser (the cached public page) is up to date too.
    stranger = new_context().new_page()
    resident_sees(stranger, code, status="Resolved", event="Resolved", note="已更换灯泡，路灯恢复正常。")
    # The resolved order has left the department's list.
    dept.goto("/staff/department")
    expect(dept.locator(f".ticket-card a[href='/staff/t/{code}']")).to_have_count(0)
    axe.assert_clean()


def loaded(image: Locator) -> bool:
    """The browser got and decoded the picture (a broken image has no natural width)."""
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def test_the_centre_sees_the_photo_it_is_asked_to_approve(
    new_context: ContextFactory, engine: Engine, tmp_path: Path
) -> None:
    make_staff(engine, "centre-photo", StaffRole.ADMIN)
    resident = new_context().new_page()
    resident.goto("/report")
    fill_report(resident, community="岑头社区")
    resident.locator("#photos").set_input_files(jpeg(tmp_path / "problem.jpg"))
    submit_report(resident)
    code = tracking_code(resident)

    centre = staff_browser(new_context, "centre-photo")
    centre.goto(f"/staff/t/{code}")
    photo = centre.locator("section:has(#photos-title) .photos img")
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()
    expect(photo).to_have_js_property("complete", True)
    assert loaded(photo), "the photo waiting for review does not show for the centre"
    expect(centre.locator("section:has(#photos-title) .hint")).to_have_text(
        f"{zh('Sent by the resident')} · {zh('Not public yet')}"
    )
    screenshot(centre, "staff-photo-review")
    with centre.expect_navigation():
        centre.locator("button[value=approve-photo]").click()

    stranger = new_context().new_page()
    stranger.goto(f"/t/{code}")
    public_photo = stranger.locator("section:has(#what-title) .photos img")
    expect(public_photo).to_have_count(1)
    public_photo.scroll_into_view_if_needed()
    expect(public_photo).to_have_js_property("complete", True)
    assert loaded(public_photo)
    # the approval was the centre's own step: the public timeline says nothing about it
    expect(stranger.locator("ol.timeline .timeline-what")).to_have_text([zh("Reported")])


def test_missed_deadline_brings_a_supervision_order(
    new_context: ContextFactory, engine: Engine, services: Services
) -> None:
    axe = Axe()
    make_staff(engine, "centre-sweep", StaffRole.DISPATCHER)
    resident = new_context().new_page()
    code = report_ticket(resident)

    centre = staff_browser(new_context, "centre-sweep")
    centre.goto(f"/staff/t/{code}")
    press(centre, action_form(centre, "dispatch"))  # to the category's default department
    expect(centre.locator(".ticket-summary .tag")).to_contain_text(zh("Sent to a department"))

    # Nobody accepts it: the deadline sweep runs one minute after the response deadline.
    ticket = ticket_by_code(engine, code)
    assert ticket.response_due is not None
    with Session(engine, expire_on_commit=False) as session:
        issued = sweep(session, sms=services.sms, base_url="", now=ticket.response_due + timedelta(minutes=1))
        session.commit()
    assert len(issued) == 1 and issued[0].kind == "missed_response", issued

    centre.goto("/staff/supervision")
    expect(centre.locator("h1")).to_have_text(zh("Supervision orders"))
    card = centre.locator(".ticket-card", has=centre.locator(f"a[href='/staff/t/{code}']"))
    expect(card).to_have_count(1)
    expect(card).to_contain_text(zh("Not accepted in time"))
    expect(card).to_contain_text(zh("Not accepted within the response deadline."))
    axe.check(centre, "supervision")

    with centre.expect_navigation():
        card.locator("a.ticket-link").click()
    orders = centre.locator("section[aria-labelledby=orders-title]")
    expect(orders).to_contain_text(zh("Not accepted in time"))
    expect(orders).to_contain_text(zh("Not accepted within the response deadline."))
    axe.check(centre, "ticket-supervised")

    resident_sees(
        resident, code, status="Sent to a department", event="Supervision order issued",
        note=zh("Not accepted within the response deadline."),
    )  # fmt: skip
    axe.assert_clean()


def default_department_id(engine: Engine) -> int:
    with Session(engine) as session:
        category = session.exec(select(Category).where(Category.slug == CATEGORY_SLUG)).one()
        assert category.default_department_id is not None
        return category.default_department_id


def test_department_staff_find_their_way_back_and_call_the_reporter(
    new_context: ContextFactory, engine: Engine
) -> None:
    axe = Axe()
    make_staff(engine, "centre-nav", StaffRole.DISPATCHER)
    make_staff(engine, "dept-nav", StaffRole.DEPARTMENT, default_department_id(engine))
    resident = new_context().new_page()
    code = report_ticket(resident, phone=PHONE)
    centre = staff_browser(new_context, "centre-nav")
    centre.goto(f"/staff/t/{code}")
    press(centre, action_form(centre, "dispatch"))
    with Session(engine) as session:  # nobody accepted it in time; resolving is still days away
        ticket = session.exec(select(Ticket).where(Ticket.code == code)).one()
        ticket.response_due = ticket.created_at - timedelta(minutes=1)
        session.add(ticket)
        session.commit()
        missed = ZH.datetime(ticket.response_due)

    dept = staff_browser(new_context, "dept-nav")
    dept.goto("/staff/department")
    card = dept.locator(".ticket-card", has=dept.locator(f"a[href='/staff/t/{code}']"))
    expect(card.locator(".flag--late")).to_have_text(
        ZH.gettext("Overdue: not accepted by %(when)s", when=missed)
    )
    axe.check(dept, "department-overdue")
    open_from_list(dept, code)
    menu = dept.locator(".staff-menu a")
    expect(menu).to_have_text(
        [zh("Staff home"), zh("My department's orders"), zh("Supervision orders"), zh("Change my password")]
    )
    expect(dept.locator("form[action='/staff/logout'] button")).to_be_visible()
    assert dept.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    axe.check(dept, "ticket-nav")

    phone = dept.locator("#reporter-phone")
    expect(phone).to_contain_text("138****5678")
    phone.get_by_role("button", name=zh("Show the number")).click()  # htmx swaps the number in
    expect(dept.locator(f"#reporter-phone a[href='tel:{PHONE}']")).to_have_text(PHONE)
    assert "/phone" not in dept.url, "the page stayed where it was"
    axe.check(dept, "phone-shown")

    with dept.expect_navigation():
        menu.filter(has_text=zh("My department's orders")).click()
    expect(dept).to_have_url(re.compile(r"/staff/department$"))
    expect(dept.locator(".staff-menu a[aria-current=page]")).to_have_text(zh("My department's orders"))
    axe.assert_clean()


def test_stay_signed_in_does_not_pretend_when_the_session_was_ended_elsewhere(
    new_context: ContextFactory, engine: Engine
) -> None:
    make_staff(engine, "centre-ended", StaffRole.DISPATCHER)
    page = staff_browser(new_context, "centre-ended")
    page.goto("/staff/queue")
    copy = new_context()  # someone signs out with a copy of the same cookie
    copy.add_cookies(page.context.cookies())
    other = copy.new_page()
    other.goto("/staff/queue")
    with other.expect_navigation():
        other.locator("form[action='/staff/logout'] button").click()
    page.evaluate(
        "document.querySelector('[data-session-warning]').hidden = false"
    )  # as after 25 idle minutes
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Stay signed in")).click()
    expect(page).to_have_url(re.compile(r"/staff/login\?next=%2Fstaff%2Fqueue$"))


# --- who may enter ---------------------------------------------------------------------------


def test_volunteer_is_told_they_have_no_access(new_context: ContextFactory, engine: Engine) -> None:
    make_staff(engine, "volunteer-e2e", StaffRole.VOLUNTEER)
    page = staff_browser(new_context, "volunteer-e2e")
    for path in ("/staff/queue", "/staff/department", "/staff/supervision"):
        response = page.goto(path)
        assert response is not None and response.status == 403, (path, response and response.status)
        expect(page.locator("h1")).to_have_text(zh("You do not have access to this page"))
        expect(page.locator("main a[href='/staff']")).to_be_visible()
    screenshot(page, "staff-no-access")


def test_signed_out_browser_returns_to_the_queue_after_signing_in(
    new_context: ContextFactory, engine: Engine
) -> None:
    make_staff(engine, "centre-return", StaffRole.DISPATCHER)
    page = new_context().new_page()
    page.goto("/staff/queue")
    expect(page).to_have_url(re.compile(r"/staff/login\?next=%2Fstaff%2Fqueue$"))
    expect(page.locator("input[name=next]")).to_have_value("/staff/queue")
    sign_in(page, "centre-return")
    expect(page).to_have_url(re.compile(r"/staff/queue$"))
    expect(page.locator("h1")).to_have_text(zh("Dispatch queue"))
    # Signing out ends it: the queue asks for the password again.
    with page.expect_navigation():
        page.locator("form[action='/staff/logout'] button").click()
    page.goto("/staff/queue")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
