"""How many public reports each filter of the board matches, kept as each ticket changes.

Counting the board's matches over a year of tickets costs a scan per request; the board instead
adds up a few rows of ``board_count`` (one per category, street and status), which every flush that
adds, changes or removes a ticket keeps in step in the same transaction (so a savepoint or a
transaction rolled back takes its counts with it). Bulk loads that bypass the ORM call
``rebuild_counts`` afterwards.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes
from sqlmodel import Field, SQLModel

from portal.tickets.models import Ticket

MERGED = "merged"  # lifecycle.Status.MERGED: a merged ticket is not on the board
NO_STREET = 0  # a ticket without a street (the key cannot be NULL)


class BoardCount(SQLModel, table=True):
    """Public, unmerged tickets of one category, street and status."""

    __tablename__ = "board_count"

    category_id: int = Field(primary_key=True)
    street_id: int = Field(primary_key=True)  # NO_STREET for none
    status: str = Field(primary_key=True, max_length=20)
    n: int = 0


COUNT = BoardCount.__table__.c  # type: ignore[attr-defined]
TICKET = Ticket.__table__.c  # type: ignore[attr-defined]
Key = tuple[int, int, str]
WATCHED = ("status", "is_public", "category_id", "street_id")


def _key(category_id: Any, street_id: Any, status: Any, is_public: Any) -> Key | None:
    """The counter a ticket with these values adds to, or None when it is not on the board."""
    if not is_public or status == MERGED or category_id is None:
        return None
    return (int(category_id), int(street_id or NO_STREET), str(status))


def _before(ticket: Ticket) -> Key | None:
    """The ticket's counter as the database held it before this flush."""
    values = []
    for name in WATCHED:
        history = attributes.get_history(ticket, name)
        values.append(history.deleted[0] if history.deleted else getattr(ticket, name))
    return _key(values[2], values[3], values[0], values[1])


def _now(ticket: Ticket) -> Key | None:
    return _key(ticket.category_id, ticket.street_id, ticket.status, ticket.is_public)


def _keep_old_value(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    return value


# Setting one of these on a ticket loaded before a commit (and so expired) loads the old value
# first, so the flush below knows which counter the ticket leaves.
for _name in WATCHED:
    event.listen(getattr(Ticket, _name), "set", _keep_old_value, active_history=True, retval=True)


@event.listens_for(Session, "after_flush")
def _count_changes(session: Session, _context: Any) -> None:
    deltas: Counter[Key] = Counter()
    for obj in session.new:
        if isinstance(obj, Ticket) and (key := _now(obj)) is not None:
            deltas[key] += 1
    for obj in session.dirty:
        if isinstance(obj, Ticket) and session.is_modified(obj, include_collections=False):
            old, new = _before(obj), _now(obj)
            if old != new:
                if old is not None:
                    deltas[old] -= 1
                if new is not None:
                    deltas[new] += 1
    for obj in session.deleted:
        if isinstance(obj, Ticket) and (key := _before(obj)) is not None:
            deltas[key] -= 1
    changed = sorted((key, n) for key, n in deltas.items() if n)  # one order: no deadlock between writers
    if changed:
        apply(session.connection(), changed)


def apply(connection: Connection, changed: list[tuple[Key, int]]) -> None:
    """Add each change to its counter, making the counter when it is the first of its kind."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for (category_id, street_id, status), n in changed:
        statement = dialect.insert(BoardCount.__table__).values(  # type: ignore[attr-defined]
            category_id=category_id, street_id=street_id, status=status, n=n
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["category_id", "street_id", "status"], set_={"n": COUNT.n + n}
            )
        )


def rebuild_counts(connection: Connection) -> None:
    """Count every public, unmerged ticket afresh (after a bulk load that bypassed the ORM)."""
    connection.execute(delete(BoardCount.__table__))  # type: ignore[attr-defined]
    street = func.coalesce(TICKET.street_id, NO_STREET)
    connection.execute(
        insert(BoardCount.__table__).from_select(  # type: ignore[attr-defined]
            ["category_id", "street_id", "status", "n"],
            select(TICKET.category_id, street, TICKET.status, func.count())
            .where(TICKET.is_public.is_(True), TICKET.status != MERGED)
            .group_by(TICKET.category_id, street, TICKET.status),
        )
    )


def matching(
    connection: Connection, category_id: int | None, street_id: int | None, status: str | None
) -> int:
    """How many public, unmerged tickets match the board's filters: a sum over a few counters."""
    query = select(func.coalesce(func.sum(COUNT.n), 0))
    if category_id is not None:
        query = query.where(COUNT.category_id == category_id)
    if street_id is not None:
        query = query.where(COUNT.street_id == street_id)
    if status is not None:
        query = query.where(COUNT.status == status)
    return int(connection.execute(query).scalar() or 0)
