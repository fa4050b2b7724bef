"""Paged, filtered reads for the service's lists (alerts, exposures, results, orders, audit,
daily counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import Clinical, Containment
from cordon.domain.orders import Order, OrderKind, OrderStatus
from cordon.store.models import (
    AlertRow,
    AuditRow,
    CaseRow,
    ExposureRow,
    LabResultRow,
    OrderRow,
    PersonRow,
    PlaceRow,
)
from cordon.store.orders import _order

__all__ = [
    "AlertView",
    "ExposureRecord",
    "LabRecord",
    "alerts_by_id",
    "audit_count",
    "case_count",
    "daily_counts",
    "exposure_page",
    "lab_daily",
    "lab_page",
    "list_alerts",
    "order_page",
]


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@dataclass(frozen=True, slots=True)
class AlertView:
    """A stored alert with its id and acknowledgement."""

    id: int
    alert: Alert
    acknowledged_at: int | None
    acknowledged_by: str | None


def list_alerts(
    session: Session,
    *,
    kind: AlertKind | None = None,
    severity: Severity | None = None,
    since: int | None = None,
    after_id: int | None = None,
    open_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = True,
    by_time: bool = True,
    person_id: str | None = None,
    ids: Sequence[int] | None = None,
) -> tuple[list[AlertView], int]:
    """Alerts by the time of what they report (``by_time``; else in the order they were raised),
    newest first unless asked, filtered by kind, severity, time, id, person or whether still
    open, and how many match in all."""
    person, place = aliased(PersonRow), aliased(PlaceRow)
    query = (
        select(AlertRow, person.id, place.id)
        .outerjoin(person, AlertRow.person_pk == person.pk)
        .outerjoin(place, AlertRow.place_pk == place.pk)
    )
    if kind is not None:
        query = query.where(AlertRow.kind == kind.value)
    if severity is not None:
        query = query.where(AlertRow.severity == severity.value)
    if since is not None:
        query = query.where(AlertRow.at >= since)
    if after_id is not None:
        query = query.where(AlertRow.pk > after_id)
    if open_only:
        query = query.where(AlertRow.acknowledged_at.is_(None))
    if person_id is not None:
        query = query.where(person.id == person_id)
    if ids is not None:
        query = query.where(AlertRow.pk.in_(list(ids)))
    total = _count(session, query)
    keys = [AlertRow.at, AlertRow.pk] if by_time else [AlertRow.pk]
    order = [k.desc() for k in keys] if newest_first else keys
    rows = session.execute(query.order_by(*order).offset(offset).limit(limit))
    views = [
        AlertView(
            row.pk,
            Alert(
                kind=AlertKind(row.kind),
                at=row.at,
                message=row.message,
                severity=Severity(row.severity),
                person=person_id,
                place=place_id,
                evidence=tuple(row.evidence or ()),
            ),
            row.acknowledged_at,
            row.acknowledged_by,
        )
        for row, person_id, place_id in rows
    ]
    return views, total


@dataclass(frozen=True, slots=True)
class ExposureRecord:
    """One stored exposure between persons ``a`` and ``b``."""

    id: int
    a: str
    b: str
    place: str | None
    start: int
    end: int
    duration_s: int
    route: str
    source: str


def exposure_page(
    session: Session,
    *,
    person_pk: int | None = None,
    place_pk: int | None = None,
    route: str | None = None,
    source: str | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ExposureRecord], int]:
    """Exposures in time order, filtered, and how many match in all."""
    a, b = aliased(PersonRow), aliased(PersonRow)
    query = (
        select(ExposureRow, a.id, b.id, PlaceRow.id)
        .join(a, ExposureRow.a_pk == a.pk)
        .join(b, ExposureRow.b_pk == b.pk)
        .outerjoin(PlaceRow, ExposureRow.place_pk == PlaceRow.pk)
    )
    if person_pk is not None:
        query = query.where(or_(ExposureRow.a_pk == person_pk, ExposureRow.b_pk == person_pk))
    if place_pk is not None:
        query = query.where(ExposureRow.place_pk == place_pk)
    if route is not None:
        query = query.where(ExposureRow.route == route)
    if source is not None:
        query = query.where(ExposureRow.source == source)
    if since is not None:
        query = query.where(ExposureRow.end_time > since)
    if until is not None:
        query = query.where(ExposureRow.start_time < until)
    total = _count(session, query)
    rows = session.execute(
        query.order_by(ExposureRow.start_time, ExposureRow.pk).offset(offset).limit(limit)
    ).all()
    items = [
        ExposureRecord(
            r.pk, a_id, b_id, place, r.start_time, r.end_time, r.duration_s, r.route, r.source
        )
        for r, a_id, b_id, place in rows
    ]
    return items, total


@dataclass(frozen=True, slots=True)
class LabRecord:
    """One stored lab result."""

    id: int
    person: str
    collected_at: int
    assay: str
    result: str
    quantity: float | None


def lab_page(
    session: Session,
    *,
    person_pk: int | None = None,
    result: str | None = None,
    assay: str | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[LabRecord], int]:
    """Lab results by collection time, filtered, and how many match in all."""
    query = select(LabResultRow, PersonRow.id).join(
        PersonRow, LabResultRow.person_pk == PersonRow.pk
    )
    if person_pk is not None:
        query = query.where(LabResultRow.person_pk == person_pk)
    if result is not None:
        query = query.where(LabResultRow.result == result)
    if assay is not None:
        query = query.where(LabResultRow.assay == assay)
    if since is not None:
        query = query.where(LabResultRow.collected_at >= since)
    if until is not None:
        query = query.where(LabResultRow.collected_at < until)
    total = _count(session, query)
    rows = session.execute(
        query.order_by(LabResultRow.collected_at, LabResultRow.pk).offset(offset).limit(limit)
    ).all()
    items = [
        LabRecord(r.pk, person, r.collected_at, r.assay, r.result, r.quantity) for r, person in rows
    ]
    return items, total


def order_page(
    session: Session,
    *,
    person_pk: int | None = None,
    kinds: Sequence[OrderKind] = (),
    status: OrderStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Order], int]:
    """Orders, newest first, filtered (any of ``kinds`` when given), and how many match."""
    query = select(OrderRow, PersonRow.id).outerjoin(PersonRow, OrderRow.person_pk == PersonRow.pk)
    if person_pk is not None:
        query = query.where(OrderRow.person_pk == person_pk)
    if kinds:
        query = query.where(OrderRow.kind.in_([k.value for k in kinds]))
    if status is not None:
        query = query.where(OrderRow.status == status.value)
    total = _count(session, query)
    rows = session.execute(
        query.order_by(OrderRow.start_time.desc(), OrderRow.pk.desc()).offset(offset).limit(limit)
    ).all()
    return [_order(row, person) for row, person in rows], total


def audit_count(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: float | None = None,
) -> int:
    """How many audit rows match the filters of ``audit.list_entries``."""
    query = select(AuditRow.pk)
    if entity:
        query = query.where(AuditRow.entity == entity)
    if entity_id:
        query = query.where(AuditRow.entity_id == entity_id)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    return _count(session, query)


def case_count(
    session: Session,
    *,
    clinical: Clinical | None = None,
    containment: Containment | None = None,
    containments: Sequence[Containment] = (),
) -> int:
    """How many cases are in a state (any state when no filter)."""
    query = select(CaseRow.pk)
    if clinical is not None:
        query = query.where(CaseRow.clinical == clinical.value)
    if containment is not None:
        query = query.where(CaseRow.containment == containment.value)
    if containments:
        query = query.where(CaseRow.containment.in_([k.value for k in containments]))
    return _count(session, query)


def daily_counts(session: Session, column: str, *, day: int = 86400) -> dict[int, int]:
    """How many cases reached a dated state (``exposed_at``, ``onset_at``, ``confirmed_at``) on
    each day, keyed by the day's start in epoch seconds (UTC days)."""
    col = getattr(CaseRow, column)
    rows = session.execute(select(col).where(col.is_not(None))).scalars()
    out: dict[int, int] = {}
    for at in rows:
        key = int(at) // day * day
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def lab_daily(session: Session, *, result: str = "positive", day: int = 86400) -> dict[int, int]:
    """How many distinct persons had a first ``result`` specimen on each day."""
    first = (
        select(func.min(LabResultRow.collected_at))
        .where(LabResultRow.result == result)
        .group_by(LabResultRow.person_pk)
    )
    out: dict[int, int] = {}
    for at in session.execute(first).scalars():
        key = int(at) // day * day
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def alerts_by_id(session: Session, ids: Sequence[int]) -> list[AlertView]:
    """The alerts with these ids (unknown ids left out)."""
    return list_alerts(session, ids=ids)[0] if ids else []
