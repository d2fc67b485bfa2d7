"""peer evaluations

Revision ID: 5205791d7c26
Revises: a59291642d48
Create Date: 2026-11-24 11:50:23.956550
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal.db


revision: str = "5205791d7c26"
down_revision: str | None = "a59291642d48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The unique constraints were created unnamed. PostgreSQL names them <table>_<columns>_key; this
# convention gives SQLite's reflected copy (batch mode rebuilds the table) the same name.
NAMING = {"uq": "%(table_name)s_%(column_0_N_name)s_key"}
OLD_KEY = "evaluation_ticket_id_round_kind_key"
NEW_KEY = "evaluation_ticket_id_round_kind_evaluator_key"


def upgrade() -> None:
    op.create_table(
        "peer_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["staff_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "round", "department_id"),
    )
    with op.batch_alter_table("peer_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_peer_request_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_peer_request_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evaluator", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""
            )
        )
    # Until now a round had one self-evaluation and one mutual evaluation (by the centre).
    op.execute("UPDATE evaluation SET evaluator = 'self' WHERE kind = 'self'")
    op.execute("UPDATE evaluation SET evaluator = 'centre' WHERE kind = 'mutual'")
    with op.batch_alter_table("evaluation", schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(OLD_KEY, type_="unique")
        batch_op.create_unique_constraint(NEW_KEY, ["ticket_id", "round", "kind", "evaluator"])


def downgrade() -> None:
    # Peer evaluations have no place in the older schema (one evaluation per kind and round).
    op.execute("DELETE FROM evaluation WHERE kind = 'peer'")
    with op.batch_alter_table("evaluation", schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(NEW_KEY, type_="unique")
        batch_op.drop_column("evaluator")
        batch_op.create_unique_constraint(OLD_KEY, ["ticket_id", "round", "kind"])

    with op.batch_alter_table("peer_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_request_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_peer_request_department_id"))

    op.drop_table("peer_request")
