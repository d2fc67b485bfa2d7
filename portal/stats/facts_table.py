"""Keeping ``stat_fact`` in step with the tickets.

Each ticket's rows are derived by the formulas of ``portal.stats.figures`` (``orders_of``,
``resolutions_of``, ``rated_rounds_of``, ``department_of_rating``), so they stay the one definition
of what counts. The rows of a ticket are rewritten in the same transaction as every change to it:
a session hook notes the tickets whose steps, ratings, supervision orders or street changed, and
refreshes them just before the commit. Bulk loads that bypass the ORM call ``rebuild_facts``.

The rows serve periods of whole district days (``portal.stats.period.Period``): a step that only
makes a ticket one of the period's is kept once per day, and only on a day without another fact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, event, func, insert, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from portal.db import utcnow
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Rating
from portal.i18n import DISTRICT_TZ
from portal.stats.facts import EVENT, STEP_ACTIONS, TICKET, load_facts_where
from portal.stats.figures import (
    SATISFIED_AT_LEAST,
    TicketFacts,
    department_of_rating,
    orders_of,
    rated_rounds_of,
    resolutions_of,
)
from portal.stats.models import (
    COUNTED,
    DISPATCH,
    RATING,
    RESOLVE,
    ROUND,
    STEP,
    SUPERVISION,
    StatFact,
    StatMonth,
    StatMonthStamp,
)
from portal.tickets.models import Ticket, TicketEvent

FACT = StatFact.__table__  # type: ignore[attr-defined]
F = FACT.c
STAMP = StatMonthStamp.__table__  # type: ignore[attr-defined]
KEPT = StatMonth.__table__  # type: ignore[attr-defined]
MICROSECOND = timedelta(microseconds=1)
CHUNK = 500  # tickets per read: well under every database's limit on bound parameters


def month_of(moment: datetime) -> int:
    """The district-time month of a moment, as 202610."""
    local = moment.astimezone(DISTRICT_TZ)
    return local.year * 100 + local.month


def end_of_month(moment: datetime) -> datetime:
    """The first moment of the district-time month after ``moment``'s."""
    local = moment.astimezone(DISTRICT_TZ).date()
    following = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(following, time(0), tzinfo=DISTRICT_TZ)


def _day(moment: datetime) -> date:
    return moment.astimezone(DISTRICT_TZ).date()


def fact_rows(ticket: TicketFacts) -> list[dict[str, Any]]:
    """One ticket's rows: every fact ``tally_parts`` counts, with what it needs to count it."""
    rows: list[dict[str, Any]] = []

    def add(kind: int, department_id: int | None, at: datetime, good: bool = False, **more: Any) -> None:
        rows.append({
            "ticket_id": ticket.id, "seq": len(rows) + 1, "kind": kind, "department_id": department_id,
            "street_id": ticket.street_id, "at": at, "month": month_of(at), "good": good,
            "micros": None, "unsolved_at": None, "ended_at": None, **more,
        })  # fmt: skip

    for order in orders_of(ticket.steps):
        accepted = order.accepted_at
        add(DISPATCH, order.department_id, order.dispatched_at, order.on_time,
            micros=None if accepted is None else (accepted - order.dispatched_at) // MICROSECOND)  # fmt: skip
    for resolution in resolutions_of(ticket.steps):
        add(RESOLVE, resolution.department_id, resolution.resolved_at, resolution.on_time,
            micros=(resolution.resolved_at - resolution.started_at) // MICROSECOND)  # fmt: skip
    for rated in rated_rounds_of(ticket):
        unsolved = [r.at for r in rated.ratings if r.solved != "yes"]
        add(ROUND, rated.department_id, rated.first_rated_at, rated.solved_by(end_of_month(rated.first_rated_at)),
            unsolved_at=min(unsolved) if unsolved else None)  # fmt: skip
    for rating in ticket.ratings:
        add(RATING, department_of_rating(ticket, rating), rating.at, rating.level >= SATISFIED_AT_LEAST)
    days = {_day(row["at"]) for row in rows}
    for step in ticket.steps:
        if _day(step.at) not in days:
            days.add(_day(step.at))
            add(STEP, step.department_id, step.at)
    for supervision in ticket.orders:
        add(SUPERVISION, supervision.department_id, supervision.issued_at, ended_at=supervision.fulfilled_at)
    return rows


def refresh_tickets(connection: Connection, ticket_ids: Iterable[int]) -> int:
    """Rewrite the rows of these tickets from their steps, ratings and orders; returns rows written.

    On PostgreSQL the tickets are locked first (in id order, so two refreshes cannot deadlock on
    them): a concurrent refresh of one of them waits for this transaction to end, then reads the
    ticket again with its changes in sight, so the last commit leaves the rows of the ticket as it
    stands. The lock is the one an UPDATE of the ticket takes (FOR NO KEY UPDATE), so it does not
    wait for the key-share locks that inserting a rating or an event takes on its ticket."""
    ids = sorted(set(ticket_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _refresh(connection, _among(ids[start : start + CHUNK]), lock="update")
    return written


def _among(ids: list[int]) -> Callable[[Any], Any]:
    return lambda column: column.in_(ids)


def rebuild_facts(engine: Engine, batch: int = 2000, report: Callable[[int, int], None] | None = None) -> int:
    """Every ticket's rows, afresh, ``batch`` tickets per transaction (safe beside running instances);
    returns the rows written. ``report(done, last_id)`` is called after each batch."""
    with engine.connect() as connection:
        low, high = connection.execute(select(func.min(TICKET.id), func.max(TICKET.id))).one()
    written = 0
    for start in range(low, high + 1, batch) if low is not None else ():
        with engine.begin() as connection:
            written += refresh_range(connection, start, start + batch)
        if report is not None:
            report(written, min(start + batch - 1, high))
    with engine.begin() as connection:
        if low is None:
            connection.execute(delete(FACT))
        connection.execute(delete(KEPT))  # whatever was kept, it is counted afresh
    return written


def refresh_range(connection: Connection, first_id: int, end_id: int) -> int:
    """Rewrite the rows of the tickets with ``first_id <= id < end_id`` (a bulk load's)."""
    return _refresh(connection, lambda column: and_(column >= first_id, column < end_id), lock="share")


def _refresh(connection: Connection, which: Callable[[Any], Any], *, lock: str) -> int:
    if connection.dialect.name == "postgresql":
        # FOR SHARE (a rebuild), or FOR NO KEY UPDATE (SQLAlchemy spells it key_share)
        share = lock == "share"
        connection.execute(
            select(TICKET.id)
            .where(which(TICKET.id))
            .order_by(TICKET.id)
            .with_for_update(read=share, key_share=not share)
        ).all()
    rows = [row for ticket in load_facts_where(connection, which) for row in fact_rows(ticket)]
    old = connection.execute(delete(FACT).where(which(F.ticket_id)).returning(*CONTENT)).all()
    if rows:
        connection.execute(insert(FACT), rows)
    months = closed_months_changed([tuple(row) for row in old], [_content(row) for row in rows], utcnow())
    if months:
        stamp_months(connection, months)
    return len(rows)


# --- the stamps of closed months ----------------------------------------------------------------

CONTENT = (F.kind, F.department_id, F.street_id, F.at, F.month, F.good, F.micros, F.unsolved_at, F.ended_at)
Content = tuple[Any, ...]


def _content(row: dict[str, Any]) -> Content:
    return tuple(row[column.name] for column in CONTENT)


def closed_months_changed(old: list[Content], new: list[Content], now: datetime) -> set[int]:
    """The months already over at ``now`` whose counts differ between the old and the new rows of
    some tickets. Rewriting a ticket's rows after a step today changes none of them: its earlier
    facts count the same (a round's ``unsolved_at`` only matters to a period ending mid-month), and
    an order fulfilled now was open at every earlier month's end all the same."""
    current = month_of(now)
    net: Counter[tuple[Any, ...]] = Counter()
    for rows, sign in ((old, -1), (new, 1)):
        for kind, department_id, street_id, at, month, good, micros, _unsolved, ended_at in rows:
            if kind in COUNTED and month < current:
                net[(month, kind, department_id, street_id, good, micros)] += sign
            elif kind == SUPERVISION:
                for ended in _month_ends(at, current):
                    if ended_at is None or ended_at >= ended:
                        net[(month_of(ended - MICROSECOND), kind, department_id, street_id)] += sign
    return {key[0] for key, number in net.items() if number}


def _month_ends(start: datetime, current: int) -> Iterable[datetime]:
    """The ends of the months from ``start``'s to the one before ``current``."""
    ended = end_of_month(start)
    while month_of(ended - MICROSECOND) < current:
        yield ended
        ended = end_of_month(ended)


def stamp_months(connection: Connection, months: Iterable[int]) -> None:
    """A new stamp for each of these months: their kept counts no longer hold. One statement per
    month, safe when two transactions stamp the same month for the first time at once."""
    upsert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for month in sorted(months):
        statement = upsert(STAMP).values(month=month, version=1)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[STAMP.c.month], set_={"version": STAMP.c.version + 1}
            )
        )


def ensure_facts(engine: Engine) -> int | None:
    """Build the rows when there are none but some ticket has a step (a database from before the
    facts table); returns the rows written, or None when nothing had to be done."""
    with engine.connect() as connection:
        if connection.execute(select(F.ticket_id).limit(1)).first() is not None:
            return None
        if (
            connection.execute(select(EVENT.id).where(EVENT.action.in_(STEP_ACTIONS)).limit(1)).first()
            is None
        ):
            return None
    return rebuild_facts(engine)


# --- the session hook ---------------------------------------------------------------------------

PENDING = "stat_fact_tickets"  # in Session.info: the tickets whose rows must be rewritten
WATCHED: dict[type, tuple[str, ...]] = {
    TicketEvent: ("ticket_id", "seq", "action", "department_id", "at", "due_at", "from_status"),
    Rating: ("ticket_id", "round", "level", "solved", "created_at"),
    SupervisionOrder: ("ticket_id", "department_id", "issued_at", "fulfilled_at"),
}


def changed_tickets(session: Session) -> set[int]:
    """The tickets whose rows this flush makes stale (read in ``after_flush``, before the flush's
    changes are forgotten)."""
    found: set[int | None] = set()
    for obj in session.new:
        if isinstance(obj, TicketEvent) and obj.action not in STEP_ACTIONS:
            continue  # a report, progress note, update or close counts for nothing
        if type(obj) in WATCHED:
            found.add(obj.ticket_id)
    for obj in session.dirty:
        names = ("street_id",) if isinstance(obj, Ticket) else WATCHED.get(type(obj), ())
        for name in names:
            history = inspect(obj).attrs[name].history
            if history.has_changes():
                found.add(obj.id if isinstance(obj, Ticket) else obj.ticket_id)
                if name == "ticket_id":  # moved: the ticket it left changes too
                    found.update(history.deleted)
    for obj in session.deleted:
        if type(obj) in WATCHED:
            found.add(obj.ticket_id)
    return {ticket_id for ticket_id in found if ticket_id is not None}


def _note_changes(session: Session, _flush: UOWTransaction) -> None:
    found = changed_tickets(session)
    if found:
        session.info.setdefault(PENDING, set()).update(found)


def _refresh_before_commit(session: Session) -> None:
    """The outermost commit rewrites the rows of every ticket the transaction changed."""
    if session.in_nested_transaction():
        return
    session.flush()  # the commit would flush next: this hook must see what that changes
    ticket_ids = session.info.pop(PENDING, set())
    if ticket_ids:
        refresh_tickets(session.connection(), ticket_ids)


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed or rolled back)
        session.info.pop(PENDING, None)


event.listen(Session, "after_flush", _note_changes)
event.listen(Session, "before_commit", _refresh_before_commit)
event.listen(Session, "after_transaction_end", _forget)
