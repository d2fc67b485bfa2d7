"""The public figures counted by the database from ``stat_fact``: the numbers ``tally_parts`` gives
over ``load_facts`` (tests compare the two on a synthetic year), in a few grouped reads.

- counts: one GROUP BY kind, month and group over the period's facts; the district and the whole
  period are sums of those;
- open supervision orders: one read, a column per month part's end;
- medians: exact. PostgreSQL's ``percentile_cont(0.5)`` over integer microseconds is exact in double
  precision for any span under a century (the mean of the two middle values is a whole or half
  microsecond); SQLite hands over the microseconds and Python takes the middle. A period's median
  is not derivable from its months', so the whole period's are counted too (GROUPING SETS).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from portal.directory.service import Reference
from portal.stats.facts import TICKET
from portal.stats.facts_table import F
from portal.stats.figures import DISTRICT, Counted, Tally, merge
from portal.stats.models import COUNTED, DISPATCH, RATING, RESOLVE, ROUND, SUPERVISION
from portal.stats.period import Period
from portal.stats.report import ticket_row
from portal.tickets.models import Ticket

MICROS_PER_HOUR = 3_600_000_000
FIELDS = {  # the kind of a fact → the Tally counts it adds to: all of them, and the good ones
    DISPATCH: ("dispatched", "accepted_on_time"),
    RESOLVE: ("resolutions", "resolved_on_time"),
    ROUND: ("rated_rounds", "solved_rounds"),
    RATING: ("ratings", "satisfied_ratings"),
}
MEDIANS = {DISPATCH: "accept_median", RESOLVE: "resolve_median"}

Key = tuple[int, int | None, int | None]  # kind, month (None: the whole period), group (or DISTRICT)


def count(connection: Connection, period: Period, grouping: str) -> Counted:
    """What ``count_facts(load_facts(period), period, grouping)`` gives, counted by the database."""
    months = period.months()
    index = {_month(part): number for number, part in enumerate(months)}
    group = _group_column(grouping)
    parts: list[dict[int | None, Tally]] = [{} for _ in months]
    for kind, month, group_id, total, good in connection.execute(
        select(F.kind, F.month, group, func.count(), func.sum(_good(period)))
        .where(_kind(connection, period).in_(COUNTED), F.at >= period.start_at, F.at < period.end_at)
        .group_by(F.kind, F.month, group)
    ):
        bins = parts[index[month]]
        everything, favourable = FIELDS[kind]
        for key in (group_id, DISTRICT):
            counts = bins.setdefault(key, Tally())
            setattr(counts, everything, getattr(counts, everything) + total)
            setattr(counts, favourable, getattr(counts, favourable) + int(good or 0))
    _count_open_orders(connection, period, group, parts)
    whole = merge(parts)
    for (kind, month, key), middle in _medians(connection, period, group).items():
        counts = whole[key] if month is None else parts[index[month]][key]
        setattr(counts, MEDIANS[kind], middle)
    return Counted(parts, whole)


def _kind(connection: Connection, period: Period) -> Any:
    """The kind column to filter on. Over more than a couple of months SQLite reads the table faster
    than it follows the index on (kind, at), which it would choose: ``kind + 0`` keeps it off."""
    if connection.dialect.name == "sqlite" and (period.last - period.first).days > 62:
        return F.kind + 0
    return F.kind


def _month(part: Period) -> int:
    return part.first.year * 100 + part.first.month


def _group_column(grouping: str) -> Any:
    return F.department_id if grouping == "department" else F.street_id


def _good(period: Period) -> ColumnElement[int]:
    """1 for a good fact. A round first rated in the period's last month counts as it stood at the
    period's end, which is that month's end unless the period ends sooner."""
    last = _month(period.months()[-1])
    solved_by_end = or_(F.unsolved_at.is_(None), F.unsolved_at >= period.end_at)
    return case(
        (and_(F.kind == ROUND, F.month == last), case((solved_by_end, 1), else_=0)),
        (F.good, 1),
        else_=0,
    )


def _open_at(moment: Any) -> ColumnElement[bool]:
    return and_(F.at < moment, or_(F.ended_at.is_(None), F.ended_at >= moment))


def _count_open_orders(
    connection: Connection, period: Period, group: Any, parts: list[dict[int | None, Tally]]
) -> None:
    ends = [part.end_at for part in period.months()]
    columns = [func.sum(case((_open_at(end), 1), else_=0)) for end in ends]
    for group_id, *open_orders in connection.execute(
        select(group, *columns)
        .where(F.kind == SUPERVISION, F.at < ends[-1], or_(F.ended_at.is_(None), F.ended_at >= ends[0]))
        .group_by(group)
    ):
        for bins, number in zip(parts, open_orders, strict=True):
            if number:
                for key in (group_id, DISTRICT):
                    bins.setdefault(key, Tally()).open_orders += int(number)


def _medians(connection: Connection, period: Period, group: Any) -> dict[Key, Fraction]:
    """The median hours to accept and to resolve per month and group, per month, per group over the
    period, and over the period: keys (kind, month or None, group or DISTRICT)."""
    timed = and_(
        _kind(connection, period).in_(tuple(MEDIANS)),
        F.micros.is_not(None),
        F.at >= period.start_at,
        F.at < period.end_at,
    )
    if connection.dialect.name == "postgresql":
        return _medians_by_postgresql(connection, timed, group)
    found: dict[Key, list[int]] = defaultdict(list)
    for kind, month, group_id, micros in connection.execute(
        select(F.kind, F.month, group, F.micros).where(timed)
    ):
        found[(kind, month, group_id)].append(micros)
    values: dict[Key, list[int]] = defaultdict(list)
    for (kind, month, group_id), micros in found.items():
        for key in (
            (kind, month, group_id),
            (kind, month, DISTRICT),
            (kind, None, group_id),
            (kind, None, DISTRICT),
        ):
            values[key] += micros
    return {key: _middle(sorted(micros)) for key, micros in values.items()}


def _middle(ordered: list[int]) -> Fraction:
    """The median of sorted microseconds, in hours, exactly (``statistics.median`` of the hours)."""
    half = len(ordered) // 2
    micros = Fraction(ordered[half]) if len(ordered) % 2 else Fraction(ordered[half - 1] + ordered[half], 2)
    return micros / MICROS_PER_HOUR


def _medians_by_postgresql(
    connection: Connection, timed: ColumnElement[bool], group: Any
) -> dict[Key, Fraction]:
    sets = func.grouping_sets(
        tuple_(F.kind, F.month, group), tuple_(F.kind, F.month), tuple_(F.kind, group), tuple_(F.kind)
    )
    found: dict[Key, Fraction] = {}
    for kind, month, group_id, no_month, no_group, middle in connection.execute(
        select(
            F.kind, F.month, group, func.grouping(F.month), func.grouping(group),
            func.percentile_cont(0.5).within_group(F.micros),
        ).where(timed).group_by(sets)
    ):  # fmt: skip
        key: Key = (kind, None if no_month else month, DISTRICT if no_group else group_id)
        found[key] = Fraction(middle) / MICROS_PER_HOUR
    return found


def ticket_rows(connection: Connection, period: Period, reference: Reference) -> list[dict[str, Any]]:
    """What ``report.ticket_rows(load_facts(period), ...)`` gives, counted by the database, ticket by
    ticket in id order: every ticket with a fact in the period or a supervision order open at its end."""
    return list(_ticket_rows(connection, period, reference))


def _ticket_rows(connection: Connection, period: Period, reference: Reference) -> Iterator[dict[str, Any]]:
    in_period = and_(F.kind != SUPERVISION, F.at >= period.start_at, F.at < period.end_at)
    open_at_end = and_(F.kind == SUPERVISION, _open_at(period.end_at))
    good = _good(period)
    sums = [
        func.sum(case((F.kind == kind, 1), else_=0)).label(everything) for kind, (everything, _) in FIELDS.items()
    ] + [
        func.sum(case((F.kind == kind, good), else_=0)).label(favourable)
        for kind, (_, favourable) in FIELDS.items()
    ]  # fmt: skip
    per_ticket = (
        select(F.ticket_id, *sums, func.sum(case((F.kind == SUPERVISION, 1), else_=0)).label("open_orders"))
        .where(or_(in_period, open_at_end))
        .group_by(F.ticket_id)
        .subquery()
    )
    query = (
        select(
            per_ticket, TICKET.code, TICKET.is_public, TICKET.category_id, TICKET.street_id,
            TICKET.department_id, TICKET.status, TICKET.round, TICKET.created_at,
        )
        .join_from(per_ticket, Ticket.__table__, TICKET.id == per_ticket.c.ticket_id)  # type: ignore[attr-defined]
        .order_by(per_ticket.c.ticket_id)
    )  # fmt: skip
    for row in connection.execute(query):
        found = row._mapping
        counts = Tally(open_orders=int(found["open_orders"]))
        for everything, favourable in FIELDS.values():
            setattr(counts, everything, int(found[everything]))
            setattr(counts, favourable, int(found[favourable]))
        yield ticket_row(dict(found), counts, reference)
