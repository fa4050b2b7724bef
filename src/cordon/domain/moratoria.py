"""Moratoria: which exposures breach one, which gatherings it suspends, which doors it closes.

A moratorium is an order of kind ``moratorium`` whose scope names the routes it suspends, the two
parties by role (``roles`` and ``counterpart_roles``; an empty counterpart means anyone not in
``roles``), optionally the places and gatherings it covers, over [start, expiry).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import tzinfo

from cordon.domain.gatherings import Gathering
from cordon.domain.orders import Order, OrderKind, OrderStatus
from cordon.domain.records import Exposure
from cordon.times import end_of_day

__all__ = [
    "CrewNeed",
    "between_parties",
    "breaches",
    "covers_gathering",
    "covers_place",
    "crew_need",
    "just_for_today",
    "restricted",
]


def just_for_today(now: int, zone: tzinfo | None) -> tuple[int, int]:
    """The window of a "just for today" order: from now until 24:00 of today, station time."""
    return now, end_of_day(now, zone)


def restricted(order: Order, role: str | None) -> bool:
    """Whether a person of ``role`` belongs to the moratorium's first party (e.g. visiting crew)."""
    return role is not None and role in order.scope.roles


def _counterpart(order: Order, role: str | None) -> bool:
    scope = order.scope
    if scope.counterpart_roles:
        return role is not None and role in scope.counterpart_roles
    return not restricted(order, role)


def between_parties(order: Order, role_a: str | None, role_b: str | None) -> bool:
    """Whether two persons stand on the two sides of the moratorium."""
    return (restricted(order, role_a) and _counterpart(order, role_b)) or (
        restricted(order, role_b) and _counterpart(order, role_a)
    )


def covers_place(order: Order, place: str | None, ancestors: Mapping[str, Collection[str]]) -> bool:
    """Whether the place is in the scope (or inside a place that is); no places means anywhere."""
    places = order.scope.places
    if not places:
        return True
    if place is None:
        return False
    return place in places or any(p in places for p in ancestors.get(place, ()))


def breaches(
    order: Order,
    exposure: Exposure,
    roles: Mapping[str, str],
    ancestors: Mapping[str, Collection[str]],
) -> bool:
    """Whether a recorded exposure happened inside the moratorium's window [start, expiry) (the
    service passes a lifted order with its lifting time as expiry), on a suspended route,
    between the two parties, in a covered place."""
    if order.kind is not OrderKind.MORATORIUM or order.status is OrderStatus.SUPERSEDED:
        return False
    ends = order.expiry if order.expiry is not None else exposure.end + 1
    if not (exposure.start < ends and order.start <= max(exposure.start, exposure.end - 1)):
        return False
    if order.scope.routes and exposure.route not in order.scope.routes:
        return False
    if not between_parties(order, roles.get(exposure.a), roles.get(exposure.b)):
        return False
    return covers_place(order, exposure.place, ancestors)


@dataclass(frozen=True, slots=True)
class CrewNeed:
    """How many of the visiting crew a gathering needs, and on what that rests."""

    planned: int
    """Crew among its planned participants."""
    needed: int | None
    """The need: the planned crew, an estimate, or None when nothing allows an estimate."""
    basis: str
    """``planned``, ``kind`` (the other gatherings of its kind), ``nearest kind`` (those of
    the kind nearest in size, named in ``like``) or ``none``."""
    like: str | None = None
    """The kind the estimate comes from."""
    compared: int = 0
    """How many gatherings the estimate rests on."""

    @property
    def estimated(self) -> bool:
        """Whether ``needed`` is an estimate from other gatherings."""
        return self.basis in ("kind", "nearest kind")

    def describe(self, kind: str) -> str:
        """The need as a person reads it: "4", "1 (est. from 2 other session)", ..."""
        if self.basis == "planned":
            return str(self.needed)
        if self.basis == "kind":
            return f"{self.needed} (est. from {self.compared} other {kind})"
        if self.basis == "nearest kind":
            return f"{self.needed} (est. from {self.like}: no other {kind})"
        return "unknown: no gathering to compare; plan its crew or suspend it by id"


def crew_need(
    gathering: Gathering,
    found: Collection[Gathering],
    roles: Mapping[str, str],
    crew_role: str,
) -> CrewNeed:
    """The crew a gathering needs: its planned crew; when none is planned, its other
    participants times the crew per other participant of the other gatherings of its kind; when
    there are none, of the kind whose gatherings are nearest in size (and which kind is said);
    when no gathering compares, no estimate (never a silent 0). A gathering with no other
    participants is given the kind's mean crew per gathering."""
    crew_of = [p for p in gathering.participants if roles.get(p) == crew_role]
    if crew_of:
        return CrewNeed(len(crew_of), len(crew_of), "planned")
    tally: dict[str, list[int]] = {}
    for g in found:
        if g.id == gathering.id:
            continue
        c = sum(1 for p in g.participants if roles.get(p) == crew_role)
        counts = tally.setdefault(g.kind, [0, 0, 0])
        counts[0] += c
        counts[1] += len(g.participants) - c
        counts[2] += 1
    others = len(gathering.participants)
    basis, like = "kind", gathering.kind
    if gathering.kind not in tally or tally[gathering.kind][1] == 0:
        usable = {k: v for k, v in tally.items() if v[1] > 0}
        if not usable:
            return CrewNeed(0, None, "none")
        basis = "nearest kind"
        like = min(usable, key=lambda k: (abs(sum(usable[k][:2]) / usable[k][2] - others), k))
    crew, guests, count = tally[like]
    estimate = others * crew / guests if others else crew / count
    return CrewNeed(0, math.ceil(estimate - 1e-9), basis, like, count)


def covers_gathering(
    order: Order,
    gathering: Gathering,
    roles: Mapping[str, str],
    ancestors: Mapping[str, Collection[str]],
    needs_restricted: bool,
) -> bool:
    """Whether the moratorium suspends the gathering: named in its scope, or overlapping its
    window in a covered place and bringing the two parties together (``needs_restricted``: the
    gathering needs people of the first party even if none are planned yet)."""
    if order.kind is not OrderKind.MORATORIUM:
        return False
    if gathering.id in order.scope.gatherings:
        return True
    if order.scope.gatherings and not order.scope.places and not order.scope.roles:
        return False
    ends = order.expiry if order.expiry is not None else gathering.end + 1
    if not (gathering.start < ends and order.start < gathering.end):
        return False
    if not covers_place(order, gathering.place, ancestors):
        return False
    first = needs_restricted or any(restricted(order, roles.get(p)) for p in gathering.participants)
    second = any(_counterpart(order, roles.get(p)) for p in gathering.participants)
    return first and second
