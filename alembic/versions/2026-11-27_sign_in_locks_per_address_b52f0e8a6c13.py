"""sign-in locks per account and address

Five failed sign-ins used to lock the whole account (failed_logins, locked_until), so anyone who
knew a user name could keep its owner out. Failures are now counted per account and address from
the audit log; an administrator's "Unlock" sets unlocked_at, before which failures do not count.

Revision ID: b52f0e8a6c13
Revises: 7c1e5a9d2b40
Create Date: 2026-11-27 21:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db


revision: str = "b52f0e8a6c13"
down_revision: str | None = "7c1e5a9d2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unlocked_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column("unlocked_at")
