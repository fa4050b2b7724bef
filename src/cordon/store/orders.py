"""Orders: writing them with their audit row, and reading them back as domain objects."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.store import audit, outbox
from cordon.store.models import OrderRow, PersonRow

__all__ = ["add_order", "list_orders", "order_record"]


def order_record(order: Order) -> dict[str, object]:
    """The order as a JSON-ready dict, for the audit log and the interfaces."""
    return {
        "id": order.id,
        "kind": order.kind.value,
        "person": order.person,
        "start": order.start,
        "expiry": order.expiry,
        "issuer": order.issuer,
        "reason": order.reason,
        "scope": order.scope.to_json(),
        "evidence": list(order.evidence),
        "status": order.status.value,
        "supersedes": order.supersedes,
    }


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


def add_order(session: Session, order: Order, *, person_pk: int | None, actor: str) -> Order:
    """Store a new order and audit it; returns it with its id."""
    row = OrderRow(
        kind=order.kind.value,
        person_pk=person_pk,
        scope=order.scope.to_json(),
        start_time=order.start,
        expiry=order.expiry,
        issuer=order.issuer,
        reason=order.reason,
        evidence=list(order.evidence),
        status=order.status.value,
        supersedes_pk=order.supersedes,
        created_at=int(time.time()),
    )
    session.add(row)
    session.flush()
    stored = _order(row, order.person)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="order",
        entity_id=row.pk,
        after=order_record(stored),
    )
    outbox.add_events(
        session,
        [outbox.Event("order_issued", f"order:{row.pk}", person_pk, None, order_record(stored))],
    )
    return stored


def list_orders(
    session: Session,
    *,
    person_pk: int | None = None,
    kind: OrderKind | None = None,
    status: OrderStatus | None = None,
) -> list[Order]:
    """Orders in start order, filtered by person, kind or status."""
    query = select(OrderRow, PersonRow.id).outerjoin(PersonRow, OrderRow.person_pk == PersonRow.pk)
    if person_pk is not None:
        query = query.where(OrderRow.person_pk == person_pk)
    if kind is not None:
        query = query.where(OrderRow.kind == kind.value)
    if status is not None:
        query = query.where(OrderRow.status == status.value)
    rows = session.execute(query.order_by(OrderRow.start_time, OrderRow.pk)).all()
    return [_order(row, person) for row, person in rows]
