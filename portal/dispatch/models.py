"""Supervision orders (督办单): issued on a poor result or a missed deadline, tracked until fulfilled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime, utcnow
from portal.i18n import N_


class OrderKind(StrEnum):
    MANUAL = "manual"
    MISSED_RESPONSE = "missed_response"
    MISSED_RESOLUTION = "missed_resolution"
    POOR_RESULT = "poor_result"


ORDER_KIND_LABELS = {
    OrderKind.MANUAL: N_("Issued by the command centre"),
    OrderKind.MISSED_RESPONSE: N_("Not accepted in time"),
    OrderKind.MISSED_RESOLUTION: N_("Not resolved in time"),
    OrderKind.POOR_RESULT: N_("Poor result"),
}


class SupervisionOrder(SQLModel, table=True):
    __tablename__ = "supervision_order"
    # One automatic order per ticket, kind and missed deadline, however many sweeps run at once.
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    kind: str = Field(max_length=20)
    dedupe_key: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    round: int = 1
    status: str = Field(default="open", max_length=20, index=True)  # open, fulfilled, withdrawn
    deadline: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    issued_by: int | None = Field(default=None, foreign_key="staff_user.id")
    # When it stopped being open: fulfilled, or withdrawn because the ticket left the department.
    fulfilled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
