"""The command centre's and the departments' steps, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import StaffRole, StaffUser
from portal.accounts.service import create_user
from portal.directory.models import Category, Department
from portal.dispatch import service as dispatch
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.links import rating_token
from portal.services import Services
from portal.sms import MAX_SMS_CHARS
from portal.tickets.forms import CleanReport
from portal.tickets.lifecycle import Status
from portal.tickets.models import Follower, Ticket, TicketEvent
from portal.tickets.service import StoredPhoto, submit_report
from tests.unit.factories import a_community

PHOTO = StoredPhoto("a" * 64, 800, 600)


def staff(db: Session, username: str, role: StaffRole, department: Department | None = None) -> StaffUser:
    user = create_user(db, username=username, password="a long enough password", role=role,
                       department_id=department.id if department else None)  # fmt: skip
    db.flush()
    return user


def a_ticket(db: Session, phone: str = "13859201234", key: str = "k1") -> Ticket:
    category = db.exec(select(Category).where(Category.slug == "road-damage")).one()
    report = CleanReport(category=category, description="路面有个大坑，电动车容易摔。", is_public=True, address="",
                         name="", phone=phone, community=a_community(db))  # fmt: skip
    ticket, _ = submit_report(db, report, [], key=key)
    return ticket


@pytest.fixture
def people(db: Session) -> dict[str, StaffUser]:
    departments = list(db.exec(select(Department).order_by(col(Department.id))))
    departments[0].duty_phone = "13900000001"
    db.add(departments[0])
    return {
        "dispatcher": staff(db, "centre", StaffRole.DISPATCHER),
        "dept": staff(db, "roads", StaffRole.DEPARTMENT, departments[0]),
        "other": staff(db, "parks", StaffRole.DEPARTMENT, departments[1]),
    }


def ctx(
    db: Session, services: Services, user: StaffUser, base_url: str = "http://portal.test"
) -> dispatch.Context:
    return dispatch.Context.make(
        db, user, "127.0.0.1", services.sms, base_url, secret=services.settings.secret_key
    )


def test_the_whole_way_through(db: Session, services: Services, people: dict[str, StaffUser]) -> None:
    ticket = a_ticket(db)
    dispatch.dispatch(
        ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id, "请尽快处理"
    )
    assert ticket.status == Status.DISPATCHED and ticket.response_due and ticket.resolution_due
    assert ticket.response_due < ticket.resolution_due
    dept = ctx(db, services, people["dept"], base_url="https://jimei.gov.cn")  # as long as real ones
    dispatch.accept(dept, ticket)
    dispatch.post_progress(dept, ticket, "已安排人员到场。", "内部：需要沥青", [])
    dispatch.resolve(dept, ticket, "坑已填平。", "", [PHOTO])
    assert ticket.status == Status.RESOLVED
    events = [
        e.action
        for e in db.exec(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(col(TicketEvent.seq))
        )
    ]
    assert events == ["report", "dispatch", "accept", "progress", "resolve"]
    texts = services.sms.to("13859201234")  # type: ignore[attr-defined]
    department = db.get(Department, people["dept"].department_id)
    assert department is not None
    # the report's receipt is sent by the view; here: dispatched (naming the department) and resolved
    assert len(texts) == 2 and all(ticket.code in t and len(t) <= MAX_SMS_CHARS for t in texts)
    reporter = db.exec(select(Follower).where(Follower.ticket_id == ticket.id)).one()
    token = rating_token(services.settings.secret_key, ticket.id or 0, reporter.id or 0, ticket.round)
    assert department.name_zh_hans in texts[0]
    assert texts[1].endswith(f"https://jimei.gov.cn/r/{ticket.code}/{token}")  # the reporter's own link
    assert services.sms.to("13900000001")  # type: ignore[attr-defined]  # the department's duty phone


def test_departments_act_only_on_their_own_orders(
    db: Session, services: Services, people: dict[str, StaffUser]
) -> None:
    ticket = a_ticket(db)
    dispatch.dispatch(ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id)
    assert not dispatch.may_see(db, people["other"], ticket) and dispatch.may_see(db, people["dept"], ticket)
    with pytest.raises(dispatch.ActionError):
        dispatch.accept(ctx(db, services, people["other"]), ticket)
    assert ticket.status == Status.DISPATCHED


def test_forbidden_steps_change_nothing(
    db: Session, services: Services, people: dict[str, StaffUser]
) -> None:
    ticket = a_ticket(db)
    dept = ctx(db, services, people["dept"])
    with pytest.raises(dispatch.ActionError):
        dispatch.resolve(dept, ticket, "done", "", [PHOTO])  # never dispatched nor accepted
    dispatch.dispatch(ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id)
    dispatch.accept(dept, ticket)
    with pytest.raises(dispatch.ActionError, match="photo"):
        dispatch.resolve(dept, ticket, "done", "", [])
    with pytest.raises(dispatch.ActionError):
        dispatch.reject(ctx(db, services, people["dispatcher"]), ticket, "")
    assert ticket.status == Status.ACCEPTED


def test_returning_an_order_sends_it_back_to_the_centre(
    db: Session, services: Services, people: dict[str, StaffUser]
) -> None:
    ticket = a_ticket(db)
    dispatch.dispatch(ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id)
    with pytest.raises(dispatch.ActionError):
        dispatch.return_order(ctx(db, services, people["dept"]), ticket, "  ")
    dispatch.return_order(ctx(db, services, people["dept"]), ticket, "这是绿化问题，不归我们管。")
    assert ticket.status == Status.SUBMITTED and ticket.department_id is None and ticket.response_due is None


def test_merging_moves_the_followers(db: Session, services: Services, people: dict[str, StaffUser]) -> None:
    first = a_ticket(db, "13800000001", "k1")
    second = a_ticket(db, "13800000002", "k2")
    dispatch.merge(ctx(db, services, people["dispatcher"]), second, first.code)
    assert second.status == Status.MERGED and second.merged_into_id == first.id
    phones = {f.phone for f in db.exec(select(Follower).where(Follower.ticket_id == first.id))}
    assert phones == {"13800000001", "13800000002"} and first.supporters == 1
    with pytest.raises(dispatch.ActionError):
        dispatch.merge(ctx(db, services, people["dispatcher"]), first, first.code)


def test_a_supervision_order_reopens_a_resolved_ticket(
    db: Session, services: Services, people: dict[str, StaffUser]
) -> None:
    ticket = a_ticket(db)
    centre = ctx(db, services, people["dispatcher"])
    dispatch.dispatch(centre, ticket, people["dept"].department_id)
    dept = ctx(db, services, people["dept"])
    dispatch.accept(dept, ticket)
    dispatch.resolve(dept, ticket, "处理好了", "", [PHOTO])
    with pytest.raises(dispatch.ActionError):
        dispatch.supervise(centre, ticket, "居民反映仍未解决", centre.now - timedelta(days=1))
    order = dispatch.supervise(centre, ticket, "居民反映仍未解决", centre.now + timedelta(days=3))
    assert ticket.status == Status.DISPATCHED and ticket.round == 2 and order.status == "open"
    dispatch.accept(dept, ticket)
    dispatch.resolve(dept, ticket, "重新修补", "", [PHOTO])
    db.refresh(order)
    assert order.status == "fulfilled"


def test_the_sweep_issues_one_order_per_missed_deadline(
    db: Session, services: Services, people: dict[str, StaffUser]
) -> None:
    ticket = a_ticket(db)
    dispatch.dispatch(ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id)
    db.commit()
    assert ticket.response_due is not None
    later = ticket.response_due + timedelta(minutes=1)
    first = dispatch.sweep(db, sms=services.sms, base_url="http://portal.test", now=later)
    db.commit()
    again = dispatch.sweep(
        db, sms=services.sms, base_url="http://portal.test", now=later + timedelta(hours=1)
    )
    db.commit()
    assert [o.kind for o in first] == ["missed_response"] and again == []
    assert ticket.status == Status.DISPATCHED  # an order on a missed deadline leaves the status alone
    orders = list(db.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == ticket.id)))
    assert len(orders) == 1


def test_two_instances_sweeping_at_once_issue_one_order(
    db: Session, services: Services, engine, people: dict[str, StaffUser]
) -> None:  # type: ignore[no-untyped-def]
    import threading

    ticket = a_ticket(db)
    dispatch.dispatch(ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id)
    db.commit()
    assert ticket.response_due is not None
    later = ticket.response_due + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    issued: list[int] = []

    def instance() -> None:
        with Session(engine) as session:
            barrier.wait()
            orders = dispatch.sweep(session, sms=services.sms, base_url="", now=later)
            session.commit()
            issued.append(len(orders))

    threads = [threading.Thread(target=instance) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    db.expire_all()
    assert len(list(db.exec(select(SupervisionOrder).where(SupervisionOrder.ticket_id == ticket.id)))) == 1
    events = [e.action for e in db.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))]
    assert events.count("supervise") == 1 and sorted(issued) == [0, 1]


def test_an_order_is_withdrawn_when_the_ticket_leaves_the_department(
    db: Session, services: Services, people: dict[str, StaffUser]
) -> None:
    ticket = a_ticket(db)
    dispatch.dispatch(ctx(db, services, people["dispatcher"]), ticket, people["dept"].department_id)
    due = ticket.response_due
    assert due is not None
    [order] = dispatch.sweep(db, sms=services.sms, base_url="", now=due + timedelta(minutes=1))
    dispatch.return_order(ctx(db, services, people["dept"]), ticket, "这是交通部门的事")
    db.commit()
    db.refresh(order)
    assert order.status == "withdrawn" and order.fulfilled_at is not None
    assert not dispatch.overdue(order, due + timedelta(days=30))  # no longer open
    dispatch.reject(ctx(db, services, people["dispatcher"]), ticket, "不属于受理范围")
    still_open = db.exec(
        select(SupervisionOrder).where(
            SupervisionOrder.ticket_id == ticket.id, SupervisionOrder.status == "open"
        )
    ).all()
    assert still_open == []
