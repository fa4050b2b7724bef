"""follow-up, self-report links, tasks, the notification outbox and contact channels

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:03:37.532795
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cordon.store.triggers import install_change_triggers

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_channel",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_contact_channel")),
        sa.UniqueConstraint(
            "recipient",
            "channel",
            "address",
            name=op.f("uq_contact_channel_recipient_channel_address"),
        ),
    )
    with op.batch_alter_table("contact_channel", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_channel_recipient"), ["recipient"], unique=False
        )

    op.create_table(
        "followup_team",
        sa.Column("place_pk", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_pk"], ["place.pk"], name=op.f("fk_followup_team_place_pk_place")
        ),
        sa.PrimaryKeyConstraint("place_pk", name=op.f("pk_followup_team")),
    )
    with op.batch_alter_table("followup_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_team_team"), ["team"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=True),
        sa.Column("place_pk", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("relayed_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_outbox_person_pk_person")
        ),
        sa.ForeignKeyConstraint(["place_pk"], ["place.pk"], name=op.f("fk_outbox_place_pk_place")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_relayed_at"), ["relayed_at"], unique=False)

    op.create_table(
        "task",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=True),
        sa.Column("place_pk", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_task_person_pk_person")
        ),
        sa.ForeignKeyConstraint(["place_pk"], ["place.pk"], name=op.f("fk_task_place_pk_place")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_assignee"), ["assignee"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_person_pk"), ["person_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_status"), ["status"], unique=False)

    op.create_table(
        "followup",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("order_pk", sa.Integer(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("checker", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("batch_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_pk"], ["import_batch.pk"], name=op.f("fk_followup_batch_pk_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["containment_order.pk"],
            name=op.f("fk_followup_order_pk_containment_order"),
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_followup_person_pk_person")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_followup")),
        sa.UniqueConstraint("person_pk", "at", name=op.f("uq_followup_person_pk_at")),
    )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_day_person_pk"), ["day", "person_pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_followup_person_pk"), ["person_pk"], unique=False)

    op.create_table(
        "notification",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "outbox_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_pk"], ["outbox.pk"], name=op.f("fk_notification_outbox_pk_outbox")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_outbox_pk"), ["outbox_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_recipient"), ["recipient"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notification_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "report_link",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("place_pk", sa.Integer(), nullable=True),
        sa.Column("order_pk", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["containment_order.pk"],
            name=op.f("fk_report_link_order_pk_containment_order"),
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_report_link_person_pk_person")
        ),
        sa.ForeignKeyConstraint(
            ["place_pk"], ["place.pk"], name=op.f("fk_report_link_place_pk_place")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_report_link")),
        sa.UniqueConstraint("digest", name=op.f("uq_report_link_digest")),
    )
    with op.batch_alter_table("report_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_link_person_pk"), ["person_pk"], unique=False)

    install_change_triggers(op.get_bind(), {"outbox": ("outbox",)})


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cordon_changed_outbox ON outbox")
    else:
        op.execute("DROP TRIGGER IF EXISTS cordon_changed_outbox_insert")
        op.execute("DROP TRIGGER IF EXISTS cordon_changed_outbox_update")
        op.execute("DROP TRIGGER IF EXISTS cordon_changed_outbox_delete")
    op.execute("DELETE FROM change_version WHERE topic = 'outbox'")
    with op.batch_alter_table("report_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_link_person_pk"))

    op.drop_table("report_link")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_notification_recipient"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_pk"))

    op.drop_table("notification")
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_person_pk"))
        batch_op.drop_index(batch_op.f("ix_followup_day_person_pk"))

    op.drop_table("followup")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_status"))
        batch_op.drop_index(batch_op.f("ix_task_person_pk"))
        batch_op.drop_index(batch_op.f("ix_task_kind"))
        batch_op.drop_index(batch_op.f("ix_task_due_at"))
        batch_op.drop_index(batch_op.f("ix_task_assignee"))

    op.drop_table("task")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_relayed_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("followup_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_team_team"))

    op.drop_table("followup_team")
    with op.batch_alter_table("contact_channel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_channel_recipient"))

    op.drop_table("contact_channel")
