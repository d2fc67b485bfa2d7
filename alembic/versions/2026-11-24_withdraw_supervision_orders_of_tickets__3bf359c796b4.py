"""withdraw supervision orders of tickets that left their department

Returning, rejecting or merging a ticket now withdraws its open supervision orders. Orders left
open by those steps before this revision are withdrawn here, so that they stop showing as open
and overdue, and stop counting as open in the public figures.

Revision ID: 3bf359c796b4
Revises: 5205791d7c26
Create Date: 2026-11-24 12:52:12.875567
"""

from collections.abc import Sequence

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = "3bf359c796b4"
down_revision: str | None = "5205791d7c26"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    order = sa.table(
        "supervision_order",
        sa.column("status", sa.String()),
        sa.column("fulfilled_at", portal.db.UTCDateTime()),
        sa.column("ticket_id", sa.Integer()),
        sa.column("department_id", sa.Integer()),
    )
    ticket = sa.table(
        "ticket",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("department_id", sa.Integer()),
    )
    left = sa.select(ticket.c.id).where(
        ticket.c.id == order.c.ticket_id,
        sa.or_(
            ticket.c.status.in_(["rejected", "merged"]),
            ticket.c.department_id.is_(None),
            ticket.c.department_id != order.c.department_id,
        ),
    )
    op.execute(
        order.update()
        .where(order.c.status == "open", sa.exists(left))
        .values(status="withdrawn", fulfilled_at=datetime.now(UTC))
    )


def downgrade() -> None:
    pass  # which orders were withdrawn here is not recorded: they stay withdrawn
