"""Orders: issuing, lifting, listing and expiring them, with the case moves and alerts they cause.

The one orders service of the CLI, the API and the pages: every order write goes through here (the
rules too), and the doors learn of it from the change signal the store's triggers raise in the
same transaction (``store.changes``); every order read leaves through ``visible``, so a role
without clinical rights sees a quarantine or an isolation only as "under order" (no kind,
reason or evidence). Reads never write: ``expire_orders`` is the worker's periodic task.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import replace

from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import STORED_CONTAINMENT, Clinical, Containment, transition
from cordon.domain.orders import MEDICAL_KINDS, Order, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import normalise_word, require_text
from cordon.errors import InvalidValue, TransitionError
from cordon.services.exit_policies import role_words
from cordon.services.transaction import unit_of_work
from cordon.store import cases, directory, listings
from cordon.store import containment as records
from cordon.store import orders as order_store
from cordon.store.containment import OrderView
from cordon.times import local_time

__all__ = [
    "ORDER_PERMISSION",
    "PERSONAL",
    "UNDER_ORDER",
    "close",
    "expire_orders",
    "issue_order",
    "lift_order",
    "list_orders",
    "move_case",
    "order_page",
    "orders_of",
    "permission_for",
    "visible",
    "visible_view",
    "write_order",
]

PERSONAL = (OrderKind.QUARANTINE, OrderKind.ISOLATION, OrderKind.EGRESS_HOLD)
"""Orders that bind one person."""

_CONTAINMENT = {
    OrderKind.QUARANTINE: Containment.QUARANTINED,
    OrderKind.ISOLATION: Containment.ISOLATED,
}


ORDER_PERMISSION = {
    OrderKind.QUARANTINE: Permission.ORDER_MEDICAL,
    OrderKind.ISOLATION: Permission.ORDER_MEDICAL,
    OrderKind.EGRESS_HOLD: Permission.ORDER_HOLD,
    OrderKind.MORATORIUM: Permission.ORDER_MORATORIUM,
}
"""The one map of the permission needed to issue or lift each kind of order."""

UNDER_ORDER = "under order"
"""What a role without clinical rights reads in place of a medical order's reason."""


def permission_for(kind: OrderKind) -> Permission:
    """The permission an actor needs to issue or lift an order of this kind."""
    if kind not in ORDER_PERMISSION:
        raise InvalidValue(f"{kind.value!r} is how orders are shown, not a kind one can issue")
    return ORDER_PERMISSION[kind]


def visible(order: Order, actor: Actor) -> Order:
    """The order as the actor may see it: without clinical rights a quarantine or isolation is
    only "under order", with neither its kind, its reason nor its evidence."""
    if order.kind in MEDICAL_KINDS and not actor.can(Permission.READ_CLINICAL):
        return replace(order, kind=OrderKind.UNDER_ORDER, reason=UNDER_ORDER, evidence=())
    return order


def visible_view(view: OrderView, actor: Actor) -> OrderView:
    """An order with its lifecycle as the actor may see it (a close reason can be clinical)."""
    shown = visible(view.order, actor)
    if shown is view.order:
        return view
    reason = view.close_reason and UNDER_ORDER
    return replace(view, order=shown, close_reason=reason)


def _kinds_for(actor: Actor, kinds: Sequence[OrderKind]) -> tuple[OrderKind, ...]:
    """The stored kinds a kind filter means; asking for one medical kind needs clinical rights
    (the answer would say which of the two a person is under)."""
    out: list[OrderKind] = []
    for kind in kinds:
        if kind is OrderKind.UNDER_ORDER:
            out += sorted(MEDICAL_KINDS)
        else:
            if kind in MEDICAL_KINDS:
                require(actor, Permission.READ_CLINICAL)
            out.append(kind)
    return tuple(dict.fromkeys(out))


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
    group = kind is OrderKind.EGRESS_HOLD and person is None and (scope or Scope()).group
    if kind in PERSONAL and not group:
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
        target = (
            person
            or (scope or Scope()).describe_group()
            or ", ".join(sorted((scope or Scope()).places))
            or "everyone in scope"
        )
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


def group_scope(
    roles: Sequence[str], affiliations: Sequence[str] = (), states: Sequence[str] = ()
) -> Scope:
    """The scope of a group hold from words a user typed (roles by alias, states checked)."""
    known = {s.value for s in Clinical} | {s.value for s in STORED_CONTAINMENT} - {"free"}
    words = [normalise_word(s) for s in states]
    bad = [w for w in words if w not in known]
    if bad:
        raise InvalidValue(
            f"unknown case state {', '.join(bad)} (one of: {', '.join(sorted(known))})"
        )
    return Scope(
        roles=role_words(roles),
        affiliations=frozenset(a.strip() for a in affiliations if a.strip()),
        states=frozenset(words),
    )


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
    """Issue an order by hand on a person (quarantine, isolation, egress hold) or a scope
    (moratorium): the case moves, any earlier order is superseded, an alert is raised and every
    door's hold list changes at once. Returned as the actor may see it."""
    require(actor, permission_for(kind))
    reason = require_text(reason, "an order's reason")
    if kind is OrderKind.MORATORIUM and person is not None:
        raise InvalidValue("a moratorium applies to a scope, not to one person")
    group = kind is OrderKind.EGRESS_HOLD and scope is not None and scope.group
    if kind is not OrderKind.MORATORIUM and person is None and not group:
        raise InvalidValue(f"a {kind.value} order needs a person")
    if group and person is not None:
        raise InvalidValue("a hold names a person or a group (--role, ...), not both")
    if group and scope is not None and scope.states:
        require(actor, Permission.READ_CLINICAL)  # a group by case state names clinical facts
    with unit_of_work(session):
        order = write_order(
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
    return visible(order, actor)


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
    require(actor, Permission.READ_ORDERS)
    with unit_of_work(session):
        order = records.get_order(session, order_id)
        require(actor, permission_for(order.kind))
        reason = require_text(reason, "the reason for lifting an order")
        lifted = close(session, order, OrderStatus.LIFTED, at=at, actor=actor.name, reason=reason)
    return visible(lifted, actor)


def expire_orders(session: Session, *, now: int, actor: Actor) -> list[Order]:
    """Close every active order whose expiry is at or before ``now``, recorded as expired at its
    expiry (the case released, a moratorium's gatherings back on schedule, audited as
    ``expiry (actor)``); returns the orders it closed. The one place orders expire: a periodic
    task, never a read."""
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
                    reason=f"expired at {local_time(order.expiry, named=True)}",
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
) -> list[OrderView]:
    """Orders in start order with their lifecycle, as the actor may see them (writes nothing)."""
    require(actor, Permission.READ_ORDERS)
    wanted = _kinds_for(actor, kinds)
    person_pk = directory.get_person(session, person)[0] if person else None
    found = records.order_views(session, kinds=wanted, status=status, person_pk=person_pk)
    return [visible_view(v, actor) for v in found]


def order_page(
    session: Session,
    *,
    actor: Actor,
    person: str | None = None,
    kind: OrderKind | None = None,
    status: OrderStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Order], int]:
    """A page of orders, newest first, as the actor may see them, and how many match in all."""
    require(actor, Permission.READ_ORDERS)
    wanted = _kinds_for(actor, (kind,) if kind is not None else ())
    person_pk = directory.get_person(session, person)[0] if person else None
    found, total = listings.order_page(
        session, person_pk=person_pk, kinds=wanted, status=status, limit=limit, offset=offset
    )
    return [visible(o, actor) for o in found], total


def orders_of(session: Session, person_pk: int, *, actor: Actor) -> list[Order]:
    """One person's orders in start order, as the actor may see them (for their timeline)."""
    require(actor, Permission.READ_ORDERS)
    return [visible(o, actor) for o in order_store.list_orders(session, person_pk=person_pk)]
