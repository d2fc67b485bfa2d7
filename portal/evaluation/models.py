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
POOR_LEVEL = 2  # 不满意 or worse opens a supervision order


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
}


class Evaluation(SQLModel, table=True):
    """自评 by the handling department, 互评 by the command centre: one of each per round."""

    __table_args__ = (UniqueConstraint("ticket_id", "round", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    round: int = 1
    kind: str = Field(max_length=10)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    level: int
    reason: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
