"""Orders: issuing, lifting, listing and expiring them, with the case moves and alerts they cause.

Every order write goes through here (the rules too); the doors learn of it from the change
signal the store's triggers raise in the same transaction (``store.changes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import Clinical, Containment, transition
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue, TransitionError
from cordon.services.transaction import unit_of_work
from cordon.store import cases, directory
from cordon.store import containment as records
from cordon.store import orders as order_store
from cordon.store.containment import OrderView

__all__ = [
    "PERSONAL",
    "close",
    "expire_orders",
    "issue_order",
    "lift_order",
    "list_orders",
    "move_case",
    "permission_for",
    "write_order",
]

PERSONAL = (OrderKind.QUARANTINE, OrderKind.ISOLATION, OrderKind.EGRESS_HOLD)
"""Orders that bind one person."""

_CONTAINMENT = {
    OrderKind.QUARANTINE: Containment.QUARANTINED,
    OrderKind.ISOLATION: Containment.ISOLATED,
}


def permission_for(kind: OrderKind) -> Permission:
    """The permission an actor needs to issue or lift an order of this kind."""
    if kind is OrderKind.EGRESS_HOLD:
        return Permission.ORDER_HOLD
    if kind is OrderKind.MORATORIUM:
        return Permission.ORDER_MORATORIUM
    return Permission.ORDER_MEDICAL


def move_case(
    session: Session,
    person_id: str,
    *,
    at: int,
    actor: str,
    reason: str,
    clinical: Clinical | None = None,
    containment: Containment | None = None,
    person_pk: int | None = None,
) -> None:
    """Move a person's case through the domain's transition rules and save it (no commit)."""
    pk = person_pk if person_pk is not None else directory.get_person(session, person_id)[0]
    before = cases.get_case(session, pk, person_id)
    after = transition(before, clinical=clinical, containment=containment, at=at)
    if after == before or (
        after.clinical == before.clinical and after.containment == before.containment
    ):
        return
    place_pk = (
        directory.get_place(session, after.assigned_place)[0] if after.assigned_place else None
    )
    cases.save_case(session, pk, before, after, actor=actor, reason=reason, place_pk=place_pk)


def _active_of(session: Session, person_pk: int, kind: OrderKind) -> list[Order]:
    return [
        v.order
        for v in records.order_views(
            session, kinds=(kind,), status=OrderStatus.ACTIVE, person_pk=person_pk
        )
    ]


def write_order(
    session: Session,
    *,
    kind: OrderKind,
    person: str | None,
    start: int,
    expiry: int | None,
    issuer: str,
    reason: str,
    scope: Scope | None = None,
    evidence: Sequence[str] = (),
    supersede: bool = True,
    supersedes: int | None = None,
    alert: bool = True,
    person_pk: int | None = None,
) -> Order:
    """Store one order (no commit): supersede the person's active order of the same kind, move
    their case, and raise an ``order_issued`` alert naming the reason and evidence."""
    if expiry is not None and expiry <= start:
        raise InvalidValue(f"an order's expiry must come after its start ({expiry} <= {start})")
    if kind in PERSONAL:
        if person is None:
            raise InvalidValue(f"a {kind.value} order names a person (give --person)")
        if person_pk is None:
            person_pk, _ = directory.get_person(session, person)
    elif person is not None:
        raise InvalidValue("a moratorium binds a scope, not a person (drop --person)")
    else:
        person_pk = None
    previous = _active_of(session, person_pk, kind) if person_pk is not None and supersede else []
    order = Order(
        id=None,
        kind=kind,
        person=person,
        start=start,
        expiry=expiry,
        issuer=issuer,
        reason=reason,
        scope=scope or Scope(),
        evidence=tuple(evidence),
        supersedes=previous[-1].id if previous else supersedes,
    )
    for old in previous:
        assert old.id is not None
        records.close_order(
            session,
            old.id,
            OrderStatus.SUPERSEDED,
            at=start,
            actor=issuer,
            reason=f"superseded: {reason}",
        )
    stored = order_store.add_order(session, order, person_pk=person_pk, actor=issuer)
    if person is not None and kind in _CONTAINMENT:
        case = cases.get_case(session, person_pk or 0, person)
        if case.containment not in (Containment.MISSING, Containment.DEPARTED):
            # A quarantine of a confirmed case: the order stands, the case stays isolated.
            with suppress(TransitionError):
                move_case(
                    session,
                    person,
                    at=start,
                    actor=issuer,
                    reason=reason,
                    containment=_CONTAINMENT[kind],
                    person_pk=person_pk,
                )
    if alert:
        target = person or ", ".join(sorted((scope or Scope()).places)) or "everyone in scope"
        records.add_alert(
            session,
            Alert(
                kind=AlertKind.ORDER_ISSUED,
                at=start,
                # no reason here: alerts reach roles without clinical rights
                message=f"{kind.value.replace('_', ' ')} on {target} by {issuer}",
                severity=Severity.WARNING if kind is OrderKind.EGRESS_HOLD else Severity.INFO,
                person=person,
                evidence=(f"order:{stored.id}", *stored.evidence),
            ),
            person_pk=person_pk,
            place_pk=None,
            actor=issuer,
        )
    return stored


def issue_order(
    session: Session,
    *,
    actor: Actor,
    kind: OrderKind,
    start: int,
    reason: str,
    person: str | None = None,
    expiry: int | None = None,
    scope: Scope | None = None,
    evidence: Sequence[str] = (),
) -> Order:
    """Issue an order by hand (quarantine, isolation, egress hold), recorded and audited."""
    require(actor, permission_for(kind))
    if not reason.strip():
        raise InvalidValue("an order needs a reason (give --reason)")
    with unit_of_work(session):
        return write_order(
            session,
            kind=kind,
            person=person,
            start=start,
            expiry=expiry,
            issuer=actor.name,
            reason=reason,
            scope=scope,
            evidence=evidence,
        )


def _release(session: Session, order: Order, *, at: int, actor: str, reason: str) -> None:
    """Free the person of a closed quarantine or isolation if no other such order binds them."""
    if order.person is None or order.kind not in _CONTAINMENT:
        return
    pk, _ = directory.get_person(session, order.person)
    still = [o for kind in _CONTAINMENT for o in _active_of(session, pk, kind) if o.id != order.id]
    case = cases.get_case(session, pk, order.person)
    if still or case.containment is not _CONTAINMENT[order.kind]:
        return
    # A confirmed case stays isolated until cleared, whatever happens to one order.
    with suppress(TransitionError):
        move_case(
            session, order.person, at=at, actor=actor, reason=reason, containment=Containment.FREE
        )


def close(
    session: Session, order: Order, status: OrderStatus, *, at: int, actor: str, reason: str
) -> Order:
    """Close one order (no commit) and release its person, or its gatherings for a moratorium."""
    assert order.id is not None
    closed = records.close_order(session, order.id, status, at=at, actor=actor, reason=reason)
    _release(session, closed, at=at, actor=actor, reason=reason)
    if order.kind is OrderKind.MORATORIUM:
        from cordon.services import moratoria

        moratoria.release_gatherings(session, closed, actor=actor, at=at)
    return closed


def lift_order(session: Session, order_id: int, *, actor: Actor, at: int, reason: str) -> Order:
    """Lift an active order early, recording who lifted it, when and why."""
    with unit_of_work(session):
        order = records.get_order(session, order_id)
        require(actor, permission_for(order.kind))
        if not reason.strip():
            raise InvalidValue("lifting an order needs a reason (give --reason)")
        return close(session, order, OrderStatus.LIFTED, at=at, actor=actor.name, reason=reason)


def expire_orders(session: Session, *, now: int, actor: Actor) -> list[Order]:
    """Close every active order whose expiry has passed, recorded as expired at its expiry."""
    with unit_of_work(session):
        expired = []
        for order_id in records.expire_due(session, now=now):
            order = records.get_order(session, order_id)
            assert order.expiry is not None
            expired.append(
                close(
                    session,
                    order,
                    OrderStatus.EXPIRED,
                    at=order.expiry,
                    actor=f"expiry ({actor.name})",
                    reason=f"expired at {order.expiry}",
                )
            )
    return expired


def list_orders(
    session: Session,
    *,
    actor: Actor,
    kinds: Sequence[OrderKind] = (),
    status: OrderStatus | None = None,
    person: str | None = None,
    now: int | None = None,
) -> list[OrderView]:
    """Orders with their lifecycle, after expiring the ones due by ``now`` (when given)."""
    require(actor, Permission.READ_ORDERS)
    if now is not None:
        expire_orders(session, now=now, actor=actor)
    person_pk = directory.get_person(session, person)[0] if person else None
    return records.order_views(session, kinds=kinds, status=status, person_pk=person_pk)
