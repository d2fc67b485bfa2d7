"""Residents' ratings of a resolved ticket, one per resident per round of handling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime, utcnow
from portal.i18n import N_

LEVELS = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Basically satisfied"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
SOLVED = {"yes": N_("Yes, it is solved"), "partly": N_("Partly"), "no": N_("No, it is not solved")}


class Rating(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("ticket_id", "round", "rater"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    round: int = 1
    rater: str = Field(max_length=20)  # the follower's phone: never shown
    level: int
    solved: str = Field(max_length=10)
    comment: str = Field(default="", max_length=500)
    comment_approved: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


EVALUATION_KINDS = {
    "self": N_("Self-evaluation by the department"),
    "mutual": N_("Evaluation by the command centre"),
    "peer": N_("Evaluation by a peer department"),
}


def evaluator_of(kind: str, department_id: int | None) -> str:
    """Who evaluates, as stored: one evaluation per evaluator and round."""
    return {"self": "self", "mutual": "centre"}.get(kind, f"dept:{department_id}")


class Evaluation(SQLModel, table=True):
    """自评 by the handling department and 互评 by the command centre, one of each per round; and
    any number of peer departments the centre asks, one evaluation each per round."""

    __table_args__ = (UniqueConstraint("ticket_id", "round", "kind", "evaluator"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    round: int = 1
    kind: str = Field(max_length=10)
    evaluator: str = Field(max_length=20)  # "self", "centre" or "dept:<id>" (a peer department)
    department_id: int | None = Field(default=None, foreign_key="department.id")  # the one evaluated
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    level: int
    reason: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def peer_department_id(self) -> int | None:
        prefix, _, number = self.evaluator.partition(":")
        return int(number) if prefix == "dept" and number.isdigit() else None


class PeerRequest(SQLModel, table=True):
    """The command centre asks another department to evaluate one round of a ticket."""

    __tablename__ = "peer_request"
    __table_args__ = (UniqueConstraint("ticket_id", "round", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    round: int
    department_id: int = Field(foreign_key="department.id", index=True)
    requested_by: int = Field(foreign_key="staff_user.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
