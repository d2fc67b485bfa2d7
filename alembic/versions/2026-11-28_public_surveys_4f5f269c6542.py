"""public surveys

Surveys with their versions (questions as JSON), responses keyed by a hash of the respondent
(browser or confirmed phone, unique per survey), answers as rows to count in the database, and the
drafts of half-answered surveys.

Revision ID: 4f5f269c6542
Revises: ab1df945fc5d
Create Date: 2026-11-28 01:00:06.334082
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import portal.db


revision: str = "4f5f269c6542"
down_revision: str | None = "ab1df945fc5d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title_zh_hans", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("title_zh_hant", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("title_en", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("intro_zh_hans", sa.Text(), server_default="", nullable=False),
        sa.Column("intro_zh_hant", sa.Text(), server_default="", nullable=False),
        sa.Column("intro_en", sa.Text(), server_default="", nullable=False),
        sa.Column("thanks_zh_hans", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("thanks_zh_hant", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("thanks_en", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("opens_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("results_public", sa.Boolean(), nullable=False),
        sa.Column("min_responses", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["staff_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_opens_at"), ["opens_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_project_id"), ["project_id"], unique=False)

    op.create_table(
        "survey_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("browser", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("respondent", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("answers", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "browser"),
    )
    with op.batch_alter_table("survey_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_draft_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_draft_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "survey_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "number"),
    )
    with op.batch_alter_table("survey_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_version_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("respondent", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["survey_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "respondent"),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_response_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_response_version_id"), ["version_id"], unique=False)

    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("row", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("option", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index("ix_survey_answer_question", ["survey_id", "question", "option"], unique=False)
        batch_op.create_index("ix_survey_answer_response", ["response_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answer_response")
        batch_op.drop_index("ix_survey_answer_question")

    op.drop_table("survey_answer")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_response_version_id"))
        batch_op.drop_index(batch_op.f("ix_survey_response_survey_id"))

    op.drop_table("survey_response")
    with op.batch_alter_table("survey_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_version_survey_id"))

    op.drop_table("survey_version")
    with op.batch_alter_table("survey_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_draft_updated_at"))
        batch_op.drop_index(batch_op.f("ix_survey_draft_survey_id"))

    op.drop_table("survey_draft")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_project_id"))
        batch_op.drop_index(batch_op.f("ix_survey_opens_at"))

    op.drop_table("survey")
