"""The handling department and the centre may show a reporter's whole number to call them: a POST,
audited, never cached; anyone else sees only the masked number."""

from __future__ import annotations

from contextlib import ExitStack

from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole
from portal.directory.models import Department
from portal.services import Services
from tests.pages import PageClient
from tests.unit.dispatch.test_views import act, signed_in
from tests.unit.evaluation.test_views import resolved_ticket

PHONE = "13859201234"  # the factory's reporter


def reveal(client: PageClient, code: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(f"/staff/t/{code}/phone", data={"_csrf_token": client.csrf()}, headers=headers)


def test_the_handling_department_and_the_centre_may_show_the_number(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    handling = db.exec(select(Department).order_by(col(Department.id))).first()
    with ExitStack() as stack:
        dept = signed_in(stack, app, db, "handler", StaffRole.DEPARTMENT, handling)
        centre = signed_in(stack, app, db, "desk", StaffRole.DISPATCHER)
        page = dept.get(f"/staff/t/{ticket.code}")
        assert "138****1234" in page.text and PHONE not in page.text
        assert "Show the number" in page.text
        shown = reveal(dept, ticket.code)
        assert shown.status_code == 200 and f'<a href="tel:{PHONE}">{PHONE}</a>' in shown.text
        assert shown.headers["cache-control"] == "no-store"
        fragment = reveal(centre, ticket.code, **{"HX-Request": "true"})
        assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<dd id="reporter-phone">')
        assert PHONE in fragment.text and fragment.headers["cache-control"] == "no-store"
        assert PHONE not in dept.get(f"/staff/t/{ticket.code}").text  # showing it once is not for good
        forged = dept.post(f"/staff/t/{ticket.code}/phone", data={"_csrf_token": "forged"})
        assert forged.status_code == 403 and PHONE not in forged.text
        assert dept.get(f"/staff/t/{ticket.code}/phone").status_code == 405  # never by a link
    db.expire_all()
    entries = list(
        db.exec(select(AuditEntry).where(AuditEntry.action == "phone-revealed").order_by(col(AuditEntry.id)))
    )
    assert [(e.username, e.ticket_id) for e in entries] == [("handler", ticket.id), ("desk", ticket.id)]


def test_other_staff_cannot_show_the_number(client: PageClient, db: Session, services: Services, app) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    peer_department = list(db.exec(select(Department).order_by(col(Department.id))))[1]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "desk", StaffRole.DISPATCHER)
        peer = signed_in(stack, app, db, "peer-staff", StaffRole.DEPARTMENT, peer_department)
        volunteer = signed_in(stack, app, db, "helper", StaffRole.VOLUNTEER)
        assert reveal(peer, ticket.code).status_code == 404  # not its ticket at all
        assert act(centre, ticket.code, "ask-peer", department=str(peer_department.id)).status_code == 303
        page = peer.get(f"/staff/t/{ticket.code}")  # asked to evaluate: it reads the ticket, masked
        assert page.status_code == 200 and "Show the number" not in page.text and PHONE not in page.text
        refused = reveal(peer, ticket.code)
        assert refused.status_code == 403 and PHONE not in refused.text
        assert reveal(volunteer, ticket.code).status_code == 403
    db.expire_all()
    assert not list(db.exec(select(AuditEntry).where(AuditEntry.action == "phone-revealed")))
