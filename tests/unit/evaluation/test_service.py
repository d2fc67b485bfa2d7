"""The supervision rule the views pass in decides which ratings and evaluations open an order."""

from __future__ import annotations

from sqlmodel import Session, select

from portal.accounts.models import StaffRole
from portal.accounts.service import create_user
from portal.dispatch import service as steps
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.service import evaluate, submit_rating
from portal.services import Services
from portal.settings import SupervisionRule
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.evaluation.test_views import resolved_ticket

REPORTER = "13859201234"
STRICT = SupervisionRule(rating_at_or_below=3, when_solved=frozenset({"no", "partly"}), mutual_at_or_below=3)
NEVER = SupervisionRule(rating_at_or_below=0, when_solved=frozenset(), mutual_at_or_below=0)


def rate(
    db: Session, services: Services, ticket: Ticket, level: str, solved: str, rule: SupervisionRule
) -> None:
    submit_rating(db, ticket, REPORTER, level, solved, "", sms=services.sms, base_url="", rule=rule)
    db.commit()


def orders(db: Session, ticket: Ticket) -> list[SupervisionOrder]:
    return list(db.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == ticket.id)))


def test_basically_satisfied_closes_the_ticket_by_default(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = resolved_ticket(client, db, services)
    rate(db, services, ticket, "3", "yes", SupervisionRule())
    assert ticket.status == Status.CLOSED and orders(db, ticket) == []


def test_a_stricter_rule_reopens_it_on_basically_satisfied(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = resolved_ticket(client, db, services)
    rate(db, services, ticket, "3", "yes", STRICT)
    assert (ticket.status, ticket.round) == (Status.DISPATCHED, 2)
    assert [o.kind for o in orders(db, ticket)] == ["poor_result"]


def test_a_stricter_rule_reopens_it_on_partly_solved(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = resolved_ticket(client, db, services)
    rate(db, services, ticket, "5", "partly", STRICT)
    assert ticket.status == Status.DISPATCHED


def test_never_lets_even_the_worst_rating_close_the_ticket(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = resolved_ticket(client, db, services)
    rate(db, services, ticket, "1", "no", NEVER)
    assert ticket.status == Status.CLOSED and orders(db, ticket) == []


def mutual(client: PageClient, db: Session, services: Services, level: str, rule: SupervisionRule) -> Ticket:
    ticket = resolved_ticket(client, db, services)
    centre = create_user(
        db, username="rule-centre", password="a long enough password", role=StaffRole.DISPATCHER
    )
    ctx = steps.Context.make(db, centre, "test", services.sms, "", secret=services.settings.secret_key)
    evaluate(ctx, ticket, "mutual", level, "核查结果", rule=rule)
    db.commit()
    return ticket


def test_never_keeps_a_poor_mutual_evaluation_from_reopening(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = mutual(client, db, services, "1", NEVER)
    assert ticket.status == Status.RESOLVED and orders(db, ticket) == []


def test_a_stricter_rule_reopens_on_a_middling_mutual_evaluation(
    client: PageClient, db: Session, services: Services
) -> None:
    ticket = mutual(client, db, services, "3", STRICT)
    assert ticket.status == Status.DISPATCHED and len(orders(db, ticket)) == 1
