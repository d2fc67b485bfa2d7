"""Peer evaluation: the command centre asks another department to evaluate a round, and only that
department may, once, read-only apart from its evaluation; a poor one opens no supervision order."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole
from portal.directory.models import Department
from portal.dispatch import service as steps
from portal.dispatch.models import SupervisionOrder
from portal.evaluation.models import Evaluation, PeerRequest
from portal.evaluation.service import RatingError, evaluate
from portal.services import Services
from portal.tickets.lifecycle import Status
from portal.tickets.models import Ticket
from tests.pages import PageClient
from tests.unit.dispatch.test_views import act, signed_in
from tests.unit.evaluation.test_links import resolve_again
from tests.unit.evaluation.test_views import resolved_ticket


def departments(db: Session) -> list[Department]:
    """The handling department (the factory's) first, then the others."""
    return list(db.exec(select(Department).order_by(col(Department.id))))


def test_the_centre_asks_a_peer_department_which_evaluates_once(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    handling, peer_department = departments(db)[:2]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "c-peer", StaffRole.DISPATCHER)
        peer = signed_in(stack, app, db, "peer-staff", StaffRole.DEPARTMENT, peer_department)
        assert peer.get(f"/staff/t/{ticket.code}").status_code == 404  # not asked yet
        assert "Evaluations asked of you" not in peer.get("/staff/department").text

        page = centre.get(f"/staff/t/{ticket.code}").text
        assert (
            'value="ask-peer"' in page
            and f'<option value="{handling.id}"' not in page.split("peer-department")[1]
        )
        assert act(centre, ticket.code, "ask-peer", department=str(peer_department.id)).status_code == 303
        assert "Waiting for the evaluation" in centre.get(f"/staff/t/{ticket.code}").text

        queue = peer.get("/staff/department").text
        assert "Evaluations asked of you" in queue and ticket.code in queue
        page = peer.get(f"/staff/t/{ticket.code}")
        assert page.status_code == 200 and 'value="evaluate-peer"' in page.text
        for step in ("accept", "return", "progress", "resolve", "evaluate-self"):
            assert f'value="{step}"' not in page.text
        assert act(peer, ticket.code, "evaluate-peer", level="2", reason="回复不够具体").status_code == 303
        twice = act(peer, ticket.code, "evaluate-peer", level="4", reason="再评一次")
        assert twice.status_code == 422 and "already has that evaluation" in twice.text
        assert ticket.code not in peer.get("/staff/department").text  # nothing left to do
        assert "Evaluated" in centre.get(f"/staff/t/{ticket.code}").text

    db.refresh(ticket)
    assert ticket.status == Status.RESOLVED and ticket.round == 1  # a peer's poor evaluation opens no order
    assert list(db.exec(select(SupervisionOrder))) == []
    evaluation = db.exec(select(Evaluation)).one()
    assert (evaluation.kind, evaluation.evaluator, evaluation.level) == (
        "peer",
        f"dept:{peer_department.id}",
        2,
    )
    actions = {a.action for a in db.exec(select(AuditEntry).where(AuditEntry.ticket_id == ticket.id))}
    assert {"ask-peer", "evaluate-peer"} <= actions

    public = client.get(f"/t/{ticket.code}").text
    assert f"Evaluation by a peer department ({peer_department.name('en')})" in public
    assert "回复不够具体" in public and "peer-staff" not in public


def test_several_peers_evaluate_the_same_round(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    first, second = departments(db)[1:3]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "c-many", StaffRole.DISPATCHER)
        for department in (first, second):
            assert act(centre, ticket.code, "ask-peer", department=str(department.id)).status_code == 303
        for n, department in enumerate((first, second)):
            peer = signed_in(stack, app, db, f"peer-{n}", StaffRole.DEPARTMENT, department)
            assert (
                act(peer, ticket.code, "evaluate-peer", level=str(4 + n), reason="处理及时").status_code
                == 303
            )
        assert act(centre, ticket.code, "evaluate-mutual", level="5", reason="核查属实").status_code == 303
    evaluators = sorted(
        e.evaluator for e in db.exec(select(Evaluation).where(Evaluation.ticket_id == ticket.id))
    )
    assert evaluators == sorted(["centre", f"dept:{first.id}", f"dept:{second.id}"])


def test_bad_peer_requests_and_evaluations_change_nothing(
    client: PageClient, db: Session, services: Services, app
) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    handling, asked, not_asked, inactive = departments(db)[:4]
    inactive.active = False
    db.add(inactive)
    db.commit()
    try:
        with ExitStack() as stack:
            centre = signed_in(stack, app, db, "c-bad", StaffRole.DISPATCHER)
            worker = signed_in(stack, app, db, "w-bad", StaffRole.DEPARTMENT, handling)
            peer = signed_in(stack, app, db, "p-bad", StaffRole.DEPARTMENT, asked)
            other = signed_in(stack, app, db, "o-bad", StaffRole.DEPARTMENT, not_asked)
            for department, message in (
                (handling.id, "ask another department"),
                (inactive.id, "Choose the department to ask"),
                (99999, "Choose the department to ask"),
                ("", "Choose the department to ask"),
            ):
                refused = act(centre, ticket.code, "ask-peer", department=str(department))
                assert refused.status_code == 422 and message in refused.text
            assert act(worker, ticket.code, "ask-peer", department=str(asked.id)).status_code == 422
            assert act(centre, ticket.code, "ask-peer", department=str(asked.id)).status_code == 303
            twice = act(centre, ticket.code, "ask-peer", department=str(asked.id))
            assert twice.status_code == 422 and "already been asked" in twice.text

            no_reason = act(peer, ticket.code, "evaluate-peer", level="3", reason="  ")
            assert no_reason.status_code == 422 and "Write a reason." in no_reason.text
            no_level = act(peer, ticket.code, "evaluate-peer", level="9", reason="理由")
            assert no_level.status_code == 422
            own = act(worker, ticket.code, "evaluate-peer", level="5", reason="自己评自己")
            assert own.status_code == 422 and "has not been asked" in own.text
            assert act(other, ticket.code, "evaluate-peer", level="1", reason="未受邀").status_code == 404
            for step in ("accept", "progress", "resolve", "return"):
                assert act(peer, ticket.code, step, note="越权", reason="越权").status_code == 422
    finally:
        inactive.active = True
        db.add(inactive)
        db.commit()
    db.refresh(ticket)
    assert ticket.status == Status.RESOLVED
    assert list(db.exec(select(Evaluation))) == []
    assert [r.department_id for r in db.exec(select(PeerRequest))] == [asked.id]


def test_a_request_is_for_one_round(client: PageClient, db: Session, services: Services, app) -> None:  # type: ignore[no-untyped-def]
    ticket = resolved_ticket(client, db, services)
    peer_department = departments(db)[1]
    with ExitStack() as stack:
        centre = signed_in(stack, app, db, "c-round", StaffRole.DISPATCHER)
        peer = signed_in(stack, app, db, "p-round", StaffRole.DEPARTMENT, peer_department)
        assert act(centre, ticket.code, "ask-peer", department=str(peer_department.id)).status_code == 303
        assert (
            act(centre, ticket.code, "supervise", reason="请复查", deadline="2099-01-01").status_code == 303
        )
        early = act(centre, ticket.code, "ask-peer", department=str(departments(db)[2].id))
        assert early.status_code == 422 and "after it is resolved" in early.text
        assert ticket.code not in peer.get("/staff/department").text  # round 1's request is moot
        late = act(peer, ticket.code, "evaluate-peer", level="4", reason="第一轮")
        assert late.status_code == 404  # round 1's peer no longer sees the ticket at all
        resolve_again(db, services, ticket)
        assert peer.get(f"/staff/t/{ticket.code}").status_code == 404
        refused = act(peer, ticket.code, "evaluate-peer", level="4", reason="第二轮")
        assert refused.status_code == 404
        assert act(centre, ticket.code, "ask-peer", department=str(peer_department.id)).status_code == 303
        assert act(peer, ticket.code, "evaluate-peer", level="4", reason="第二轮").status_code == 303
    rounds = [(e.round, e.kind) for e in db.exec(select(Evaluation))]
    assert rounds == [(2, "peer")]
    assert sorted(r.round for r in db.exec(select(PeerRequest))) == [1, 2]


def test_the_service_refuses_a_department_that_was_not_asked(
    db: Session, services: Services, client: PageClient
) -> None:
    ticket = resolved_ticket(client, db, services)
    other = departments(db)[1]
    from portal.accounts.service import create_user

    user = create_user(db, username="svc-peer", password="a long enough password", role=StaffRole.DEPARTMENT,
                       department_id=other.id)  # fmt: skip
    ctx = steps.Context.make(db, user, "test", services.sms, "", secret=services.settings.secret_key)
    with pytest.raises(RatingError, match="has not been asked"):
        evaluate(ctx, ticket, "peer", "3", "理由")
    assert not steps.may_see(db, user, db.get(Ticket, ticket.id))  # type: ignore[arg-type]
