"""shared records of several instances

What the instances of one portal decide together through the database: when the background jobs
last ran (``job_run``, beside an advisory lock on PostgreSQL), a stamp bumped with every change of
the reference rows (``change_stamp``), and the texted codes already used (``used_code``, kept until
they expire), so that a code is good once on any instance.

Revision ID: 12eb5c8f4590
Revises: 9a3d51c7e2b8
Create Date: 2026-11-28 04:19:04.055448
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal.db


revision: str = "12eb5c8f4590"
down_revision: str | None = "9a3d51c7e2b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_stamp",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "job_run",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("started_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "used_code",
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("expires_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("used_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_code_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("used_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_code_expires_at"))
    op.drop_table("used_code")
    op.drop_table("job_run")
    op.drop_table("change_stamp")
