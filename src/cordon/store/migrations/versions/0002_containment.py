"""containment: rule firings, access decisions, emergencies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_firing",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.String(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rule_firing")),
        sa.UniqueConstraint("rule", "evidence", name=op.f("uq_rule_firing_rule_evidence")),
    )
    op.create_table(
        "access_decision",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("credential", sa.String(length=16), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("order_pk", sa.Integer(), nullable=True),
        sa.Column("override_by", sa.String(length=200), nullable=True),
        sa.Column("override_why", sa.Text(), nullable=True),
        sa.Column("emergency_pk", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_access_decision")),
    )
    with op.batch_alter_table("access_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_decision_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_decision_person"), ["person"], unique=False)
    op.create_table(
        "emergency",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_emergency")),
    )


def downgrade() -> None:
    op.drop_table("emergency")
    with op.batch_alter_table("access_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_decision_person"))
        batch_op.drop_index(batch_op.f("ix_access_decision_at"))
    op.drop_table("access_decision")
    op.drop_table("rule_firing")
