"""The resident's rating: who may rate, once per round, and what a poor result sets off."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.db import utcnow
from portal.directory.models import Department
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Rating
from portal.evaluation.service import close_unrated
from portal.services import Services
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.factories import a_community, report_fields, resolve_ticket, submit_report


def resolved_ticket(client: PageClient, db: Session, services: Services) -> Ticket:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    resolve_ticket(db, services, ticket)
    return ticket


def rate(client: PageClient, code: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/t/{code}/rate", data={"_csrf_token": client.csrf(), **fields}, follow_redirects=False
    )


def test_the_reporter_rates_once_and_the_ticket_closes(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = resolved_ticket(client, db, services)
    page = client.get(f"/t/{ticket.code}/rate")
    assert page.status_code == 200 and "How satisfied are you" in page.text
    assert 'name="digits"' not in page.text  # the reporter's own browser is known
    assert rate(client, ticket.code, level="4", solved="yes", comment="谢谢，修得很快").status_code == 303
    db.refresh(ticket)
    assert ticket.status == Status.CLOSED
    again = rate(client, ticket.code, level="5", solved="yes")
    assert again.status_code == 200 and "Your rating is in" in again.text and "Satisfied" in again.text
    assert len(list(db.exec(select(Rating)))) == 1


def test_a_poor_rating_reopens_the_ticket_under_supervision(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    with PageClient(app=app, base_url="http://portal.test") as neighbour:
        wrong = rate(neighbour, ticket.code, level="2", solved="no", digits="0000")
        assert wrong.status_code == 422 and "do not match" in wrong.text
        poor = rate(neighbour, ticket.code, level="2", solved="no", digits="1234")
        assert poor.status_code == 303
        thanks = neighbour.get(poor.headers["location"]).text
        assert "Thank you for your rating." in thanks and "the department will handle it again" in thanks
    db.refresh(ticket)
    assert ticket.status == Status.DISPATCHED and ticket.round == 2
    order = db.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == ticket.id)).one()
    assert order.kind == "poor_result"
    public = client.get(f"/t/{ticket.code}").text
    assert "Supervision order issued" in public and order.reason in public


def test_bad_ratings_change_nothing(client: PageClient, db: Session, services: Services) -> None:
    ticket = resolved_ticket(client, db, services)
    for fields in (
        {"level": "9", "solved": "yes"},
        {"level": "4", "solved": "maybe"},
        {"level": "4", "solved": "yes", "comment": "x" * 501},
    ):
        assert rate(client, ticket.code, **fields).status_code == 422
    db.refresh(ticket)
    assert ticket.status == Status.RESOLVED and list(db.exec(select(Rating))) == []


def test_an_unresolved_ticket_cannot_be_rated(client: PageClient, db: Session) -> None:
    assert submit_report(client, report_fields(client, a_community(db).slug)).status_code == 303
    ticket = db.exec(select(Ticket)).one()
    assert "can be rated once the department has resolved it" in client.get(f"/t/{ticket.code}/rate").text
    assert rate(client, ticket.code, level="5", solved="yes").status_code == 422


def test_unrated_tickets_close_when_the_window_ends(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = resolved_ticket(client, db, services)
    assert close_unrated(db, 7, now=utcnow() + timedelta(days=6)) == 0
    assert close_unrated(db, 7, now=utcnow() + timedelta(days=8)) == 1
    db.commit()
    db.refresh(ticket)
    assert ticket.status == Status.CLOSED and list(db.exec(select(Rating))) == []


def test_self_and_mutual_evaluations(client: PageClient, db: Session, services: Services, app) -> None:  # type: ignore[no-untyped-def]
    from contextlib import ExitStack

    from portal.evaluation.models import Evaluation
    from tests.unit.dispatch.test_views import act, signed_in

    ticket = resolved_ticket(client, db, services)
    with ExitStack() as stack:
        department = db.get(Department, ticket.department_id)
        worker = signed_in(stack, app, db, "d2", StaffRole.DEPARTMENT, department)
        centre = signed_in(stack, app, db, "c2", StaffRole.DISPATCHER)
        no_reason = act(worker, ticket.code, "evaluate-self", level="4", reason=" ")
        assert no_reason.status_code == 422 and "Write a reason." in no_reason.text
        assert act(worker, ticket.code, "evaluate-self", level="4", reason="按时办结").status_code == 303
        assert act(worker, ticket.code, "evaluate-self", level="5", reason="再评一次").status_code == 422
        assert act(worker, ticket.code, "evaluate-mutual", level="5", reason="越权").status_code == 422
        assert (
            act(centre, ticket.code, "evaluate-mutual", level="1", reason="现场核查仍未修好").status_code
            == 303
        )
    db.refresh(ticket)
    kinds = sorted(e.kind for e in db.exec(select(Evaluation).where(Evaluation.ticket_id == ticket.id)))
    assert kinds == ["mutual", "self"]
    assert ticket.status == Status.DISPATCHED and ticket.round == 2  # a poor mutual evaluation reopens it


def test_rounds_show_in_public_and_comments_only_once_approved(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    from contextlib import ExitStack

    from tests.unit.dispatch.test_views import act, signed_in

    ticket = resolved_ticket(client, db, services)
    assert rate(client, ticket.code, level="5", solved="yes", comment="师傅很负责，谢谢").status_code == 303
    with PageClient(app=app, base_url="http://portal.test") as stranger:
        page = stranger.get(f"/t/{ticket.code}").text
        assert "Very satisfied" in page and "师傅很负责" not in page and "13859201234" not in page
        rating = db.exec(select(Rating)).one()
        with ExitStack() as stack:
            centre = signed_in(stack, app, db, "c3", StaffRole.DISPATCHER)
            assert act(centre, ticket.code, "approve-comment", rating=str(rating.id)).status_code == 303
        assert "师傅很负责" in stranger.get(f"/t/{ticket.code}").text


def test_many_addresses_cannot_guess_their_way_to_a_rating(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    guesses = iter(range(2000, 9999))
    for n in range(4):  # 4 addresses x 5 tries spend the ticket's ceiling of 20 a day
        with PageClient(app=app, base_url="http://portal.test", address=f"198.51.100.{n}") as guesser:
            for _ in range(5):
                assert (
                    rate(
                        guesser, ticket.code, level="1", solved="no", digits=f"{next(guesses):04d}"
                    ).status_code
                    == 422
                )
    with PageClient(app=app, base_url="http://portal.test", address="198.51.100.77") as fresh:
        refused = rate(fresh, ticket.code, level="1", solved="no", digits="1234")
        assert refused.status_code == 429 and "rating link in our SMS" in refused.text
    assert list(db.exec(select(Rating))) == []
    assert rate(client, ticket.code, level="5", solved="yes").status_code == 303  # the reporter's browser


def test_a_closed_ticket_says_it_is_closed_to_another_browser(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    assert rate(client, ticket.code, level="5", solved="yes").status_code == 303
    with PageClient(app=app, base_url="http://portal.test") as other:
        page = other.get(f"/t/{ticket.code}/rate").text
        assert "This ticket is closed" in page and "once the department has resolved it" not in page
