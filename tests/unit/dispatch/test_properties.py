"""Random sequences of staff steps by random people, on the real database: the ticket never
reaches a state the lifecycle forbids, and its event log always replays to its current status."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole, StaffUser
from portal.directory.models import Category, Department
from portal.dispatch import service as steps
from portal.services import Services
from portal.tickets import lifecycle
from portal.tickets.forms import CleanReport
from portal.tickets.lifecycle import Action, Role, Status
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.service import StoredPhoto, submit_report
from tests.unit.factories import a_community

PHOTO = StoredPhoto("b" * 64, 10, 10)
STEPS = ["dispatch", "reject", "merge", "accept", "return", "progress", "resolve", "supervise", "update"]


def _people(db: Session) -> list[StaffUser]:
    """Accounts made directly (no password hashing: these people never sign in)."""
    departments = list(db.exec(select(Department).order_by(col(Department.id))))[:2]
    people = [
        StaffUser(username="p-centre", display_name="c", password_hash="-", role=StaffRole.DISPATCHER.value),
        StaffUser(
            username="p-dept-a",
            display_name="a",
            password_hash="-",
            role=StaffRole.DEPARTMENT.value,
            department_id=departments[0].id,
        ),
        StaffUser(
            username="p-dept-b",
            display_name="b",
            password_hash="-",
            role=StaffRole.DEPARTMENT.value,
            department_id=departments[1].id,
        ),
        StaffUser(
            username="p-volunteer", display_name="v", password_hash="-", role=StaffRole.VOLUNTEER.value
        ),
    ]
    db.add_all(people)
    db.flush()
    return people


def _apply(ctx: steps.Context, ticket: Ticket, step: str, other: Ticket, department_id: int) -> None:
    if step == "dispatch":
        steps.dispatch(ctx, ticket, department_id)
    elif step == "reject":
        steps.reject(ctx, ticket, "不属于受理范围")
    elif step == "merge":
        steps.merge(ctx, ticket, other.code)
    elif step == "accept":
        steps.accept(ctx, ticket)
    elif step == "return":
        steps.return_order(ctx, ticket, "不归本部门")
    elif step == "progress":
        steps.post_progress(ctx, ticket, "处理中", "", [])
    elif step == "resolve":
        steps.resolve(ctx, ticket, "已处理", "", [PHOTO])
    elif step == "supervise":
        steps.supervise(ctx, ticket, "请加快", ctx.now + timedelta(days=2))
    elif step == "update":
        steps.update_details(ctx, ticket, priority=1 - ticket.priority)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 3), st.integers(0, 1)), min_size=1, max_size=14)
)
def test_random_staff_steps_keep_the_ticket_consistent(
    engine: Engine, services: Services, walk: list[tuple[str, int, int]]
) -> None:
    with Session(engine, expire_on_commit=False) as db:
        try:
            people = _people(db)
            category = db.exec(select(Category).where(Category.slug == "road-damage")).one()
            report = CleanReport(category=category, description="随机路径测试用的诉求内容。", is_public=True,
                                 address="", name="", phone="", community=a_community(db))  # fmt: skip
            ticket, _ = submit_report(db, report, [], key="walk-1")
            other, _ = submit_report(db, report, [], key="walk-2")
            db.commit()
            for step, who, department_index in walk:
                user = people[who]
                department_id = people[1 + department_index].department_id or 0
                ctx = steps.Context.make(
                    db, user, "test", services.sms, "", secret=services.settings.secret_key
                )
                before = Status(ticket.status)
                try:
                    with db.begin_nested():
                        _apply(ctx, ticket, step, other, department_id)
                except steps.ActionError:
                    db.refresh(ticket)
                    assert Status(ticket.status) == before  # a refused step changes nothing
                    continue
            db.commit()
            events = list(
                db.exec(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(col(TicketEvent.seq))
                )
            )
            replayed: Status | None = None
            for event in events:
                assert (event.from_status or None) == (replayed.value if replayed else None)
                replayed = lifecycle.next_status(Action(event.action), replayed, Role(event.actor_role))
                assert replayed.value == event.to_status
            assert replayed == Status(ticket.status)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
        finally:
            db.rollback()
            with engine.begin() as conn:
                for table in (
                    "audit_log",
                    "supervision_order",
                    "staff_user",
                    "photo",
                    "follower",
                    "ticket_event",
                ):
                    conn.execute(text(f"DELETE FROM {table}"))
                conn.execute(text("UPDATE ticket SET merged_into_id = NULL"))
                conn.execute(text("DELETE FROM ticket"))
