"""The staff pages, used as the command centre and a department would, and what residents then see."""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import timedelta

from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole
from portal.accounts.service import create_user
from portal.db import utcnow
from portal.directory.models import Category, Department
from portal.i18n import translator
from portal.tickets.models import Photo, Ticket
from tests.pages import PageClient
from tests.unit.factories import a_community, jpeg_bytes, report_fields, submit_report

PASSWORD = "a long enough password"


def signed_in(
    stack: ExitStack, app, db: Session, username: str, role: StaffRole, department: Department | None = None
) -> PageClient:  # type: ignore[no-untyped-def]
    """A browser of its own, signed in as a new staff member; closed by the stack, last opened first."""
    create_user(
        db,
        username=username,
        password=PASSWORD,
        role=role,
        department_id=department.id if department else None,
    )
    db.commit()
    client = stack.enter_context(PageClient(app=app, base_url="http://portal.test"))
    client.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "_csrf_token": client.csrf()}
    )
    return client


def act(client: PageClient, code: str, action: str, files=None, **fields: str):  # type: ignore[no-untyped-def]
    data = {"action": action, "_csrf_token": client.csrf(), **fields}
    return client.post(f"/staff/t/{code}/act", data=data, files=files, follow_redirects=False)


def test_a_report_travels_the_whole_way(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    roads, parks = list(db.exec(select(Department).order_by(col(Department.id))))[:2]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        dept = signed_in(stack, app, db, "roads", StaffRole.DEPARTMENT, roads)
        other = signed_in(stack, app, db, "parks", StaffRole.DEPARTMENT, parks)
        assert ticket.code in centre.get("/staff/queue").text
        assert (
            act(centre, ticket.code, "dispatch", department=str(roads.id), note="已派给道路部门").status_code
            == 303
        )
        assert "已派给道路部门" in client.get(f"/t/{ticket.code}").text

        assert ticket.code in dept.get("/staff/department").text
        assert other.get(f"/staff/t/{ticket.code}").status_code == 404
        assert act(other, ticket.code, "accept").status_code == 404
        assert act(dept, ticket.code, "accept").status_code == 303
        assert (
            act(dept, ticket.code, "progress", note="工人已到场", internal="内部：缺材料").status_code == 303
        )
        assert "内部：缺材料" in dept.get(f"/staff/t/{ticket.code}").text
        assert "内部：缺材料" not in client.get(f"/t/{ticket.code}").text
        refused = act(dept, ticket.code, "resolve", note="已修好")
        assert refused.status_code == 422 and "Add at least one photo" in refused.text
        photo = [("photos", ("after.jpg", jpeg_bytes(), "image/jpeg"))]
        assert act(dept, ticket.code, "resolve", files=photo, note="坑已填平").status_code == 303

        public = client.get(f"/t/{ticket.code}").text
        for note in ("工人已到场", "坑已填平"):
            assert note in public
        assert "Resolved" in public


def test_roles_reach_only_their_pages(db: Session, app) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        volunteer = signed_in(stack, app, db, "volunteer", StaffRole.VOLUNTEER)
        for path in ("/staff/queue", "/staff/department", "/staff/supervision", "/staff/audit"):
            assert volunteer.get(path).status_code == 403


def test_bad_staff_input_changes_nothing(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        empty = act(centre, ticket.code, "reject", reason="   ")
        assert empty.status_code == 422 and "Write the reason the residents will read." in empty.text
        # the message stands by the field to mend too, not only at the top of a long page
        beside = empty.text.split('id="reason-reject"')[0].rsplit('<div class="field', 1)[1]
        assert "field--error" in beside and "Write the reason the residents will read." in beside
        assert act(centre, ticket.code, "dispatch", department="99999").status_code == 422
        assert act(centre, ticket.code, "accept").status_code == 422  # not the centre's step
        forged = centre.post(
            f"/staff/t/{ticket.code}/act", data={"action": "reject", "reason": "x", "_csrf_token": "forged"}
        )
        assert forged.status_code == 403
        db.refresh(ticket)
        assert ticket.status == "submitted"
        roads = db.exec(select(Department).order_by(col(Department.id))).first()
        assert act(centre, ticket.code, "dispatch", department=str(roads.id)).status_code == 303  # type: ignore[union-attr]
        past = act(centre, ticket.code, "supervise", reason="太慢了", deadline="2020-01-01")
        assert past.status_code == 422 and "deadline in the future" in past.text
        assert (
            act(centre, ticket.code, "supervise", reason="请加快", deadline="2099-01-01").status_code == 303
        )
        assert ticket.code in centre.get("/staff/supervision").text
        assert "请加快" in client.get(f"/t/{ticket.code}").text


def test_the_centre_moves_a_ticket_to_another_community(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    from portal.places.models import Community

    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    elsewhere = db.exec(select(Community).order_by(col(Community.id).desc())).first()
    assert elsewhere is not None and elsewhere.id != ticket.community_id
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        moved = act(centre, ticket.code, "update", community=str(elsewhere.id), category=str(ticket.category_id),
                    visibility="public", priority="urgent")  # fmt: skip
        assert moved.status_code == 303
        # the staff timeline says what changed in words, with today's names
        staff_page = centre.get(f"/staff/t/{ticket.code}").text
        assert f"Community changed to {elsewhere.name_en}" in staff_page and "Marked urgent" in staff_page
        assert "community=" not in staff_page
    db.refresh(ticket)
    assert (ticket.community_id, ticket.street_id, ticket.priority) == (elsewhere.id, elsewhere.street_id, 1)


def nav_links(html: str) -> list[str]:
    """The addresses in the staff navigation, in order."""
    menu = re.search(r'<ul class="staff-menu">(.*?)</ul>', html, re.S)
    assert menu, "the page has the staff navigation"
    return re.findall(r'href="([^"]+)"', menu.group(1))


def test_every_staff_page_leads_back_to_the_lists(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    roads = db.exec(select(Department).order_by(col(Department.id))).first()
    assert roads is not None
    with ExitStack() as stack:
        admin = signed_in(stack, app, db, "boss", StaffRole.ADMIN)
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        dept = signed_in(stack, app, db, "roads", StaffRole.DEPARTMENT, roads)
        volunteer = signed_in(stack, app, db, "helper", StaffRole.VOLUNTEER)
        assert act(centre, ticket.code, "dispatch", department=str(roads.id)).status_code == 303
        centre_page = centre.get(f"/staff/t/{ticket.code}").text
        assert nav_links(centre_page) == [
            "/staff", "/staff/queue", "/staff/supervision", "/staff/surveys", "/staff/password",
        ]  # fmt: skip
        assert 'action="/staff/logout"' in centre_page
        dept_page = dept.get(f"/staff/t/{ticket.code}").text
        assert nav_links(dept_page) == [
            "/staff", "/staff/department", "/staff/supervision", "/staff/password",
        ]  # fmt: skip
        for path in ("/staff", "/staff/queue", "/staff/supervision", "/staff/admin/users", "/staff/audit",
                     "/staff/password", f"/staff/t/{ticket.code}"):  # fmt: skip
            assert nav_links(admin.get(path).text) == [
                "/staff", "/staff/queue", "/staff/supervision", "/staff/press", "/staff/surveys", "/staff/admin",
                "/staff/audit", "/staff/password",
            ]  # fmt: skip
        assert '<a href="/staff/queue" aria-current="page">' in admin.get("/staff/queue").text
        assert '<a href="/staff/admin" aria-current="page">' in admin.get("/staff/admin/categories").text
        assert 'aria-current="page"' not in centre_page.split('class="staff-menu"')[1].split("</ul>")[0]
        assert nav_links(volunteer.get("/staff").text) == ["/staff", "/staff/password"]


def test_the_department_list_says_which_deadline_was_missed_and_when(
    client: PageClient, db: Session, app
) -> None:  # type: ignore[no-untyped-def]
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    roads = db.exec(select(Department).order_by(col(Department.id))).first()
    assert roads is not None
    en = translator("en")
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        dept = signed_in(stack, app, db, "roads", StaffRole.DEPARTMENT, roads)
        assert act(centre, ticket.code, "dispatch", department=str(roads.id)).status_code == 303
        db.refresh(ticket)
        assert ticket.resolution_due is not None and ticket.resolution_due > utcnow()
        ticket.response_due = utcnow() - timedelta(hours=2)
        db.add(ticket)
        db.commit()
        missed = f"Overdue: not accepted by {en.datetime(ticket.response_due)}"
        assert missed in dept.get("/staff/department").text
        assert missed in dept.get(f"/staff/t/{ticket.code}").text
        assert act(dept, ticket.code, "accept").status_code == 303
        assert "Overdue" not in dept.get("/staff/department").text  # accepted, and resolving is not due yet
        db.refresh(ticket)
        ticket.resolution_due = utcnow() - timedelta(minutes=5)
        db.add(ticket)
        db.commit()
        late = f"Overdue: not resolved by {en.datetime(ticket.resolution_due)}"
        assert late in dept.get("/staff/department").text


def test_staff_see_the_photos_they_are_asked_to_review(client: PageClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields, [("a.jpg", jpeg_bytes(), "image/jpeg")]).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    photo = db.exec(select(Photo).where(Photo.ticket_id == ticket.id)).one()
    roads, parks = list(db.exec(select(Department).order_by(col(Department.id))))[:2]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        admin = signed_in(stack, app, db, "admin", StaffRole.ADMIN)
        dept = signed_in(stack, app, db, "roads", StaffRole.DEPARTMENT, roads)
        other = signed_in(stack, app, db, "parks", StaffRole.DEPARTMENT, parks)
        stranger = stack.enter_context(PageClient(app=app, base_url="http://portal.test"))
        page = centre.get(f"/staff/t/{ticket.code}").text
        assert f"/media/{photo.digest}/thumb" in page and "Approve" in page
        for staff in (centre, admin):
            for size in ("thumb", "full"):
                shown = staff.get(f"/media/{photo.digest}/{size}")
                assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
                assert shown.headers["cache-control"] == "private, no-store"
        assert dept.get(f"/media/{photo.digest}/thumb").status_code == 404  # not yet its ticket
        act(centre, ticket.code, "dispatch", department=str(roads.id))
        assert dept.get(f"/media/{photo.digest}/thumb").status_code == 200
        assert dept.get(f"/media/{photo.digest}/thumb").headers["cache-control"] == "private, no-store"
        assert other.get(f"/media/{photo.digest}/thumb").status_code == 404
        assert stranger.get(f"/media/{photo.digest}/thumb").status_code == 404


def timeline_items(page: str) -> list[str]:
    """The public timeline's steps, each as its HTML."""
    timeline = page.split('<ol class="timeline">', 1)[1].split("</ol>\n</section>", 1)[0]
    return timeline.split('<li class="timeline-item">')[1:]


def reported_section(page: str) -> str:
    return page.split('id="what-title"', 1)[1].split("</section>", 1)[0]


def test_the_after_photo_goes_with_the_resolution_and_internal_steps_stay_internal(
    client: PageClient, db: Session, app
) -> None:  # type: ignore[no-untyped-def]
    fields = report_fields(client, a_community(db).slug)
    assert submit_report(client, fields, [("a.jpg", jpeg_bytes(), "image/jpeg")]).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    reported = db.exec(select(Photo).where(Photo.ticket_id == ticket.id)).one()
    roads = db.exec(select(Department).order_by(col(Department.id))).first()
    assert roads is not None
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "centre", StaffRole.DISPATCHER)
        dept = signed_in(stack, app, db, "roads", StaffRole.DEPARTMENT, roads)
        stranger = stack.enter_context(PageClient(app=app, base_url="http://portal.test"))
        assert act(centre, ticket.code, "approve-photo", photo=str(reported.id)).status_code == 303
        assert act(centre, ticket.code, "dispatch", department=str(roads.id)).status_code == 303
        assert act(dept, ticket.code, "accept").status_code == 303
        after = [("photos", ("after.jpg", jpeg_bytes(color=(0, 160, 0)), "image/jpeg"))]
        assert act(dept, ticket.code, "resolve", files=after, note="坑已填平").status_code == 303
        photo = db.exec(select(Photo).where(Photo.ticket_id == ticket.id, Photo.kind == "after")).one()

        public = stranger.get(f"/t/{ticket.code}").text
        # the photo review was the centre's own business: no empty "details updated" step
        steps = timeline_items(public)
        assert [step.split("</p>", 1)[0] for step in steps] == [
            '\n      <p class="timeline-what">Reported',
            '\n      <p class="timeline-what">Sent to the department',
            '\n      <p class="timeline-what">The department accepted the order',
            '\n      <p class="timeline-what">Resolved',
        ]
        assert "Details updated by the command centre" not in public
        # the resident's photo with the report, the department's with its resolution, each labelled
        assert reported.digest in reported_section(public) and photo.digest not in reported_section(public)
        assert photo.digest in steps[-1] and "坑已填平" in steps[-1]
        assert "Taken by the department (after resolving)" in steps[-1]
        assert "Sent by the resident" in reported_section(public)

        staff = centre.get(f"/staff/t/{ticket.code}").text
        photos = staff.split('id="photos-title"', 1)[1].split("</section>", 1)[0]
        assert "Sent by the resident · Public" in photos
        assert "Taken by the department (after resolving) · Public" in photos

        # a change the public can see is on its timeline, in words; the priority is not
        other = next(c for c in db.exec(select(Category)) if c.id != ticket.category_id and c.active)
        changed = act(centre, ticket.code, "update", category=str(other.id), visibility="public",
                      priority="urgent")  # fmt: skip
        assert changed.status_code == 303
        steps = timeline_items(stranger.get(f"/t/{ticket.code}").text)
        assert "Details updated by the command centre" in steps[-1]
        assert f"Kind of problem changed to {other.name_en}" in steps[-1] and "urgent" not in steps[-1]
