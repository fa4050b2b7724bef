"""runtime: the change signal (versions bumped by triggers) and background jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cordon.store.triggers import drop_change_triggers, install_change_triggers

TOPICS = {
    "directory": ("person", "place"),
    "holds": ("containment_order", "case_state", "emergency", "gathering", "gathering_participant"),
    "tokens": ("app_user", "api_token"),
    "evidence": ("exposure", "lab_result", "pathogen_profile"),
}
"""The topics of this revision's schema (later revisions watch more tables)."""

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_version",
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_change_version")),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("task", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("phase", sa.String(length=200), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_status"), ["status"], unique=False)
    install_change_triggers(op.get_bind(), TOPICS)


def downgrade() -> None:
    drop_change_triggers(op.get_bind(), TOPICS)
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_status"))
        batch_op.drop_index(batch_op.f("ix_job_owner"))
        batch_op.drop_index(batch_op.f("ix_job_key"))
    op.drop_table("job")
    op.drop_table("change_version")
