"""Orders: list with filters, issue, lift."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, SettingsDep, needs
from cordon.api.schemas import Moment, PageBase, TextQuery
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.domain.records import Route
from cordon.domain.roles import Permission
from cordon.services import orders

__all__ = ["OrderRead", "order_read", "router"]

router = APIRouter(prefix="/orders", tags=["orders"])
ISSUERS = (Permission.ORDER_MEDICAL, Permission.ORDER_HOLD, Permission.ORDER_MORATORIUM)


class ScopeSchema(BaseModel):
    """Where and on whom an order applies (empty lists: no restriction)."""

    places: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=500)
    routes: list[Route] = Field(default_factory=list)
    roles: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=50)
    counterpart_roles: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=50
    )
    gatherings: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=500
    )
    affiliations: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=50, description="A group hold: these affiliations."
    )
    states: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=10, description="A group hold: these case states."
    )


class OrderRead(BaseModel):
    """An order (the reason of a medical order reads "under order" without clinical rights)."""

    id: int
    kind: str
    person: str | None
    start: Moment
    expiry: Moment | None
    issuer: str
    reason: str
    status: str
    scope: ScopeSchema
    evidence: list[str]


class OrderPage(PageBase):
    """A page of orders."""

    items: list[OrderRead]


class OrderCreate(BaseModel):
    """A new order: on a person, or on a scope for a moratorium."""

    kind: OrderKind
    reason: str = Field(min_length=1, max_length=2000)
    person: str | None = Field(default=None, max_length=64)
    start: int | None = Field(default=None, ge=0, le=10**11)
    expiry: int | None = Field(default=None, ge=0, le=10**11)
    scope: ScopeSchema = Field(default_factory=ScopeSchema)
    evidence: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )


class LiftCreate(BaseModel):
    """Why an order is lifted."""

    reason: str = Field(min_length=1, max_length=2000)


def order_read(o: Order) -> OrderRead:
    """The schema of an order."""
    assert o.id is not None
    return OrderRead(
        id=o.id,
        kind=o.kind.value,
        person=o.person,
        start=o.start,
        expiry=o.expiry,
        issuer=o.issuer,
        reason=o.reason,
        status=o.status.value,
        scope=ScopeSchema.model_validate(o.scope.to_json()),
        evidence=list(o.evidence),
    )


@router.get("", response_model=OrderPage, dependencies=[needs(Permission.READ_ORDERS)])
def list_orders(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    person: TextQuery = None,
    kind: OrderKind | None = None,
    status: OrderStatus | None = None,
) -> OrderPage:
    """Orders, newest first, filtered by person, kind or status."""
    items, total = orders.order_page(
        session,
        actor=actor,
        person=person,
        kind=kind,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return OrderPage(
        items=[order_read(o) for o in items], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    response_model=OrderRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(*ISSUERS, any_of=True)],
)
def issue_order(
    body: OrderCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> OrderRead:
    """Issue an order; quarantine and isolation need medical rights, holds security's, a
    moratorium command's. A hold with no person and a scope of roles, affiliations or case
    states holds that whole group at every exit. Raises an ``order_issued`` alert."""
    scope = body.scope
    group = body.kind is OrderKind.EGRESS_HOLD and body.person is None
    if group:
        held = orders.group_scope(scope.roles, scope.affiliations, scope.states)
    order = orders.issue_order(
        session,
        actor=actor,
        kind=body.kind,
        reason=body.reason,
        person=body.person,
        start=body.start if body.start is not None else cfg.now(),
        expiry=body.expiry,
        scope=held
        if group
        else Scope(
            places=frozenset(scope.places),
            routes=frozenset(scope.routes),
            roles=frozenset(scope.roles),
            counterpart_roles=frozenset(scope.counterpart_roles),
            gatherings=frozenset(scope.gatherings),
        ),
        evidence=tuple(body.evidence),
    )
    return order_read(order)


@router.post(
    "/{order_id}/lift",
    response_model=OrderRead,
    dependencies=[needs(*ISSUERS, any_of=True)],
)
def lift_order(
    order_id: Annotated[int, Path(ge=1, le=2**31)],
    body: LiftCreate,
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
) -> OrderRead:
    """Lift an active order (409 when it is no longer active)."""
    return order_read(
        orders.lift_order(session, order_id, actor=actor, at=cfg.now(), reason=body.reason)
    )
