"""Orders as the service offers them: list, issue and lift, each checked against the actor's role.

Issuing an order raises an ``order_issued`` alert so the people on watch see it at once. Reasons
and evidence of medical orders are clinical detail: roles without clinical rights see only that a
person is under order.
"""

from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue
from cordon.services.transaction import unit_of_work
from cordon.store import directory, listings, orders

__all__ = ["ORDER_PERMISSION", "issue_order", "lift_order", "list_orders", "visible"]

ORDER_PERMISSION = {
    OrderKind.QUARANTINE: Permission.ORDER_MEDICAL,
    OrderKind.ISOLATION: Permission.ORDER_MEDICAL,
    OrderKind.EGRESS_HOLD: Permission.ORDER_HOLD,
    OrderKind.MORATORIUM: Permission.ORDER_MORATORIUM,
}
"""The permission needed to issue or lift each kind of order."""

UNDER_ORDER = "under order"
MEDICAL = frozenset({OrderKind.QUARANTINE, OrderKind.ISOLATION})


def visible(order: Order, actor: Actor) -> Order:
    """The order as the actor may see it: no clinical reason or evidence without clinical rights."""
    if order.kind in MEDICAL and not actor.can(Permission.READ_CLINICAL):
        return replace(order, reason=UNDER_ORDER, evidence=())
    return order


def list_orders(
    session: Session,
    *,
    actor: Actor,
    person: str | None = None,
    kind: OrderKind | None = None,
    status: OrderStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Order], int]:
    """Orders, newest first, and how many match in all."""
    require(actor, Permission.READ_ORDERS)
    person_pk = directory.get_person(session, person)[0] if person else None
    found, total = listings.order_page(
        session, person_pk=person_pk, kind=kind, status=status, limit=limit, offset=offset
    )
    return [visible(o, actor) for o in found], total


def issue_order(
    session: Session,
    *,
    actor: Actor,
    kind: OrderKind,
    reason: str,
    person: str | None = None,
    start: int | None = None,
    expiry: int | None = None,
    scope: Scope | None = None,
    evidence: tuple[str, ...] = (),
) -> Order:
    """Issue an order on a person (quarantine, isolation, egress hold) or a scope (moratorium)."""
    require(actor, ORDER_PERMISSION[kind])
    if not reason.strip():
        raise InvalidValue("an order needs a reason")
    if kind is OrderKind.MORATORIUM and person is not None:
        raise InvalidValue("a moratorium applies to a scope, not to one person")
    if kind is not OrderKind.MORATORIUM and person is None:
        raise InvalidValue(f"a {kind.value} order needs a person")
    begin = int(time.time()) if start is None else start
    if expiry is not None and expiry <= begin:
        raise InvalidValue("the expiry must come after the start")
    with unit_of_work(session):
        person_pk = None
        if person is not None:
            person_pk, _ = directory.get_person(session, person)
        for place in (scope or Scope()).places:
            directory.get_place(session, place)
        order = Order(
            id=None,
            kind=kind,
            person=person,
            start=begin,
            expiry=expiry,
            issuer=actor.name,
            reason=reason.strip(),
            scope=scope or Scope(),
            evidence=evidence,
        )
        stored = orders.add_order(session, order, person_pk=person_pk, actor=actor.name)
        target = (
            f"on {person}" if person else "on " + (", ".join(sorted(order.scope.places)) or "all")
        )
        listings.add_alert(
            session,
            Alert(
                kind=AlertKind.ORDER_ISSUED,
                at=begin,
                message=f"{kind.value.replace('_', ' ')} {target} by {actor.name}",
                severity=Severity.WARNING if kind is OrderKind.EGRESS_HOLD else Severity.INFO,
                person=person,
                evidence=(f"order:{stored.id}",),
            ),
            actor=actor.name,
        )
    return visible(stored, actor)


def lift_order(session: Session, order_id: int, *, actor: Actor, reason: str) -> Order:
    """Lift an active order, with the reason in the audit log."""
    require(actor, Permission.READ_ORDERS)
    if not reason.strip():
        raise InvalidValue("lifting an order needs a reason")
    with unit_of_work(session):
        current = listings.get_order(session, order_id)
        require(actor, ORDER_PERMISSION[current.kind])
        lifted = listings.close_order(
            session, order_id, OrderStatus.LIFTED, actor=actor.name, reason=reason.strip()
        )
    return visible(lifted, actor)
