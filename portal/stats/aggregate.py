"""The public figures counted by the database from ``stat_fact``: the numbers ``tally_parts`` gives
over ``load_facts`` (tests compare the two on a synthetic year), in a few grouped reads.

- counts: one GROUP BY kind, month and group over the period's facts; the district and the whole
  period are sums of those;
- open supervision orders: one read, a column per month part's end;
- medians: exact. PostgreSQL's ``percentile_cont(0.5)`` over integer microseconds is exact in double
  precision for any span under a century (the mean of the two middle values is a whole or half
  microsecond); SQLite hands over the microseconds and Python takes the middle. A period's median
  is not derivable from its months', so the whole period's are counted too (GROUPING SETS).

A closed month's counts by a grouping are kept (``stat_month``) and reused while the month's stamp
(``stat_month_stamp``, bumped by ``facts_table`` when one of its facts changes) is the one they were
counted at: a year's page counts only the month still running, and the whole year's medians.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, null, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from portal.db import utcnow
from portal.directory.service import Reference
from portal.stats.facts import TICKET
from portal.stats.facts_table import KEPT, STAMP, F
from portal.stats.figures import ADDITIVE, DISTRICT, Counted, Tally, merge
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
# A month is kept once it has been over this long: a transaction that wrote to it before it ended
# (and so did not stamp it) has committed by then.
KEEP_AFTER = timedelta(minutes=10)

Key = tuple[int, int | None, int | None]  # kind, month (None: the whole period), group (or DISTRICT)
Bins = dict[int | None, Tally]


def count(connection: Connection, period: Period, grouping: str, *, now: datetime | None = None) -> Counted:
    """What ``count_facts(load_facts(period), period, grouping)`` gives, counted by the database."""
    now = now or utcnow()
    months = period.months()
    closed = [_month(part) for part in months if part.is_month and part.end_at <= now - KEEP_AFTER]
    stamps = _stamps(connection, closed)
    kept = _kept(connection, grouping, stamps)
    parts: list[Bins] = [kept.get(_month(part), {}) for part in months]
    live = [part for part in months if _month(part) not in kept]
    group = _group_column(grouping)
    index = {_month(part): parts[number] for number, part in enumerate(months)}
    if live:
        _count(connection, period, live, group, index)
        _count_open_orders(connection, live, group, index)
    whole = merge(parts)
    for (kind, month, key), middle in _medians(connection, period, live, group).items():
        setattr(whole[key] if month is None else index[month][key], MEDIANS[kind], middle)
    for part in live:
        if _month(part) in stamps:
            _keep(connection, grouping, _month(part), stamps[_month(part)], parts[months.index(part)])
    return Counted(parts, whole)


def _count(
    connection: Connection, period: Period, live: list[Period], group: Any, index: dict[int, Bins]
) -> None:
    for kind, month, group_id, total, good in connection.execute(
        select(F.kind, F.month, group, func.count(), func.sum(_good(period)))
        .where(_kind(connection, live).in_(COUNTED), _within(live))
        .group_by(F.kind, F.month, group)
    ):
        everything, favourable = FIELDS[kind]
        for key in (group_id, DISTRICT):
            counts = index[month].setdefault(key, Tally())
            setattr(counts, everything, getattr(counts, everything) + total)
            setattr(counts, favourable, getattr(counts, favourable) + int(good or 0))


def _within(parts: list[Period]) -> ColumnElement[bool]:
    """Facts of these parts of the period (back to back, or not)."""
    ranges: list[tuple[datetime, datetime]] = []
    for part in parts:
        if ranges and ranges[-1][1] == part.start_at:
            ranges[-1] = (ranges[-1][0], part.end_at)
        else:
            ranges.append((part.start_at, part.end_at))
    return or_(*(and_(F.at >= start, F.at < end) for start, end in ranges))


def _kind(connection: Connection, parts: list[Period]) -> Any:
    """The kind column to filter on. Over more than a couple of months SQLite reads the table faster
    than it follows the index on (kind, at), which it would choose: ``kind + 0`` keeps it off."""
    days = sum((part.last - part.first).days + 1 for part in parts)
    if connection.dialect.name == "sqlite" and days > 62:
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
    connection: Connection, live: list[Period], group: Any, index: dict[int, Bins]
) -> None:
    ends = [part.end_at for part in live]
    columns = [func.sum(case((_open_at(end), 1), else_=0)) for end in ends]
    for group_id, *open_orders in connection.execute(
        select(group, *columns)
        .where(F.kind == SUPERVISION, F.at < ends[-1], or_(F.ended_at.is_(None), F.ended_at >= ends[0]))
        .group_by(group)
    ):
        for part, number in zip(live, open_orders, strict=True):
            if number:
                for key in (group_id, DISTRICT):
                    index[_month(part)].setdefault(key, Tally()).open_orders += int(number)


def _medians(connection: Connection, period: Period, live: list[Period], group: Any) -> dict[Key, Fraction]:
    """The median hours to accept and to resolve, keyed (kind, month, group or DISTRICT): per month
    and group and per month for the ``live`` parts, and per group and over the whole period (month
    None). PostgreSQL counts the whole period with the live months in one pass when all are live."""
    timed = and_(_kind(connection, [period]).in_(tuple(MEDIANS)), F.micros.is_not(None))
    if connection.dialect.name != "postgresql":
        return _medians_in_python(
            connection, and_(timed, _within([period])), group, {_month(p) for p in live}
        )
    if len(live) == len(period.months()):
        return _medians_by_postgresql(
            connection, and_(timed, _within([period])), group, monthly=True, whole=True
        )
    found = _medians_by_postgresql(
        connection, and_(timed, _within([period])), group, monthly=False, whole=True
    )
    if live:
        found |= _medians_by_postgresql(
            connection, and_(timed, _within(live)), group, monthly=True, whole=False
        )
    return found


def _medians_in_python(
    connection: Connection, timed: ColumnElement[bool], group: Any, live: set[int]
) -> dict[Key, Fraction]:
    found: dict[Key, list[int]] = defaultdict(list)
    for kind, month, group_id, micros in connection.execute(
        select(F.kind, F.month, group, F.micros).where(timed)
    ):
        found[(kind, month, group_id)].append(micros)
    values: dict[Key, list[int]] = defaultdict(list)
    for (kind, month, group_id), micros in found.items():
        for key in (
            *(((kind, month, group_id), (kind, month, DISTRICT)) if month in live else ()),
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
    connection: Connection, timed: ColumnElement[bool], group: Any, *, monthly: bool, whole: bool
) -> dict[Key, Fraction]:
    sets = [
        *((tuple_(F.kind, F.month, group), tuple_(F.kind, F.month)) if monthly else ()),
        *((tuple_(F.kind, group), tuple_(F.kind)) if whole else ()),
    ]
    month: Any = F.month if monthly else null()  # a column in no grouping set cannot be selected
    no_month: Any = func.grouping(F.month) if monthly else literal(1)
    found: dict[Key, Fraction] = {}
    for kind, at_month, not_by_month, group_id, no_group, middle in connection.execute(
        select(
            F.kind, month, no_month, group, func.grouping(group), func.percentile_cont(0.5).within_group(F.micros)
        ).where(timed).group_by(func.grouping_sets(*sets))
    ):  # fmt: skip
        key: Key = (kind, None if not_by_month else at_month, DISTRICT if no_group else group_id)
        found[key] = Fraction(middle) / MICROS_PER_HOUR
    return found


# --- the kept counts of closed months -----------------------------------------------------------


def _stamps(connection: Connection, months: list[int]) -> dict[int, int]:
    """The current stamp of each of these months (0: never stamped)."""
    if not months:
        return {}
    found: dict[int, int] = dict(
        connection.execute(select(STAMP.c.month, STAMP.c.version).where(STAMP.c.month.in_(months))).all()
    )
    return {month: found.get(month, 0) for month in months}


def _kept(connection: Connection, grouping: str, stamps: dict[int, int]) -> dict[int, Bins]:
    """The kept counts of these months that still hold."""
    if not stamps:
        return {}
    return {
        month: _decode(tallies)
        for month, version, tallies in connection.execute(
            select(KEPT.c.month, KEPT.c.version, KEPT.c.tallies).where(
                KEPT.c.grouping == grouping, KEPT.c.month.in_(list(stamps))
            )
        )
        if version == stamps[month]
    }


def _keep(connection: Connection, grouping: str, month: int, version: int, bins: Bins) -> None:
    """Keep a closed month's counts, made while its stamp was ``version`` (read before its facts,
    so a change that commits meanwhile leaves them stale, never wrong). Best effort: another
    instance may be keeping the same month, or SQLite's one writer may be busy."""
    upsert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    row = {"grouping": grouping, "month": month, "version": version, "tallies": _encode(bins)}
    statement = upsert(KEPT).values(**row)
    try:
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[KEPT.c.grouping, KEPT.c.month],
                set_={"version": statement.excluded.version, "tallies": statement.excluded.tallies},
            )
        )
    except DBAPIError:
        return


def _encode(bins: Bins) -> str:
    def fraction(value: Fraction | None) -> list[int] | None:
        return None if value is None else [value.numerator, value.denominator]

    return json.dumps([
        [key, *(getattr(counts, name) for name in ADDITIVE), counts.open_orders,
         fraction(counts.accept_median), fraction(counts.resolve_median)]
        for key, counts in bins.items()
    ])  # fmt: skip


def _decode(text: str) -> Bins:
    bins: Bins = {}
    for key, *values, open_orders, accept, resolve in json.loads(text):
        bins[key] = Tally(
            **dict(zip(ADDITIVE, values, strict=True)),
            open_orders=open_orders,
            accept_median=None if accept is None else Fraction(*accept),
            resolve_median=None if resolve is None else Fraction(*resolve),
        )
    return bins


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
