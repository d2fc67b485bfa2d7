"""board counts and keyset indexes

The public board counted its matches over every ticket and paged with OFFSET: at a district's
year of tickets both cost a scan per request. ``board_count`` keeps the number of public, unmerged
tickets per category, street and status (filled here from the tickets, then kept by each flush),
and the board pages from a (created_at, id) position along an index per filter, which replace
the single-column indexes on status, street, category and created_at.

Revision ID: 9a3d51c7e2b8
Revises: 4f5f269c6542
Create Date: 2026-11-28 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a3d51c7e2b8"
down_revision: str | None = "4f5f269c6542"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_INDEXES = {
    "ix_ticket_board": ["created_at", "id"],
    "ix_ticket_board_status": ["status", "created_at", "id"],
    "ix_ticket_board_street": ["street_id", "created_at", "id"],
    "ix_ticket_board_category": ["category_id", "created_at", "id"],
    "ix_ticket_board_street_category": ["street_id", "category_id", "created_at", "id"],
}
SINGLE_INDEXES = {
    "ix_ticket_category_id": ["category_id"],
    "ix_ticket_created_at": ["created_at"],
    "ix_ticket_status": ["status"],
    "ix_ticket_street_id": ["street_id"],
}


def upgrade() -> None:
    op.create_table(
        "board_count",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category_id", "street_id", "status"),
    )
    op.execute(
        "INSERT INTO board_count (category_id, street_id, status, n) "
        "SELECT category_id, coalesce(street_id, 0), status, count(*) FROM ticket "
        "WHERE is_public AND status <> 'merged' GROUP BY category_id, coalesce(street_id, 0), status"
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name, columns in BOARD_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        for name in SINGLE_INDEXES:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name, columns in SINGLE_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        for name in BOARD_INDEXES:
            batch_op.drop_index(name)
    op.drop_table("board_count")
