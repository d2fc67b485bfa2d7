"""Loading the facts behind the public figures: a few narrow reads, no personal data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, union
from sqlalchemy.engine import Connection

from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Rating
from portal.stats.figures import OrderFact, RatingFact, Step, TicketFacts
from portal.stats.period import Period
from portal.tickets.models import Ticket, TicketEvent

EVENT = TicketEvent.__table__.c  # type: ignore[attr-defined]
RATING = Rating.__table__.c  # type: ignore[attr-defined]
ORDER = SupervisionOrder.__table__.c  # type: ignore[attr-defined]
TICKET = Ticket.__table__.c  # type: ignore[attr-defined]
STEP_ACTIONS = ("dispatch", "accept", "return", "reject", "merge", "resolve", "supervise")


def load_facts(connection: Connection, period: Period) -> list[TicketFacts]:
    """Every ticket with something to count in the period, with all of its steps, ratings and orders
    (a dispatch in the period may be answered after it; a resolution is timed from before it)."""
    start, end = period.start_at, period.end_at
    touched = union(
        select(EVENT.ticket_id).where(EVENT.action.in_(STEP_ACTIONS), EVENT.at >= start, EVENT.at < end),
        select(RATING.ticket_id).where(RATING.created_at >= start, RATING.created_at < end),
        select(ORDER.ticket_id).where(
            ORDER.issued_at < end,
            or_(ORDER.fulfilled_at.is_(None), ORDER.fulfilled_at >= end),
        ),
    ).subquery()
    return load_facts_of(connection, select(touched.c.ticket_id))


def load_facts_of(connection: Connection, ids: Select[Any]) -> list[TicketFacts]:
    """Every step, rating and supervision order of the tickets ``ids`` selects (a campaign's tagged
    tickets, say), whenever they happened: ``tally`` then counts those of a period."""
    return load_facts_where(connection, lambda ticket_id: ticket_id.in_(ids))


Which = Callable[[Any], ColumnElement[bool]]
"""A condition on a ticket id column: the tickets to load."""


def load_facts_where(connection: Connection, which: Which) -> list[TicketFacts]:
    """The facts of the tickets ``which`` picks (a list of ids, a range of them), in id order."""
    streets: dict[int, int | None] = dict(
        connection.execute(select(TICKET.id, TICKET.street_id).where(which(TICKET.id))).all()
    )
    if not streets:
        return []
    return _assemble(connection, streets, which)


def _assemble(connection: Connection, streets: dict[int, int | None], which: Which) -> list[TicketFacts]:
    steps: dict[int, list[Step]] = defaultdict(list)
    for row in connection.execute(
        select(
            EVENT.ticket_id, EVENT.action, EVENT.department_id, EVENT.at,
            EVENT.due_at, EVENT.from_status,
        )
        .where(which(EVENT.ticket_id), EVENT.action.in_(STEP_ACTIONS))
        .order_by(EVENT.ticket_id, EVENT.seq)
    ):  # fmt: skip
        steps[row.ticket_id].append(Step(row.action, row.department_id, row.at, row.due_at, row.from_status))
    ratings: dict[int, list[RatingFact]] = defaultdict(list)
    for rated in connection.execute(
        select(RATING.ticket_id, RATING.round, RATING.level, RATING.solved, RATING.created_at).where(
            which(RATING.ticket_id)
        )
    ):
        ratings[rated.ticket_id].append(RatingFact(rated.round, rated.level, rated.solved, rated.created_at))
    orders: dict[int, list[OrderFact]] = defaultdict(list)
    for issued in connection.execute(
        select(
            ORDER.ticket_id, ORDER.department_id, ORDER.issued_at,
            ORDER.fulfilled_at,
        ).where(which(ORDER.ticket_id))
    ):  # fmt: skip
        orders[issued.ticket_id].append(
            OrderFact(issued.department_id, issued.issued_at, issued.fulfilled_at)
        )
    return [
        TicketFacts(
            id=ticket_id,
            street_id=street_id,
            steps=tuple(steps[ticket_id]),
            ratings=tuple(ratings[ticket_id]),
            orders=tuple(orders[ticket_id]),
        )
        for ticket_id, street_id in sorted(streets.items())
    ]


def freshness(connection: Connection) -> tuple[int, int]:
    """The newest event and rating, in one read: every change to the figures adds one."""
    row = connection.execute(_FRESHNESS).one()
    return (row[0] or 0, row[1] or 0)


_FRESHNESS = select(
    select(func.max(EVENT.id)).scalar_subquery(), select(func.max(RATING.id)).scalar_subquery()
)


def ticket_details(connection: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The public columns of these tickets: never the reporter, the address or the description."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        for row in connection.execute(
            select(
                TICKET.id, TICKET.code, TICKET.is_public, TICKET.category_id, TICKET.street_id,
                TICKET.department_id, TICKET.status, TICKET.round, TICKET.created_at,
            ).where(TICKET.id.in_(ids[start : start + 500]))
        ):  # fmt: skip
            found[row.id] = dict(row._mapping)
    return found
