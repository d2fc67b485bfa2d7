"""The database counts exactly what the formulas count: on a synthetic year with hand-made edge cases,
the figures and ticket lists from ``stat_fact`` equal those from replaying every step in Python,
for a year, a month and a range cut mid-month at both ends, by department and by street."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from portal.directory.models import Category, Department
from portal.directory.service import load_reference
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Rating
from portal.i18n import DISTRICT_TZ
from portal.places.models import Street
from portal.stats import aggregate
from portal.stats.facts import load_facts, ticket_details
from portal.stats.facts_table import KEPT, STAMP, rebuild_facts
from portal.stats.figures import ADDITIVE, DISTRICT, Counted, Tally, Weights
from portal.stats.period import Period
from portal.stats.report import build_report, count_facts, ticket_rows
from portal.tickets.models import Ticket, TicketEvent
from tests.perf.history import seed_history

END = datetime(2026, 11, 20, tzinfo=UTC)  # the synthetic year runs from late November 2025
PERIODS = {
    "year": Period(date(2025, 12, 1), date(2026, 11, 30)),
    "month": Period(date(2026, 4, 1), date(2026, 4, 30)),
    "cut at both ends": Period(date(2026, 3, 15), date(2026, 5, 10)),
    "cut within a month": Period(date(2026, 4, 5), date(2026, 4, 20)),
}


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=DISTRICT_TZ)


class Builder:
    """Tickets written row by row (as a bulk load would), for the cases the synthetic year lacks."""

    def __init__(self, connection: Connection, first_id: int, department: int, street: int) -> None:
        self.connection, self.next_id, self.department, self.street = connection, first_id, department, street
        self.category = connection.execute(select(Category.__table__.c.id)).scalars().first()  # type: ignore[attr-defined]

    def ticket(
        self, steps: list[tuple[str, datetime, datetime | None]], *, department: int | None = -1,
        street: int | None = -1, ratings: tuple[tuple[int, int, str, datetime], ...] = (),
        orders: tuple[tuple[datetime, datetime | None], ...] = (), from_status: str = "accepted",
    ) -> int:  # fmt: skip
        ticket_id, self.next_id = self.next_id, self.next_id + 1
        department = self.department if department == -1 else department
        reported = steps[0][1]
        self.connection.execute(insert(Ticket.__table__), [{  # type: ignore[attr-defined]
            "id": ticket_id, "code": f"E{ticket_id:07d}", "submission_key": f"edge-{ticket_id}", "category_id": self.category,
            "status": "resolved", "description": "edge", "is_public": ticket_id % 2 == 0,
            "street_id": self.street if street == -1 else street, "department_id": department,
            "round": 1 + len(orders), "version": 1, "created_at": reported, "updated_at": reported,
        }])  # fmt: skip
        self.connection.execute(insert(TicketEvent.__table__), [{  # type: ignore[attr-defined]
            "ticket_id": ticket_id, "seq": seq, "action": action, "to_status": "x", "actor_role": "system",
            "department_id": department, "at": moment, "due_at": due,
            "from_status": from_status if action == "supervise" else None,
        } for seq, (action, moment, due) in enumerate(steps, start=1)])  # fmt: skip
        for number, (round_, level, solved, moment) in enumerate(ratings):
            self.connection.execute(insert(Rating.__table__), [{  # type: ignore[attr-defined]
                "ticket_id": ticket_id, "round": round_, "rater": f"139{number:08d}", "level": level,
                "solved": solved, "created_at": moment,
            }])  # fmt: skip
        for number, (issued, ended) in enumerate(orders):
            self.connection.execute(insert(SupervisionOrder.__table__), [{  # type: ignore[attr-defined]
                "ticket_id": ticket_id, "department_id": department, "kind": "manual", "dedupe_key": f"e{number}",
                "reason": "edge", "round": 1, "status": "open" if ended is None else "fulfilled",
                "deadline": issued, "issued_at": issued, "fulfilled_at": ended,
            }])  # fmt: skip
        return ticket_id


def edge_cases(engine: Engine) -> int:
    """The hand-made tickets; returns the one whose street the centre changes later."""
    with engine.begin() as connection:
        first = (connection.execute(select(Ticket.__table__.c.id).order_by(Ticket.__table__.c.id.desc())).scalar() or 0) + 1  # type: ignore[attr-defined]  # fmt: skip
        departments = list(connection.execute(select(Department.__table__.c.id).order_by(Department.__table__.c.id)).scalars())  # type: ignore[attr-defined]  # fmt: skip
        street = connection.execute(select(Street.__table__.c.id)).scalars().first()  # type: ignore[attr-defined]
        make = Builder(connection, first, departments[0], street)
        # dispatched at 23:30 on the last day of March, accepted in April (late), resolved in April
        make.ticket([("report", at(3, 31, 20), None), ("dispatch", at(3, 31, 23, 30), None),
                     ("accept", at(4, 1, 1), at(3, 31, 23, 45)), ("resolve", at(4, 3), at(4, 10))])  # fmt: skip
        # a round rated twice across the end of April: solved in April, "not solved" on 2 May
        make.ticket([("report", at(4, 20), None), ("dispatch", at(4, 20, 10), None),
                     ("accept", at(4, 20, 11), at(4, 20, 14)), ("resolve", at(4, 22), at(4, 27))],
                    ratings=((1, 5, "yes", at(4, 30, 22)), (1, 2, "no", at(5, 2))))  # fmt: skip
        # a round first rated in May: solved by 10 May, "not solved" on 20 May (a range ending mid-May)
        make.ticket([("report", at(4, 28), None), ("dispatch", at(4, 28, 10), None),
                     ("accept", at(4, 28, 11), at(4, 28, 14)), ("resolve", at(5, 3), at(5, 5))],
                    ratings=((1, 4, "yes", at(5, 4)), (1, 1, "no", at(5, 20))))  # fmt: skip
        # ... and one "partly" on 5 May: not solved whichever day May is cut at
        make.ticket([("report", at(4, 28), None), ("dispatch", at(4, 28, 10), None),
                     ("accept", at(4, 28, 11), at(4, 28, 14)), ("resolve", at(5, 3), at(5, 5))],
                    ratings=((1, 4, "yes", at(5, 4)), (1, 3, "partly", at(5, 5))))  # fmt: skip
        # a supervision order issued in February and fulfilled in mid-April; the round goes again
        make.ticket([("report", at(2, 1), None), ("dispatch", at(2, 1, 10), None),
                     ("accept", at(2, 1, 11), at(2, 1, 14)), ("resolve", at(2, 5), at(2, 9)),
                     ("supervise", at(2, 10), None), ("accept", at(2, 10, 12), None),
                     ("resolve", at(4, 15), at(3, 1))],
                    ratings=((1, 2, "no", at(2, 10)), (2, 4, "yes", at(4, 16))),
                    orders=((at(2, 10), at(4, 15)),), from_status="resolved")  # fmt: skip
        # an order still open, with no department and no street
        make.ticket([("report", at(3, 1), None), ("dispatch", at(3, 1, 10), None)], department=None, street=None,
                    orders=((at(3, 20), None),))  # fmt: skip
        # returned, dispatched again, merged away before anyone accepted it
        make.ticket([("report", at(4, 2), None), ("dispatch", at(4, 2, 10), None), ("return", at(4, 3), None),
                     ("dispatch", at(4, 6), None), ("merge", at(4, 8), None)])  # fmt: skip
        # never accepted; only the return, early on 5 April (still 4 April in UTC), falls in the period
        # cut at 5 April
        make.ticket([("report", at(4, 4), None), ("dispatch", at(4, 4, 22), None), ("return", at(4, 5, 7), None)],
                    department=departments[1])  # fmt: skip
        # rejected without ever being dispatched
        make.ticket([("report", at(4, 9), None), ("reject", at(4, 9, 12), None)])
        # its street is changed by the centre after the facts are built (below)
        return make.ticket([("report", at(4, 10), None), ("dispatch", at(4, 10, 10), None),
                            ("accept", at(4, 10, 10, 20), at(4, 10, 14)), ("resolve", at(4, 12), at(4, 20))],
                           ratings=((1, 5, "yes", at(4, 13)),))  # fmt: skip


@pytest.fixture
def year(engine: Engine, db: Session) -> Engine:
    seed_history(engine, 1500, END, facts=False)
    moved = edge_cases(engine)
    rebuild_facts(engine)
    ticket = db.get(Ticket, moved)
    other = db.exec(orm_select(Street).where(col(Street.id) != ticket.street_id)).first()  # type: ignore[union-attr]
    assert ticket is not None and other is not None
    ticket.street_id = other.id  # through the portal: the hook rewrites its facts
    db.add(ticket)
    db.commit()
    return engine


def figures(counted: Counted) -> list[dict[Any, tuple[Any, ...]]]:
    def of(counts: Tally) -> tuple[Any, ...]:
        return (*(getattr(counts, name) for name in ADDITIVE), counts.open_orders,
                counts.median_hours_to_accept, counts.median_hours_to_resolve)  # fmt: skip

    return [{key: of(counts) for key, counts in part.items()} for part in [*counted.parts, counted.whole]]


@pytest.mark.parametrize("name", PERIODS)
def test_the_database_counts_what_the_formulas_count(year: Engine, db: Session, name: str) -> None:
    period = PERIODS[name]
    reference = load_reference(db)
    with year.connect() as connection:
        replayed = load_facts(connection, period)
        for grouping in ("department", "street"):
            old, new = count_facts(replayed, period, grouping), aggregate.count(connection, period, grouping)
            assert figures(new) == figures(old), grouping
            reports = [
                build_report(counted, period, grouping, reference, locale="en", weights=Weights(), district_name="Jimei")
                for counted in (old, new)
            ]  # fmt: skip
            old_rows, new_rows = ([row.values() for row in report.figure_rows()] for report in reports)
            assert new_rows == old_rows, grouping
        old_tickets = ticket_rows(
            replayed, ticket_details(connection, [t.id for t in replayed]), period, reference
        )
        assert aggregate.ticket_rows(connection, period, reference) == old_tickets
    district = figures(new)[-1][DISTRICT]
    assert all(district[:2]) and district[-2] is not None  # a busy period: something was counted
    if name == "cut within a month":  # only a return on 5 April: a ticket with nothing to count
        assert any(not any(row[c] for c in ("dispatched", "resolutions", "ratings")) for row in old_tickets)


def test_closed_months_are_kept_until_one_of_their_facts_changes(engine: Engine, db: Session) -> None:
    """A year's page counts only what changed: a closed month's counts are kept and reused, a rating
    given today leaves them be, and moving a ticket to another street has its months counted again."""
    now = datetime.now(UTC)
    seed_history(engine, 600, now)  # the last 360 days, facts written as it loads
    current = now.astimezone(DISTRICT_TZ).date().replace(day=1)
    first = date(current.year - 1, current.month, 1)  # the same month last year
    end = current - timedelta(days=1)
    period = Period(
        first, end.replace(day=1) - timedelta(days=1)
    )  # whole months, closed for a month at least

    def counted(grouping: str) -> tuple[Counted, Counted]:
        with engine.begin() as connection:  # a committed read, as the page's: what it keeps stays
            replayed = count_facts(load_facts(connection, period), period, grouping)
            return aggregate.count(connection, period, grouping), replayed

    def kept() -> dict[int, int]:
        with engine.connect() as connection:
            return dict(
                connection.execute(
                    select(KEPT.c.month, KEPT.c.version).where(KEPT.c.grouping == "street")
                ).all()
            )

    def stamps() -> dict[int, int]:
        with engine.connect() as connection:
            return dict(connection.execute(select(STAMP.c.month, STAMP.c.version)).all())

    new, old = counted("street")
    assert figures(new) == figures(old) and len(kept()) == len(period.months()) == 11
    again, _ = counted("street")  # every month from what was kept
    assert figures(again) == figures(old)
    before = stamps()

    rated = db.exec(orm_select(Rating).order_by(col(Rating.created_at))).first()
    assert rated is not None
    db.add(Rating(ticket_id=rated.ticket_id, round=rated.round, rater="13900000000", level=1, solved="no"))
    db.commit()  # a second resident rates a round of long ago, today: no closed month changes
    assert stamps() == before

    moved = db.get(Ticket, rated.ticket_id)
    other = db.exec(orm_select(Street).where(col(Street.id) != moved.street_id)).first()  # type: ignore[union-attr]
    assert moved is not None and other is not None
    moved.street_id = other.id
    db.add(moved)
    db.commit()  # its orders, resolutions and ratings now count for another street
    changed = {month for month, version in stamps().items() if version != before.get(month)}
    assert changed and changed <= set(kept())
    new, old = counted("street")
    assert figures(new) == figures(old)
    assert {month for month, version in kept().items() if version != stamps().get(month, 0)} == set()
    rebuild_facts(engine)  # a rebuild forgets what was kept
    assert kept() == {}
