"""Containment records: order lifecycle, rule firings, alerts, emergencies and access decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, exists, insert, literal, select
from sqlalchemy.orm import Session, aliased

from cordon.domain.alerts import Alert
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope, change_status
from cordon.domain.records import Exposure, ExposureSource, LabOutcome, LabResult, Route
from cordon.errors import NotFound
from cordon.store import audit, outbox
from cordon.store.models import (
    AccessDecisionRow,
    AlertRow,
    EmergencyRow,
    ExposureRow,
    GatheringRow,
    LabResultRow,
    OrderRow,
    PersonRow,
    PlaceRow,
    RuleFiringRow,
)
from cordon.store.orders import order_record

__all__ = [
    "Emergency",
    "OrderView",
    "acknowledge_alert",
    "add_alert",
    "add_alerts",
    "add_decisions",
    "add_emergency",
    "add_firing",
    "close_order",
    "end_emergency",
    "expire_due",
    "get_order",
    "list_emergencies",
    "order_views",
    "pending_exposures",
    "pending_results",
    "person_results",
    "set_gathering_status",
]


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with when and by whom it was closed (lifted, expired, superseded)."""

    order: Order
    created_at: int
    closed_at: int | None
    closed_by: str | None
    close_reason: str | None

    @property
    def effective_end(self) -> int | None:
        """When the order stopped binding: its closing time if closed early, else its expiry."""
        if self.order.status is OrderStatus.ACTIVE:
            return self.order.expiry
        if self.order.status is OrderStatus.EXPIRED:
            return self.order.expiry if self.order.expiry is not None else self.closed_at
        ends = [t for t in (self.closed_at, self.order.expiry) if t is not None]
        return min(ends) if ends else None


def _order(row: OrderRow, person: str | None) -> Order:
    return Order(
        id=row.pk,
        kind=OrderKind(row.kind),
        person=person,
        start=row.start_time,
        expiry=row.expiry,
        issuer=row.issuer,
        reason=row.reason,
        scope=Scope.from_json(row.scope),
        evidence=tuple(row.evidence or ()),
        status=OrderStatus(row.status),
        supersedes=row.supersedes_pk,
    )


def order_views(
    session: Session,
    *,
    kinds: Sequence[OrderKind] = (),
    status: OrderStatus | None = None,
    person_pk: int | None = None,
) -> list[OrderView]:
    """Orders with their closing details, in start order."""
    query = select(OrderRow, PersonRow.id).outerjoin(PersonRow, OrderRow.person_pk == PersonRow.pk)
    if kinds:
        query = query.where(OrderRow.kind.in_([k.value for k in kinds]))
    if status is not None:
        query = query.where(OrderRow.status == status.value)
    if person_pk is not None:
        query = query.where(OrderRow.person_pk == person_pk)
    rows = session.execute(query.order_by(OrderRow.start_time, OrderRow.pk)).all()
    return [
        OrderView(_order(r, p), r.created_at, r.closed_at, r.closed_by, r.close_reason)
        for r, p in rows
    ]


def get_order(session: Session, order_id: int) -> Order:
    """One order by id, or NotFound."""
    found = session.execute(
        select(OrderRow, PersonRow.id)
        .outerjoin(PersonRow, OrderRow.person_pk == PersonRow.pk)
        .where(OrderRow.pk == order_id)
    ).first()
    if found is None:
        raise NotFound(f"no order {order_id} (see `cordon order list`)")
    return _order(found[0], found[1])


def close_order(
    session: Session, order_id: int, status: OrderStatus, *, at: int, actor: str, reason: str
) -> Order:
    """Move an active order to lifted, expired or superseded (the domain checks the move)."""
    before = get_order(session, order_id)
    after = change_status(before, status)
    row = session.get(OrderRow, order_id)
    assert row is not None
    row.status, row.closed_at, row.closed_by, row.close_reason = status.value, at, actor, reason
    audit.record(
        session,
        actor=actor,
        action=status.value,
        entity="order",
        entity_id=order_id,
        before=order_record(before),
        after={**order_record(after), "closed_at": at, "close_reason": reason},
    )
    payload = {**order_record(after), "closed_at": at, "close_reason": reason, "closed_by": actor}
    outbox.add_events(
        session, [outbox.Event("order_closed", f"order:{order_id}", row.person_pk, None, payload)]
    )
    return after


def add_firing(session: Session, rule: str, evidence: str, *, at: int, outcome: str) -> None:
    """Remember that ``rule`` has acted on ``evidence`` (so applying the rules again is a no-op)."""
    session.add(RuleFiringRow(rule=rule, evidence=evidence, at=at, outcome=outcome))


def _unfired(rule: str, prefix: str, pk: Any) -> Any:
    key = literal(prefix) + cast(pk, String)
    return ~exists().where(RuleFiringRow.rule == rule, RuleFiringRow.evidence == key)


def pending_exposures(
    session: Session, *, rule: str, routes: Iterable[Route], until: int, min_s: int = 0
) -> list[tuple[str, Exposure]]:
    """Exposures on ``routes`` ended by ``until`` that ``rule`` has not acted on, in time order,
    each with its evidence key ``exposure:<pk>``."""
    a, b = aliased(PersonRow), aliased(PersonRow)
    query = (
        select(ExposureRow, a.id, b.id, PlaceRow.id)
        .join(a, ExposureRow.a_pk == a.pk)
        .join(b, ExposureRow.b_pk == b.pk)
        .outerjoin(PlaceRow, ExposureRow.place_pk == PlaceRow.pk)
        .where(ExposureRow.route.in_([r.value for r in routes]))
        .where(ExposureRow.end_time <= until, ExposureRow.duration_s >= min_s)
        .where(_unfired(rule, "exposure:", ExposureRow.pk))
        .order_by(ExposureRow.end_time, ExposureRow.pk)
    )
    return [
        (
            f"exposure:{row.pk}",
            Exposure(
                a=a_id,
                b=b_id,
                start=row.start_time,
                end=row.end_time,
                route=Route(row.route),
                source=ExposureSource(row.source),
                place=place,
                duration_s=row.duration_s,
            ),
        )
        for row, a_id, b_id, place in session.execute(query)
    ]


def _lab(row: LabResultRow, person: str) -> LabResult:
    return LabResult(
        person=person,
        collected_at=row.collected_at,
        assay=row.assay,
        result=LabOutcome(row.result),
        quantity=row.quantity,
    )


def pending_results(session: Session, *, rule: str, until: int) -> list[tuple[str, LabResult]]:
    """Lab results collected by ``until`` that ``rule`` has not acted on, in time order."""
    query = (
        select(LabResultRow, PersonRow.id)
        .join(PersonRow, LabResultRow.person_pk == PersonRow.pk)
        .where(LabResultRow.collected_at <= until)
        .where(_unfired(rule, "lab:", LabResultRow.pk))
        .order_by(LabResultRow.collected_at, LabResultRow.pk)
    )
    return [(f"lab:{row.pk}", _lab(row, person)) for row, person in session.execute(query)]


def person_results(session: Session, person_pk: int, person_id: str) -> list[LabResult]:
    """Every lab result of one person, in time order."""
    query = (
        select(LabResultRow)
        .where(LabResultRow.person_pk == person_pk)
        .order_by(LabResultRow.collected_at)
    )
    return [_lab(row, person_id) for row in session.scalars(query)]


def add_alert(
    session: Session, alert: Alert, *, person_pk: int | None, place_pk: int | None, actor: str
) -> int:
    """Store an alert and audit it; returns its id."""
    return add_alerts(session, [(alert, person_pk, place_pk)], actor=actor)[0]


def add_alerts(
    session: Session, alerts: Sequence[tuple[Alert, int | None, int | None]], *, actor: str
) -> list[int]:
    """Store alerts (each with its person and place keys) and audit them, in two statements
    whatever their number (the door writer's batches); returns their ids in order."""
    if not alerts:
        return []
    rows = [
        {
            "kind": a.kind.value,
            "at": a.at,
            "severity": a.severity.value,
            "message": a.message,
            "person_pk": person_pk,
            "place_pk": place_pk,
            "evidence": list(a.evidence),
        }
        for a, person_pk, place_pk in alerts
    ]
    session.flush()  # what the session holds goes first, in order
    query = insert(AlertRow).returning(AlertRow.pk, sort_by_parameter_order=True)
    pks = [int(pk) for pk in session.connection().execute(query, rows).scalars()]
    audit.record_many(
        session,
        actor=actor,
        rows=[
            {
                "action": "create",
                "entity": "alert",
                "entity_id": pk,
                "after": {"kind": a.kind.value, "person": a.person, "message": a.message},
            }
            for pk, (a, _person, _place) in zip(pks, alerts, strict=True)
        ],
    )
    outbox.add_events(
        session,
        [
            outbox.Event(
                "alert",
                f"alert:{pk}",
                person_pk,
                place_pk,
                {
                    "kind": a.kind.value,
                    "at": a.at,
                    "severity": a.severity.value,
                    "message": a.message,
                    "person": a.person,
                    "place": a.place,
                    "evidence": list(a.evidence),
                },
            )
            for pk, (a, person_pk, place_pk) in zip(pks, alerts, strict=True)
        ],
    )
    return pks


def acknowledge_alert(session: Session, alert_id: int, *, at: int, actor: str) -> None:
    """Mark an alert as seen and acted on; the first acknowledgement stands."""
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    if row.acknowledged_at is not None:
        return
    row.acknowledged_at, row.acknowledged_by = at, actor
    audit.record(
        session,
        actor=actor,
        action="acknowledge",
        entity="alert",
        entity_id=alert_id,
        after={"acknowledged_at": at},
    )


def set_gathering_status(
    session: Session, gathering_id: str, status: str, *, actor: str, reason: str
) -> bool:
    """Change a gathering's status (suspended, scheduled); returns whether it changed."""
    row = session.scalar(select(GatheringRow).where(GatheringRow.id == gathering_id))
    if row is None:
        raise NotFound(f"no gathering {gathering_id!r}")
    if row.status == status:
        return False
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="gathering",
        entity_id=gathering_id,
        before={"status": row.status},
        after={"status": status, "reason": reason},
    )
    row.status = status
    return True


@dataclass(frozen=True, slots=True)
class Emergency:
    """A declared life-safety emergency; no places means every exit."""

    id: int
    kind: str
    places: tuple[str, ...]
    start: int
    end: int | None
    declared_by: str
    reason: str

    def in_force(self, at: int) -> bool:
        """Whether exits fail open at ``at``."""
        return self.start <= at and (self.end is None or at < self.end)


def _emergency(row: EmergencyRow) -> Emergency:
    return Emergency(
        row.pk,
        row.kind,
        tuple(row.places or ()),
        row.start_time,
        row.end_time,
        row.declared_by,
        row.reason,
    )


def add_emergency(
    session: Session, *, kind: str, places: Sequence[str], start: int, actor: str, reason: str
) -> Emergency:
    """Record a declared emergency."""
    row = EmergencyRow(
        kind=kind,
        places=list(places),
        start_time=start,
        end_time=None,
        declared_by=actor,
        reason=reason,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="declare",
        entity="emergency",
        entity_id=row.pk,
        after={"kind": kind, "places": list(places), "start": start, "reason": reason},
    )
    return _emergency(row)


def end_emergency(session: Session, emergency_id: int, *, at: int, actor: str) -> Emergency:
    """Record the end of an emergency."""
    row = session.get(EmergencyRow, emergency_id)
    if row is None:
        raise NotFound(f"no emergency {emergency_id}")
    row.end_time, row.ended_by = at, actor
    audit.record(
        session, actor=actor, action="end", entity="emergency", entity_id=row.pk, after={"end": at}
    )
    return _emergency(row)


def list_emergencies(session: Session, *, open_only: bool = False) -> list[Emergency]:
    """Declared emergencies in start order."""
    query = select(EmergencyRow).order_by(EmergencyRow.start_time)
    if open_only:
        query = query.where(EmergencyRow.end_time.is_(None))
    return [_emergency(r) for r in session.scalars(query)]


def add_decisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append access decisions (the door log) in one statement (Core: no ORM bookkeeping on the
    door writer's path)."""
    if rows:
        session.connection().execute(insert(AccessDecisionRow), list(rows))


def expire_due(session: Session, *, now: int) -> list[int]:
    """Ids of active orders whose expiry has passed by ``now``."""
    query = select(OrderRow.pk).where(
        OrderRow.status == OrderStatus.ACTIVE.value,
        OrderRow.expiry.is_not(None),
        OrderRow.expiry <= now,
    )
    return list(session.scalars(query.order_by(OrderRow.expiry, OrderRow.pk)))
