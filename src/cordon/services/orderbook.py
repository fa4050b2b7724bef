"""Orders as the service offers them: list, issue and lift, each checked against the actor's role.

Issuing an order raises an ``order_issued`` alert so the people on watch see it at once. Reasons
and evidence of medical orders are clinical detail: roles without clinical rights see only that a
person is under order.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue
from cordon.services import orders as flow
from cordon.store import directory, listings

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
    start: int,
    person: str | None = None,
    expiry: int | None = None,
    scope: Scope | None = None,
    evidence: tuple[str, ...] = (),
) -> Order:
    """Issue an order on a person (quarantine, isolation, egress hold) or a scope (moratorium)
    through the containment flow (``services.orders``): the case moves, any earlier order is
    superseded, an alert is raised and every door's hold list changes at once."""
    if kind is OrderKind.MORATORIUM and person is not None:
        raise InvalidValue("a moratorium applies to a scope, not to one person")
    if kind is not OrderKind.MORATORIUM and person is None:
        raise InvalidValue(f"a {kind.value} order needs a person")
    if expiry is not None and expiry <= start:
        raise InvalidValue("the expiry must come after the start")
    issued = flow.issue_order(
        session,
        actor=actor,
        kind=kind,
        start=start,
        reason=reason.strip(),
        person=person,
        expiry=expiry,
        scope=scope,
        evidence=evidence,
    )
    return visible(issued, actor)


def lift_order(session: Session, order_id: int, *, actor: Actor, at: int, reason: str) -> Order:
    """Lift an active order, with the reason, through the containment flow."""
    require(actor, Permission.READ_ORDERS)
    return visible(flow.lift_order(session, order_id, actor=actor, at=at, reason=reason), actor)
