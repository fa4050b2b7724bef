"""The record store's tables as SQLAlchemy 2 mappings; migrations in ``migrations/`` build them.

Times are integer epoch seconds (UTC). People and places carry the facility's own ``id`` and an
integer ``pk`` that every other table refers to and that the engine uses as array index.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccessDecisionRow",
    "AlertRow",
    "AuditRow",
    "Base",
    "CaseRow",
    "ContactChannelRow",
    "EmergencyRow",
    "ExposureRow",
    "FollowUpRow",
    "FollowUpTeamRow",
    "GatheringParticipantRow",
    "GatheringRow",
    "ImportBatchRow",
    "LabResultRow",
    "NotificationRow",
    "OrderRow",
    "OutboxRow",
    "PassageRow",
    "PersonRow",
    "PlaceRow",
    "PresenceRow",
    "ProfileRow",
    "ReportLinkRow",
    "RuleFiringRow",
    "TaskRow",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit key that is still SQLite's rowid alias (so it autoincrements there)."""


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


class PlaceRow(Base):
    """A zone of the facility."""

    __tablename__ = "place"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int | None] = mapped_column(Integer)
    parent_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    exit: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonRow(Base):
    """Anyone aboard."""

    __tablename__ = "person"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    affiliation: Mapped[str | None] = mapped_column(String(200))
    home_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))


class ImportBatchRow(Base):
    """One import of one file: what, from where, by whom, and how many rows it added."""

    __tablename__ = "import_batch"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_added: Mapped[int] = mapped_column(Integer)
    rows_unchanged: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)


class PresenceRow(Base):
    """A person in a place over [start_time, end_time)."""

    __tablename__ = "presence"
    __table_args__ = (
        UniqueConstraint("person_pk", "place_pk", "start_time", "end_time"),
        Index(None, "place_pk", "start_time"),
    )
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"))
    place_pk: Mapped[int] = mapped_column(ForeignKey("place.pk"))
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int] = mapped_column(BigInteger)
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("import_batch.pk"))


class PassageRow(Base):
    """One crossing of a door or airlock."""

    __tablename__ = "passage"
    __table_args__ = (
        UniqueConstraint("person_pk", "place_pk", "at", "direction"),
        Index(None, "place_pk", "at"),
    )
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"))
    place_pk: Mapped[int] = mapped_column(ForeignKey("place.pk"))
    at: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))
    credential: Mapped[str] = mapped_column(String(16))
    companions: Mapped[list[str]] = mapped_column(JSON, default=list)
    camera: Mapped[str | None] = mapped_column(String(200))
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("import_batch.pk"))


class ExposureRow(Base):
    """A recorded or derived contact between persons ``a`` and ``b``."""

    __tablename__ = "exposure"
    __table_args__ = (
        Index(
            "uq_exposure_natural",
            "a_pk",
            "b_pk",
            func.coalesce(literal_column("place_pk"), 0),
            "start_time",
            "end_time",
            "route",
            "source",
            unique=True,
        ),
        Index(None, "b_pk", "start_time"),
    )
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    a_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"))
    b_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"))
    place_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[int] = mapped_column(BigInteger)
    route: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("import_batch.pk"))


class LabResultRow(Base):
    """One assay of one specimen."""

    __tablename__ = "lab_result"
    __table_args__ = (UniqueConstraint("person_pk", "collected_at", "assay"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"))
    collected_at: Mapped[int] = mapped_column(BigInteger)
    assay: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[float | None] = mapped_column(Float)
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("import_batch.pk"))


class ProfileRow(Base):
    """A pathogen profile with its containment rules; one is active."""

    __tablename__ = "pathogen_profile"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    transmission: Mapped[dict[str, Any]] = mapped_column(JSON)
    latent_s: Mapped[int] = mapped_column(BigInteger)
    infectious_s: Mapped[int] = mapped_column(BigInteger)
    serial_interval_mean_days: Mapped[float] = mapped_column(Float)
    serial_interval_sd_days: Mapped[float] = mapped_column(Float)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseRow(Base):
    """A person's case state on the clinical and containment axes."""

    __tablename__ = "case_state"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"), unique=True)
    clinical: Mapped[str | None] = mapped_column(String(16), index=True)
    containment: Mapped[str] = mapped_column(String(16), index=True)
    assigned_place_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    since: Mapped[int] = mapped_column(BigInteger)
    exposed_at: Mapped[int | None] = mapped_column(BigInteger)
    onset_at: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_at: Mapped[int | None] = mapped_column(BigInteger)


class OrderRow(Base):
    """An order with its issuer, reason, evidence, scope and lifecycle."""

    __tablename__ = "containment_order"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    person_pk: Mapped[int | None] = mapped_column(ForeignKey("person.pk"), index=True)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    start_time: Mapped[int] = mapped_column(BigInteger)
    expiry: Mapped[int | None] = mapped_column(BigInteger)
    issuer: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    supersedes_pk: Mapped[int | None] = mapped_column(ForeignKey("containment_order.pk"))
    created_at: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_reason: Mapped[str | None] = mapped_column(Text)


class GatheringRow(Base):
    """A scheduled gathering at a place."""

    __tablename__ = "gathering"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    place_pk: Mapped[int] = mapped_column(ForeignKey("place.pk"))
    start_time: Mapped[int] = mapped_column(BigInteger, index=True)
    end_time: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))


class GatheringParticipantRow(Base):
    """A person planned to take part in a gathering."""

    __tablename__ = "gathering_participant"
    gathering_pk: Mapped[int] = mapped_column(ForeignKey("gathering.pk"), primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"), primary_key=True)


class AlertRow(Base):
    """Something a person must act on now."""

    __tablename__ = "alert"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[int] = mapped_column(BigInteger, index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    person_pk: Mapped[int | None] = mapped_column(ForeignKey("person.pk"))
    place_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    acknowledged_at: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))


class AuditRow(Base):
    """One write to the store: who did what to which record, and the record before and after."""

    __tablename__ = "audit"
    __table_args__ = (Index(None, "entity", "entity_id"),)
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RuleFiringRow(Base):
    """Evidence a containment rule has already acted on (makes applying the rules idempotent)."""

    __tablename__ = "rule_firing"
    __table_args__ = (UniqueConstraint("rule", "evidence"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(String(64))
    at: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(Text)


class AccessDecisionRow(Base):
    """One answer given to a door or airlock: allow or deny, why, and any override or emergency."""

    __tablename__ = "access_decision"
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger, index=True)
    person: Mapped[str] = mapped_column(String(64), index=True)
    place: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    credential: Mapped[str] = mapped_column(String(16))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    order_pk: Mapped[int | None] = mapped_column(Integer)
    override_by: Mapped[str | None] = mapped_column(String(200))
    override_why: Mapped[str | None] = mapped_column(Text)
    emergency_pk: Mapped[int | None] = mapped_column(Integer)


class EmergencyRow(Base):
    """A declared life-safety emergency: exits fail open while it lasts."""

    __tablename__ = "emergency"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    places: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger)
    declared_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    ended_by: Mapped[str | None] = mapped_column(String(200))


class ExitPolicyRow(Base):
    """One version of an exit policy (``domain.exit_policy``): a new version supersedes the
    one in force; lifting ends it."""

    __tablename__ = "exit_policy"
    __table_args__ = (UniqueConstraint("name", "version"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_reason: Mapped[str | None] = mapped_column(Text)


class ManifestRow(Base):
    """A vessel's manifest: when it is expected (its people in ``manifest_entry``)."""

    __tablename__ = "manifest"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    vessel: Mapped[str] = mapped_column(String(200), unique=True)
    expected_at: Mapped[int] = mapped_column(BigInteger)


class ManifestEntryRow(Base):
    """One person on a manifest, with the role and affiliation the vessel declares."""

    __tablename__ = "manifest_entry"
    manifest_pk: Mapped[int] = mapped_column(ForeignKey("manifest.pk"), primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(32))
    affiliation: Mapped[str | None] = mapped_column(String(200))


class ChangeVersionRow(Base):
    """One topic of the change signal and its version, bumped by database triggers
    (``store.changes``)."""

    __tablename__ = "change_version"
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class JobRow(Base):
    """A background job (an import, a forecast): what, whose, how it ended. Its task waits in
    the queue; its progress while it runs is kept beside the queue (``runtime.jobs``)."""

    __tablename__ = "job"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    task: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The task's own fields, to run it again after a worker died under it."""
    key: Mapped[str | None] = mapped_column(String(200), index=True)
    """What the job computes, for jobs the service runs for itself (the overview forecast)."""
    phase: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)


class FollowUpRow(Base):
    """One daily check of a monitored person: who checked, how they were, what they felt."""

    __tablename__ = "followup"
    __table_args__ = (UniqueConstraint("person_pk", "at"), Index(None, "day", "person_pk"))
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"), index=True)
    order_pk: Mapped[int | None] = mapped_column(ForeignKey("containment_order.pk"))
    """The quarantine or isolation whose monitoring the check belongs to."""
    day: Mapped[str] = mapped_column(String(10))
    """The station date of the check (YYYY-MM-DD), the unit follow-up is due in."""
    at: Mapped[int] = mapped_column(BigInteger)
    checker: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    temperature: Mapped[float | None] = mapped_column(Float)
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("import_batch.pk"))


class FollowUpTeamRow(Base):
    """The follow-up team responsible for the people housed in a place (and the places in it)."""

    __tablename__ = "followup_team"
    place_pk: Mapped[int] = mapped_column(ForeignKey("place.pk"), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), index=True)


class ReportLinkRow(Base):
    """A personal self-report link: the SHA-256 of its token, whom it reports for, and until
    when. A link for quarters lets the person responsible report for everyone housed there."""

    __tablename__ = "report_link"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    person_pk: Mapped[int] = mapped_column(ForeignKey("person.pk"), index=True)
    place_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    order_pk: Mapped[int | None] = mapped_column(ForeignKey("containment_order.pk"))
    expires_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)


class TaskRow(Base):
    """Work for a team: take a sample, visit, bring back a missing person, deliver meals."""

    __tablename__ = "task"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    person_pk: Mapped[int | None] = mapped_column(ForeignKey("person.pk"), index=True)
    place_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    assignee: Mapped[str] = mapped_column(String(200), index=True)
    """``user:NAME``, ``role:ROLE`` or ``team:TEAM``."""
    due_at: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    """An event that people must be told of, written in the same transaction as the event; the
    worker relays it to its recipients' channels (``notification`` rows) and marks it relayed."""

    __tablename__ = "outbox"
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(32))
    person_pk: Mapped[int | None] = mapped_column(ForeignKey("person.pk"))
    place_pk: Mapped[int | None] = mapped_column(ForeignKey("place.pk"))
    ref: Mapped[str] = mapped_column(String(64))
    """The record behind the event: ``order:N``, ``alert:N``, ``task:N``."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    relayed_at: Mapped[float | None] = mapped_column(Float, index=True)


class NotificationRow(Base):
    """One message to one recipient on one channel, with its delivery state."""

    __tablename__ = "notification"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)
    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_pk: Mapped[int] = mapped_column(ForeignKey("outbox.pk"), index=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float)


class ContactChannelRow(Base):
    """How a recipient (``person:ID``, ``user:NAME``, ``role:ROLE``, ``team:TEAM``) is reached:
    e-mail, a signed webhook (with its HMAC secret), or the dashboard's feed."""

    __tablename__ = "contact_channel"
    __table_args__ = (UniqueConstraint("recipient", "channel", "address"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))
