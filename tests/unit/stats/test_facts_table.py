"""The figures' facts stay in step with the tickets: every step the portal takes rewrites them in the
same transaction, so they always equal a rebuild from the events, ratings and orders."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal import cli
from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.service import create_user
from portal.directory.models import Category, Department
from portal.dispatch import service as dispatch
from portal.evaluation.models import Rating
from portal.evaluation.service import submit_rating
from portal.places.models import Community
from portal.services import Services
from portal.settings import Settings
from portal.stats.facts_table import FACT, rebuild_facts, refresh_tickets
from portal.stats.models import DISPATCH, RATING, RESOLVE, ROUND, STEP, SUPERVISION
from portal.tickets.forms import CleanReport
from portal.tickets.models import Ticket
from portal.tickets.service import StoredPhoto, submit_report
from tests.perf.history import seed_history

PHOTO = StoredPhoto("a" * 64, 800, 600)


def facts(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row) for row in connection.execute(sa_select(FACT).order_by(FACT.c.ticket_id, FACT.c.seq))
        ]


def assert_current(engine: Engine) -> list[tuple[Any, ...]]:
    """The facts as the hook left them equal the facts rebuilt from scratch; returns them."""
    kept = facts(engine)
    rebuild_facts(engine)
    assert kept == facts(engine)
    return kept


def kinds(rows: list[tuple[Any, ...]], ticket: Ticket) -> list[int]:
    return [row[2] for row in rows if row[0] == ticket.id]


def staff(db: Session, username: str, role: StaffRole, department_id: int | None = None) -> StaffUser:
    user = create_user(db, username=username, password="a long enough password", role=role,
                       department_id=department_id)  # fmt: skip
    db.flush()
    return user


def a_ticket(db: Session, key: str, phone: str = "13859201234") -> Ticket:
    category = db.exec(select(Category).where(Category.slug == "road-damage")).one()
    community = db.exec(select(Community).order_by(col(Community.id))).first()
    report = CleanReport(category=category, description="路面有个大坑，电动车容易摔。", is_public=True, address="",
                         name="", phone=phone, community=community)  # fmt: skip
    ticket, _ = submit_report(db, report, [], key=key)
    return ticket


def test_every_step_through_the_portal_keeps_the_facts_current(
    db: Session, services: Services, engine: Engine
) -> None:
    roads, parks = list(db.exec(select(Department).order_by(col(Department.id))))[:2]
    centre_user = staff(db, "centre", StaffRole.DISPATCHER)
    roads_user = staff(db, "roads", StaffRole.DEPARTMENT, roads.id)
    parks_user = staff(db, "parks", StaffRole.DEPARTMENT, parks.id)

    def ctx(user: StaffUser, now: datetime | None = None) -> dispatch.Context:
        made = dispatch.Context.make(db, user, "127.0.0.1", services.sms, "http://portal.test",
                                     secret=services.settings.secret_key)  # fmt: skip
        if now is not None:
            made.now = now
        return made

    ticket = a_ticket(db, "k1")
    other = a_ticket(db, "k2", "13800000002")
    db.commit()
    assert facts(engine) == []  # reported only: nothing to count yet

    dispatch.dispatch(ctx(centre_user), ticket, parks.id)
    db.commit()
    assert kinds(assert_current(engine), ticket) == [DISPATCH]
    dispatch.return_order(ctx(parks_user), ticket, "这是道路问题，不归我们管。")
    db.commit()
    assert_current(engine)
    dispatch.dispatch(ctx(centre_user), ticket, roads.id)
    dispatch.accept(ctx(roads_user), ticket)
    db.commit()
    assert kinds(assert_current(engine), ticket) == [DISPATCH, DISPATCH]  # one returned, one accepted
    dispatch.resolve(ctx(roads_user), ticket, "坑已填平。", "", [PHOTO])
    db.commit()
    assert kinds(assert_current(engine), ticket) == [DISPATCH, DISPATCH, RESOLVE]

    submit_rating(db, ticket, "13859201234", "2", "no", "", sms=services.sms, base_url="http://portal.test")
    db.commit()  # a poor rating: a supervision order reopens the ticket
    rows = assert_current(engine)
    assert kinds(rows, ticket) == [DISPATCH, DISPATCH, RESOLVE, ROUND, RATING, SUPERVISION]
    dispatch.accept(ctx(roads_user), ticket)
    dispatch.resolve(ctx(roads_user), ticket, "重新修补。", "", [PHOTO])
    db.commit()  # the second resolution fulfils the order
    rows = assert_current(engine)
    order = next(row for row in rows if row[0] == ticket.id and row[2] == SUPERVISION)
    assert order[FACT.c.keys().index("ended_at")] is not None

    moved = db.exec(select(Community).where(col(Community.street_id) != ticket.street_id)).first()
    assert moved is not None
    dispatch.update_details(ctx(centre_user), ticket, community_id=moved.id)
    db.commit()  # the centre puts it in another street: every fact moves with it
    rows = assert_current(engine)
    assert {row[FACT.c.keys().index("street_id")] for row in rows if row[0] == ticket.id} == {moved.street_id}

    dispatch.dispatch(ctx(centre_user), other, roads.id)
    db.commit()
    due = other.response_due
    assert due is not None
    dispatch.sweep(db, sms=services.sms, base_url="", now=due + timedelta(minutes=1))
    db.commit()  # a missed deadline: an order stays open on the ticket
    assert SUPERVISION in kinds(assert_current(engine), other)
    dispatch.accept(ctx(roads_user, due + timedelta(days=1)), other)
    db.commit()  # accepted the next day: a step that makes the ticket one of that day's
    assert STEP in kinds(assert_current(engine), other)
    third, fourth = a_ticket(db, "k3", "13800000003"), a_ticket(db, "k4", "13800000004")
    dispatch.reject(ctx(centre_user), third, "不属于受理范围")
    dispatch.merge(ctx(centre_user), fourth, other.code)
    db.commit()  # neither was ever dispatched: each is only one of the day's tickets
    rows = assert_current(engine)
    assert kinds(rows, third) == [STEP] and kinds(rows, fourth) == [STEP]


def test_a_change_that_is_rolled_back_leaves_the_facts_alone(
    db: Session, services: Services, engine: Engine
) -> None:
    centre_user = staff(db, "centre", StaffRole.DISPATCHER)
    department = db.exec(select(Department).order_by(col(Department.id))).first()
    ticket = a_ticket(db, "k1")
    context = dispatch.Context.make(db, centre_user, "127.0.0.1", services.sms, "", secret="s")
    dispatch.dispatch(context, ticket, department.id)
    db.commit()
    before = assert_current(engine)
    dispatch.supervise(context, ticket, "请尽快处理", context.now + timedelta(days=2))
    db.flush()
    db.rollback()
    assert facts(engine) == before
    with Session(engine) as later:  # the next transaction starts clean: nothing left over to refresh
        later.add(Rating(ticket_id=ticket.id or 0, round=1, rater="13800000009", level=5, solved="yes"))
        later.commit()
    assert kinds(assert_current(engine), ticket) == [DISPATCH, ROUND, RATING]


def test_two_transactions_changing_one_ticket_leave_it_current(
    db: Session, services: Services, engine: Engine
) -> None:
    """Two residents rate the same round at once, and both transactions get to rewriting the
    ticket's facts. The second waits for the first to commit (on PostgreSQL on the ticket's row; SQLite
    has one writer anyway), then counts both ratings: no error, no stale facts."""
    centre_user = staff(db, "centre", StaffRole.DISPATCHER)
    department = db.exec(select(Department).order_by(col(Department.id))).first()
    assert department is not None
    ticket = a_ticket(db, "k1")
    dispatch.dispatch(
        dispatch.Context.make(db, centre_user, "", services.sms, "", secret="s"), ticket, department.id
    )
    db.commit()
    now = datetime.now(UTC)
    first = Session(engine)
    first.add(
        Rating(ticket_id=ticket.id or 0, round=1, rater="13800000001", level=5, solved="yes", created_at=now)
    )
    first.flush()
    refresh_tickets(first.connection(), [ticket.id or 0])  # as its commit is about to
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with Session(engine) as session:
                session.add(Rating(ticket_id=ticket.id or 0, round=1, rater="13800000002", level=2,
                                   solved="no", created_at=now + timedelta(minutes=1)))  # fmt: skip
                session.commit()
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=second)
    thread.start()
    if engine.dialect.name == "postgresql":
        assert _waits_for_a_lock(engine), "the second transaction waits for the first"
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and failed == []
    rows = assert_current(engine)
    assert kinds(rows, ticket) == [DISPATCH, ROUND, RATING, RATING]


def _waits_for_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        for _ in range(200):
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_a_bulk_load_is_counted_after_a_rebuild_and_upgrade_builds_missing_facts(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    end = datetime(2026, 11, 20, tzinfo=UTC)
    seed_history(engine, 300, end, facts=False)  # Core inserts: the session hook never sees them
    assert facts(engine) == []
    assert cli.main(["db", "upgrade"]) == 0  # tickets but no facts: a database from before the facts
    built = facts(engine)
    assert f"built {len(built):,} facts" in capsys.readouterr().out
    assert len(built) > 600  # an order and a resolution per ticket at least

    with engine.begin() as connection:  # a load that bypassed the portal: one more order per ticket
        connection.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, seq, action, from_status, to_status, actor_role, "
                "public_note, internal_note, at) SELECT id, 99, 'dispatch', 'submitted', 'dispatched', "
                "'system', '', '', created_at FROM ticket"
            )
        )
    assert cli.main(["db", "upgrade"]) == 0
    assert "built" not in capsys.readouterr().out and facts(engine) == built  # facts exist: left be
    assert cli.main(["stats", "rebuild"]) == 0
    assert "rebuilt" in capsys.readouterr().out
    after = facts(engine)
    with engine.connect() as connection:
        orders = connection.execute(
            sa_select(func.count()).select_from(FACT).where(FACT.c.kind == DISPATCH)
        ).scalar()
    assert orders == 600 and len(after) > len(built)

    seed_history(engine, 50, end, seed=7)  # a bulk load that writes its own facts as it goes
    assert_current(engine)
