"""Tickets, their append-only events, photos and the residents who follow them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.db import UTCDateTime, utcnow


class Ticket(SQLModel, table=True):
    # The board lists the newest first, filtered by street, category or status, one page after
    # another from a (created_at, id) position: each filter has an index in that order.
    __table_args__ = (
        Index("ix_ticket_board", "created_at", "id"),
        Index("ix_ticket_board_status", "status", "created_at", "id"),
        Index("ix_ticket_board_street", "street_id", "created_at", "id"),
        Index("ix_ticket_board_category", "category_id", "created_at", "id"),
        Index("ix_ticket_board_street_category", "street_id", "category_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, unique=True)
    # The one-time key of the form that created it: a retried submission finds this row.
    submission_key: str = Field(max_length=64, unique=True)
    category_id: int = Field(foreign_key="category.id")
    status: str = Field(max_length=20)
    description: str = Field(max_length=2000)
    is_public: bool = True
    street_id: int | None = Field(default=None, foreign_key="street.id")
    community_id: int | None = Field(default=None, foreign_key="community.id")
    grid_id: int | None = Field(default=None, foreign_key="grid_cell.id", index=True)
    lat: float | None = None
    lng: float | None = None
    address: str = Field(default="", max_length=200)
    reporter_name: str = Field(default="", max_length=40)
    reporter_phone: str = Field(default="", max_length=20)
    reporter_role: str = Field(default="resident", max_length=20)
    locale: str = Field(default="zh_Hans", max_length=10)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    supporters: int = 0
    priority: int = 0  # 0 normal, 1 urgent
    # A supervision order on a resolved ticket starts a new round of handling and rating.
    round: int = 1
    # Bumped on every change; cached public renderings are keyed by it.
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    response_due: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    resolution_due: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class TicketEvent(SQLModel, table=True):
    """One change to a ticket. Rows are only ever inserted; the public timeline is built from them."""

    __tablename__ = "ticket_event"
    __table_args__ = (UniqueConstraint("ticket_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    seq: int
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_role: str = Field(max_length=20)
    actor_id: int | None = None
    department_id: int | None = Field(default=None, foreign_key="department.id")
    public_note: str = Field(default="", max_length=2000)
    internal_note: str = Field(default="", max_length=2000)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # The deadline an accept or a resolve was measured against, as it stood at that moment.
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Photo(SQLModel, table=True):
    __table_args__ = (Index("ix_photo_ticket", "ticket_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    event_id: int | None = Field(default=None, foreign_key="ticket_event.id")
    position: int = 0
    digest: str = Field(max_length=64)
    width: int
    height: int
    kind: str = Field(default="report", max_length=20)  # report, progress, after
    approved: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Follower(SQLModel, table=True):
    """A resident who follows a ticket: its reporter, a supporter ("me too") or a merged reporter."""

    __table_args__ = (UniqueConstraint("ticket_id", "phone"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    phone: str = Field(max_length=20)
    kind: str = Field(default="supporter", max_length=20)
    locale: str = Field(default="zh_Hans", max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class UsedCode(SQLModel, table=True):
    """A texted code that was accepted once: no instance accepts it again. Kept until the code
    would have expired anyway; the jobs remove it after that."""

    __tablename__ = "used_code"

    nonce: str = Field(primary_key=True, max_length=32)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


# The board's counters follow every flush of a ticket wherever tickets are written.
from portal.tickets import counts as _counts  # noqa: E402, F401
