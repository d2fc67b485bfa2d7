"""The ticket state machine: which action moves a ticket from which status, and who may take it.

No I/O here. Views and services ask this module; nothing else changes a ticket's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal.i18n import N_


class Status(StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"


class Action(StrEnum):
    REPORT = "report"
    DISPATCH = "dispatch"
    REJECT = "reject"
    MERGE = "merge"
    ACCEPT = "accept"
    RETURN = "return"
    PROGRESS = "progress"
    RESOLVE = "resolve"
    SUPERVISE = "supervise"
    CLOSE = "close"
    SUPPORT = "support"
    UPDATE = "update"  # staff edits that do not move the ticket: category, place, visibility, photos


class Role(StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    OPEN311 = "open311"
    DISPATCHER = "dispatcher"
    DEPARTMENT = "department"
    SYSTEM = "system"


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: N_("Submitted"),
    Status.DISPATCHED: N_("Sent to a department"),
    Status.ACCEPTED: N_("Accepted"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.RESOLVED: N_("Resolved"),
    Status.CLOSED: N_("Closed"),
    Status.REJECTED: N_("Not taken up"),
    Status.MERGED: N_("Merged with another report"),
}

ACTION_LABELS: dict[Action, str] = {
    Action.REPORT: N_("Reported"),
    Action.DISPATCH: N_("Sent to the department"),
    Action.REJECT: N_("Not taken up"),
    Action.MERGE: N_("Merged with another report"),
    Action.ACCEPT: N_("The department accepted the order"),
    Action.RETURN: N_("Returned to the command centre"),
    Action.PROGRESS: N_("Progress update"),
    Action.RESOLVE: N_("Resolved"),
    Action.SUPERVISE: N_("Supervision order issued"),
    Action.CLOSE: N_("Closed"),
    Action.SUPPORT: N_("Another resident reported the same problem"),
    Action.UPDATE: N_("Details updated by the command centre"),
}

OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS})
REPORTERS = frozenset({Role.RESIDENT, Role.VOLUNTEER, Role.GRID_WORKER, Role.OPEN311})


@dataclass(frozen=True)
class Transition:
    action: Action
    source: Status | None
    target: Status | None  # None: the action leaves the status unchanged
    roles: frozenset[Role]


def _t(
    action: Action, sources: tuple[Status | None, ...], target: Status | None, *roles: Role
) -> list[Transition]:
    return [Transition(action, source, target, frozenset(roles)) for source in sources]


S = Status
TRANSITIONS: tuple[Transition, ...] = tuple(
    _t(Action.REPORT, (None,), S.SUBMITTED, *REPORTERS)
    + _t(Action.DISPATCH, (S.SUBMITTED,), S.DISPATCHED, Role.DISPATCHER)
    + _t(Action.REJECT, (S.SUBMITTED,), S.REJECTED, Role.DISPATCHER)
    + _t(Action.MERGE, (S.SUBMITTED,), S.MERGED, Role.DISPATCHER)
    + _t(Action.ACCEPT, (S.DISPATCHED,), S.ACCEPTED, Role.DEPARTMENT)
    + _t(Action.RETURN, (S.DISPATCHED,), S.SUBMITTED, Role.DEPARTMENT)
    + _t(Action.PROGRESS, (S.ACCEPTED, S.IN_PROGRESS), S.IN_PROGRESS, Role.DEPARTMENT)
    + _t(Action.RESOLVE, (S.ACCEPTED, S.IN_PROGRESS), S.RESOLVED, Role.DEPARTMENT)
    + _t(Action.SUPERVISE, (S.RESOLVED,), S.DISPATCHED, Role.DISPATCHER, Role.SYSTEM)
    + _t(Action.SUPERVISE, (S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS), None, Role.DISPATCHER, Role.SYSTEM)
    + _t(Action.CLOSE, (S.RESOLVED,), S.CLOSED, Role.SYSTEM)
    + _t(Action.SUPPORT, tuple(OPEN_STATUSES), None, *REPORTERS)
    + _t(Action.UPDATE, (*OPEN_STATUSES, S.RESOLVED), None, Role.DISPATCHER)
)

_TABLE: dict[tuple[Action, Status | None], Transition] = {(t.action, t.source): t for t in TRANSITIONS}


class TransitionError(Exception):
    """The lifecycle forbids this action, from this status, for this role."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def transition(action: Action, source: Status | None, role: Role) -> Transition:
    """The allowed transition, or a TransitionError saying why not."""
    found = _TABLE.get((action, source))
    if found is None:
        raise TransitionError(N_("This step is not possible for a ticket in its current state."))
    if role not in found.roles:
        raise TransitionError(N_("You are not allowed to take this step."))
    return found


def next_status(action: Action, source: Status | None, role: Role) -> Status:
    """The status after the action (the same one when the action does not move the ticket)."""
    found = transition(action, source, role)
    if found.target is not None:
        return found.target
    assert source is not None
    return source


def allowed_actions(source: Status, role: Role) -> list[Action]:
    return [t.action for t in TRANSITIONS if t.source == source and role in t.roles]
