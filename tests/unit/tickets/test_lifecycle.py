"""The ticket state machine, transition by transition and role by role, and with random walks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.tickets import lifecycle
from portal.tickets.lifecycle import Action, Role, Status, TransitionError

EXPECTED = {
    (Action.REPORT, None, Role.RESIDENT): Status.SUBMITTED,
    (Action.REPORT, None, Role.VOLUNTEER): Status.SUBMITTED,
    (Action.DISPATCH, Status.SUBMITTED, Role.DISPATCHER): Status.DISPATCHED,
    (Action.REJECT, Status.SUBMITTED, Role.DISPATCHER): Status.REJECTED,
    (Action.MERGE, Status.SUBMITTED, Role.DISPATCHER): Status.MERGED,
    (Action.ACCEPT, Status.DISPATCHED, Role.DEPARTMENT): Status.ACCEPTED,
    (Action.RETURN, Status.DISPATCHED, Role.DEPARTMENT): Status.SUBMITTED,
    (Action.PROGRESS, Status.ACCEPTED, Role.DEPARTMENT): Status.IN_PROGRESS,
    (Action.PROGRESS, Status.IN_PROGRESS, Role.DEPARTMENT): Status.IN_PROGRESS,
    (Action.RESOLVE, Status.IN_PROGRESS, Role.DEPARTMENT): Status.RESOLVED,
    (Action.RESOLVE, Status.ACCEPTED, Role.DEPARTMENT): Status.RESOLVED,
    (Action.SUPERVISE, Status.RESOLVED, Role.DISPATCHER): Status.DISPATCHED,
    (Action.SUPERVISE, Status.ACCEPTED, Role.SYSTEM): Status.ACCEPTED,
    (Action.CLOSE, Status.RESOLVED, Role.SYSTEM): Status.CLOSED,
    (Action.SUPPORT, Status.DISPATCHED, Role.RESIDENT): Status.DISPATCHED,
}


@pytest.mark.parametrize(("step", "expected"), EXPECTED.items(), ids=lambda v: str(v))
def test_allowed_transitions(step: tuple[Action, Status | None, Role], expected: Status) -> None:
    assert lifecycle.next_status(*step) == expected


@pytest.mark.parametrize(
    ("action", "source", "role"),
    [
        (Action.RESOLVE, Status.DISPATCHED, Role.DEPARTMENT),  # never accepted
        (Action.ACCEPT, Status.DISPATCHED, Role.DISPATCHER),  # not the department's role
        (Action.DISPATCH, Status.SUBMITTED, Role.RESIDENT),
        (Action.CLOSE, Status.RESOLVED, Role.RESIDENT),
        (Action.SUPPORT, Status.CLOSED, Role.RESIDENT),
        (Action.REPORT, Status.SUBMITTED, Role.RESIDENT),
        (Action.DISPATCH, Status.REJECTED, Role.DISPATCHER),
    ],
)
def test_forbidden_transitions_say_why(action: Action, source: Status, role: Role) -> None:
    with pytest.raises(TransitionError) as refused:
        lifecycle.next_status(action, source, role)
    assert refused.value.message


def test_terminal_states_allow_nothing() -> None:
    for status in (Status.CLOSED, Status.REJECTED, Status.MERGED):
        for role in Role:
            assert lifecycle.allowed_actions(status, role) == []


def test_every_status_has_a_label() -> None:
    assert set(lifecycle.STATUS_LABELS) == set(Status)
    assert set(lifecycle.ACTION_LABELS) == set(Action)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(Role))), max_size=40))
def test_random_walks_stay_inside_the_table_and_replay(steps: list[tuple[Action, Role]]) -> None:
    status = lifecycle.next_status(Action.REPORT, None, Role.RESIDENT)
    log: list[tuple[Action, Role, Status, Status]] = []
    for action, role in steps:
        try:
            target = lifecycle.next_status(action, status, role)
        except TransitionError:
            continue
        assert (action, status) in {(t.action, t.source) for t in lifecycle.TRANSITIONS}
        log.append((action, role, status, target))
        status = target
    replayed = Status.SUBMITTED
    for action, role, source, target in log:
        assert source == replayed
        replayed = lifecycle.next_status(action, replayed, role)
        assert replayed == target
    assert replayed == status
