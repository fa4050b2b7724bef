"""Orders (quarantine, isolation, egress hold, moratorium), their scope, and their lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from cordon.domain.records import Route
from cordon.errors import TransitionError

__all__ = [
    "CLINICAL_EVIDENCE",
    "MEDICAL_KINDS",
    "ORDER_TRANSITIONS",
    "Order",
    "OrderKind",
    "OrderStatus",
    "Scope",
    "change_status",
]


class OrderKind(StrEnum):
    """What an order does: keep a person in place, or suspend contact in a scope."""

    QUARANTINE = "quarantine"
    ISOLATION = "isolation"
    EGRESS_HOLD = "egress_hold"
    MORATORIUM = "moratorium"
    UNDER_ORDER = "under_order"
    """A quarantine or an isolation as shown to roles without clinical rights (which of the two
    says whether the person is a confirmed case); never stored, never issued."""


MEDICAL_KINDS = frozenset({OrderKind.QUARANTINE, OrderKind.ISOLATION})
"""Orders whose kind, reason and evidence are clinical detail."""

CLINICAL_EVIDENCE = ("exposure:", "lab:")
"""Prefixes of evidence links to clinical records (an exposure, a lab result)."""


class OrderStatus(StrEnum):
    """Where an order is in its life; only ``active`` orders can be in force."""

    ACTIVE = "active"
    LIFTED = "lifted"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.ACTIVE: frozenset(
        {OrderStatus.LIFTED, OrderStatus.EXPIRED, OrderStatus.SUPERSEDED}
    ),
    OrderStatus.LIFTED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
    OrderStatus.SUPERSEDED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Scope:
    """Where and on whom an order applies; an empty field means no restriction on that axis."""

    places: frozenset[str] = field(default_factory=frozenset)
    routes: frozenset[Route] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    """One party of a moratorium, by role (e.g. visiting_crew)."""
    counterpart_roles: frozenset[str] = field(default_factory=frozenset)
    """The other party; empty means anyone not in ``roles``."""
    gatherings: frozenset[str] = field(default_factory=frozenset)
    affiliations: frozenset[str] = field(default_factory=frozenset)
    """A group hold: everyone of these affiliations (and of ``roles``, ``states``)."""
    states: frozenset[str] = field(default_factory=frozenset)
    """A group hold: everyone whose case is in one of these states (clinical or containment,
    e.g. confirmed, exposed, quarantined)."""

    @property
    def group(self) -> bool:
        """Whether the scope names a group of people (a group hold) rather than places."""
        return bool(self.roles or self.affiliations or self.states)

    def describe_group(self) -> str:
        """``every performer, every exposed`` style words for a group hold."""
        parts = [*sorted(self.roles), *sorted(self.affiliations), *sorted(self.states)]
        return ", ".join(f"every {p.replace('_', ' ')}" for p in parts)

    def to_json(self) -> dict[str, list[str]]:
        """A JSON-ready form with sorted lists, for the store and the API."""
        out = {
            "places": sorted(self.places),
            "routes": sorted(r.value for r in self.routes),
            "roles": sorted(self.roles),
            "counterpart_roles": sorted(self.counterpart_roles),
            "gatherings": sorted(self.gatherings),
        }
        if self.affiliations:
            out["affiliations"] = sorted(self.affiliations)
        if self.states:
            out["states"] = sorted(self.states)
        return out

    @classmethod
    def from_json(cls, data: dict[str, list[str]] | None) -> Scope:
        """The inverse of ``to_json``; missing keys mean no restriction."""
        data = data or {}
        return cls(
            places=frozenset(data.get("places", ())),
            routes=frozenset(Route(r) for r in data.get("routes", ())),
            roles=frozenset(data.get("roles", ())),
            counterpart_roles=frozenset(data.get("counterpart_roles", ())),
            gatherings=frozenset(data.get("gatherings", ())),
            affiliations=frozenset(data.get("affiliations", ())),
            states=frozenset(data.get("states", ())),
        )


@dataclass(frozen=True, slots=True)
class Order:
    """An order with its issuer, reason, evidence and time window [start, expiry)."""

    id: int | None
    kind: OrderKind
    person: str | None
    start: int
    expiry: int | None
    issuer: str
    reason: str
    scope: Scope = field(default_factory=Scope)
    evidence: tuple[str, ...] = ()
    status: OrderStatus = OrderStatus.ACTIVE
    supersedes: int | None = None

    def in_force(self, at: int) -> bool:
        """Whether the order binds at time ``at``."""
        if self.status is not OrderStatus.ACTIVE or at < self.start:
            return False
        return self.expiry is None or at < self.expiry


def change_status(order: Order, status: OrderStatus) -> Order:
    """The order in its new status, or TransitionError when that move is not allowed."""
    if status not in ORDER_TRANSITIONS[order.status]:
        raise TransitionError(
            f"order {order.id}: {order.status} -> {status} is not allowed "
            f"(an order that is {order.status} is final)"
            if not ORDER_TRANSITIONS[order.status]
            else f"order {order.id}: {order.status} -> {status} is not allowed"
        )
    return replace(order, status=status)
