"""stat facts

One row per countable fact of a ticket (an order, a resolution, a rated round, a rating, a
supervision order, a step), derived by the formulas of portal.stats.figures and kept current in the
same transaction as every change: /stats counts them with grouped reads. The counts of closed months
are kept (stat_month) while their stamp (stat_month_stamp) holds.

The rows of an existing database are built by ``portal db upgrade`` once the migrations have run
(``portal.stats.facts_table.ensure_facts``), not here: the rows come from the formulas of the code
that reads them, and a migration must not run code that later versions change.

Revision ID: a228c5e6b703
Revises: 12eb5c8f4590
Create Date: 2026-11-28 04:18:45.238460
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal.db


revision: str = "a228c5e6b703"
down_revision: str | None = "12eb5c8f4590"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stat_fact",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("good", sa.Boolean(), nullable=False),
        sa.Column("micros", sa.BigInteger(), nullable=True),
        sa.Column("unsolved_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "seq"),
    )
    with op.batch_alter_table("stat_fact", schema=None) as batch_op:
        batch_op.create_index("ix_stat_fact_kind_at", ["kind", "at"], unique=False)
    op.create_table(
        "stat_month_stamp",
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "stat_month",
        sa.Column("grouping", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tallies", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("grouping", "month"),
    )


def downgrade() -> None:
    op.drop_table("stat_month")
    op.drop_table("stat_month_stamp")
    with op.batch_alter_table("stat_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_stat_fact_kind_at")
    op.drop_table("stat_fact")
