"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_audit")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entity_entity_id"), ["entity", "entity_id"], unique=False
        )

    op.create_table(
        "import_batch",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_import_batch")),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batch_sha256"), ["sha256"], unique=False)

    op.create_table(
        "pathogen_profile",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("transmission", sa.JSON(), nullable=False),
        sa.Column("latent_s", sa.BigInteger(), nullable=False),
        sa.Column("infectious_s", sa.BigInteger(), nullable=False),
        sa.Column("serial_interval_mean_days", sa.Float(), nullable=False),
        sa.Column("serial_interval_sd_days", sa.Float(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_pathogen_profile")),
        sa.UniqueConstraint("name", name=op.f("uq_pathogen_profile_name")),
    )
    op.create_table(
        "place",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("parent_pk", sa.Integer(), nullable=True),
        sa.Column("exit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_pk"], ["place.pk"], name=op.f("fk_place_parent_pk_place")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_place")),
        sa.UniqueConstraint("id", name=op.f("uq_place_id")),
    )
    op.create_table(
        "gathering",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("place_pk", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_pk"], ["place.pk"], name=op.f("fk_gathering_place_pk_place")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_gathering")),
        sa.UniqueConstraint("id", name=op.f("uq_gathering_id")),
    )
    with op.batch_alter_table("gathering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gathering_start_time"), ["start_time"], unique=False)

    op.create_table(
        "person",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("affiliation", sa.String(length=200), nullable=True),
        sa.Column("home_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["home_pk"], ["place.pk"], name=op.f("fk_person_home_pk_place")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_person")),
        sa.UniqueConstraint("id", name=op.f("uq_person_id")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_role"), ["role"], unique=False)

    op.create_table(
        "alert",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=True),
        sa.Column("place_pk", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_alert_person_pk_person")
        ),
        sa.ForeignKeyConstraint(["place_pk"], ["place.pk"], name=op.f("fk_alert_place_pk_place")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_alert")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_kind"), ["kind"], unique=False)

    op.create_table(
        "case_state",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("clinical", sa.String(length=16), nullable=True),
        sa.Column("containment", sa.String(length=16), nullable=False),
        sa.Column("assigned_place_pk", sa.Integer(), nullable=True),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("exposed_at", sa.BigInteger(), nullable=True),
        sa.Column("onset_at", sa.BigInteger(), nullable=True),
        sa.Column("confirmed_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_place_pk"], ["place.pk"], name=op.f("fk_case_state_assigned_place_pk_place")
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_case_state_person_pk_person")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_case_state")),
        sa.UniqueConstraint("person_pk", name=op.f("uq_case_state_person_pk")),
    )
    with op.batch_alter_table("case_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_state_clinical"), ["clinical"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_state_containment"), ["containment"], unique=False
        )

    op.create_table(
        "containment_order",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("supersedes_pk", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_containment_order_person_pk_person")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_pk"],
            ["containment_order.pk"],
            name=op.f("fk_containment_order_supersedes_pk_containment_order"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_containment_order")),
    )
    with op.batch_alter_table("containment_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_containment_order_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_containment_order_person_pk"), ["person_pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_containment_order_status"), ["status"], unique=False)

    op.create_table(
        "exposure",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("a_pk", sa.Integer(), nullable=False),
        sa.Column("b_pk", sa.Integer(), nullable=False),
        sa.Column("place_pk", sa.Integer(), nullable=True),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.BigInteger(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("batch_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["a_pk"], ["person.pk"], name=op.f("fk_exposure_a_pk_person")),
        sa.ForeignKeyConstraint(["b_pk"], ["person.pk"], name=op.f("fk_exposure_b_pk_person")),
        sa.ForeignKeyConstraint(
            ["batch_pk"], ["import_batch.pk"], name=op.f("fk_exposure_batch_pk_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["place_pk"], ["place.pk"], name=op.f("fk_exposure_place_pk_place")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_exposure")),
    )
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exposure_b_pk_start_time"), ["b_pk", "start_time"], unique=False
        )
    op.create_index(
        "uq_exposure_natural",
        "exposure",
        [
            "a_pk",
            "b_pk",
            sa.text("coalesce(place_pk, 0)"),
            "start_time",
            "end_time",
            "route",
            "source",
        ],
        unique=True,
    )

    op.create_table(
        "gathering_participant",
        sa.Column("gathering_pk", sa.Integer(), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gathering_pk"],
            ["gathering.pk"],
            name=op.f("fk_gathering_participant_gathering_pk_gathering"),
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_gathering_participant_person_pk_person")
        ),
        sa.PrimaryKeyConstraint("gathering_pk", "person_pk", name=op.f("pk_gathering_participant")),
    )
    op.create_table(
        "lab_result",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("collected_at", sa.BigInteger(), nullable=False),
        sa.Column("assay", sa.String(length=100), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("batch_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_pk"], ["import_batch.pk"], name=op.f("fk_lab_result_batch_pk_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_lab_result_person_pk_person")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_lab_result")),
        sa.UniqueConstraint(
            "person_pk",
            "collected_at",
            "assay",
            name=op.f("uq_lab_result_person_pk_collected_at_assay"),
        ),
    )
    op.create_table(
        "passage",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("place_pk", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("credential", sa.String(length=16), nullable=False),
        sa.Column("companions", sa.JSON(), nullable=False),
        sa.Column("camera", sa.String(length=200), nullable=True),
        sa.Column("batch_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_pk"], ["import_batch.pk"], name=op.f("fk_passage_batch_pk_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_passage_person_pk_person")
        ),
        sa.ForeignKeyConstraint(["place_pk"], ["place.pk"], name=op.f("fk_passage_place_pk_place")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_passage")),
        sa.UniqueConstraint(
            "person_pk",
            "place_pk",
            "at",
            "direction",
            name=op.f("uq_passage_person_pk_place_pk_at_direction"),
        ),
    )
    with op.batch_alter_table("passage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_passage_place_pk_at"), ["place_pk", "at"], unique=False
        )

    op.create_table(
        "presence",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("place_pk", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=False),
        sa.Column("batch_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_pk"], ["import_batch.pk"], name=op.f("fk_presence_batch_pk_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["person_pk"], ["person.pk"], name=op.f("fk_presence_person_pk_person")
        ),
        sa.ForeignKeyConstraint(
            ["place_pk"], ["place.pk"], name=op.f("fk_presence_place_pk_place")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_presence")),
        sa.UniqueConstraint(
            "person_pk",
            "place_pk",
            "start_time",
            "end_time",
            name=op.f("uq_presence_person_pk_place_pk_start_time_end_time"),
        ),
    )
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_presence_place_pk_start_time"), ["place_pk", "start_time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presence_place_pk_start_time"))

    op.drop_table("presence")
    with op.batch_alter_table("passage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passage_place_pk_at"))

    op.drop_table("passage")
    op.drop_table("lab_result")
    op.drop_table("gathering_participant")
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposure_b_pk_start_time"))
    op.drop_index("uq_exposure_natural", table_name="exposure")

    op.drop_table("exposure")
    with op.batch_alter_table("containment_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_containment_order_status"))
        batch_op.drop_index(batch_op.f("ix_containment_order_person_pk"))
        batch_op.drop_index(batch_op.f("ix_containment_order_kind"))

    op.drop_table("containment_order")
    with op.batch_alter_table("case_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_state_containment"))
        batch_op.drop_index(batch_op.f("ix_case_state_clinical"))

    op.drop_table("case_state")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_kind"))
        batch_op.drop_index(batch_op.f("ix_alert_at"))

    op.drop_table("alert")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_role"))

    op.drop_table("person")
    with op.batch_alter_table("gathering", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gathering_start_time"))

    op.drop_table("gathering")
    op.drop_table("place")
    op.drop_table("pathogen_profile")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batch_sha256"))

    op.drop_table("import_batch")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entity_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_at"))

    op.drop_table("audit")
