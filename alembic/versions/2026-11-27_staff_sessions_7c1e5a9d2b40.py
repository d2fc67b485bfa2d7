"""staff sessions kept on the server

A staff cookie now names a row of staff_session, so that signing out, a password change, a
switched-off account or an administrator's "sign out everywhere" end every copy of the cookie on
every instance. The per-user session_version it replaces is dropped; sessions signed with it end.

Revision ID: 7c1e5a9d2b40
Revises: 3bf359c796b4
Create Date: 2026-11-27 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal.db


revision: str = "7c1e5a9d2b40"
down_revision: str | None = "3bf359c796b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_session_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("session_version")


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_user_id"))
    op.drop_table("staff_session")
