"""Moratoria and gatherings: suspend a route between two groups and the gatherings it covers,
list what is suspended, and spot exposures that breach a moratorium."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain import moratoria as rules
from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import HELD
from cordon.domain.gatherings import Gathering, GatheringStatus
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.domain.people import Role
from cordon.domain.records import Route
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue
from cordon.services import orders
from cordon.services.transaction import unit_of_work
from cordon.store import containment as records
from cordon.store import directory, gatherings
from cordon.store.models import CaseRow, PersonRow
from cordon.times import local_time

__all__ = [
    "GatheringView",
    "check_breaches",
    "covered_gatherings",
    "issue_moratorium",
    "list_gatherings",
    "release_gatherings",
]

CREW = Role.VISITING_CREW.value


@dataclass(frozen=True, slots=True)
class GatheringView:
    """A gathering with how many of the visiting crew it needs and whether it is suspended."""

    gathering: Gathering
    crew_planned: int
    crew_needed: int | None
    """None when nothing allows an estimate (``need.describe`` says so and asks)."""
    crew_estimated: bool
    """Whether ``crew_needed`` is estimated from the other gatherings (none planned yet)."""
    suspended_by: tuple[int, ...]
    """The moratoria (order ids) in force that cover it."""
    participant_count: int = 0
    """How many take part (``gathering.participants`` is empty for roles that may not see
    names)."""
    need: rules.CrewNeed | None = None
    """The crew need with its basis."""
    under_orders: tuple[str, ...] = ()
    """Planned participants who are quarantined or isolated now (empty for roles that may not
    see names)."""

    @property
    def suspended(self) -> bool:
        """Whether a moratorium suspends it."""
        return bool(self.suspended_by)


def _roles(session: Session) -> dict[str, str]:
    return dict(session.execute(select(PersonRow.id, PersonRow.role)).all())


def _ancestors(session: Session) -> dict[str, list[str]]:
    parents = directory.place_parents(session)
    out: dict[str, list[str]] = {}
    for place in parents:
        chain: list[str] = []
        up = parents.get(place)
        while up is not None and up not in chain:
            chain.append(up)
            up = parents.get(up)
        out[place] = chain
    return out


def _held(session: Session) -> set[str]:
    """The people quarantined or isolated now (held by a case)."""
    query = (
        select(PersonRow.id)
        .join(CaseRow, CaseRow.person_pk == PersonRow.pk)
        .where(CaseRow.containment.in_([c.value for c in HELD]))
    )
    return set(session.scalars(query))


def _view(
    g: Gathering,
    found: Sequence[Gathering],
    roles: Mapping[str, str],
    ancestors: Mapping[str, list[str]],
    morats: Sequence[Order],
    held: Collection[str] = frozenset(),
) -> GatheringView:
    need = rules.crew_need(g, found, roles, CREW)
    by = tuple(
        m.id
        for m in morats
        if m.id is not None
        and rules.covers_gathering(
            m, g, roles, ancestors, needs_restricted=need.needed is None or need.needed > 0
        )
    )
    under = tuple(p for p in g.participants if p in held)
    return GatheringView(
        g, need.planned, need.needed, need.estimated, by, len(g.participants), need, under
    )


def covered_gatherings(session: Session, order: Order) -> list[GatheringView]:
    """The gatherings a moratorium covers (whatever their status now)."""
    found = gatherings.list_gatherings(session)
    roles, ancestors = _roles(session), _ancestors(session)
    views = [_view(g, found, roles, ancestors, [order]) for g in found]
    return [v for v in views if v.suspended]


def list_gatherings(
    session: Session,
    *,
    actor: Actor,
    start: int | None = None,
    end: int | None = None,
    status: GatheringStatus | None = None,
    place: str | None = None,
    suspended_only: bool = False,
) -> list[GatheringView]:
    """Gatherings in time order (overlapping [start, end) when given) with their head counts,
    crew needs and the active moratoria that suspend them; the one gatherings listing of every
    interface. Roles that may not read names (observers) get head counts without participants.
    Writes nothing (moratoria expire in ``orders.expire_orders``)."""
    require(actor, Permission.READ_AGGREGATES)
    names = actor.can(Permission.READ_PEOPLE)
    found = gatherings.list_gatherings(session)
    morats = [
        v.order
        for v in records.order_views(
            session, kinds=(OrderKind.MORATORIUM,), status=OrderStatus.ACTIVE
        )
    ]
    roles, ancestors = _roles(session), _ancestors(session)
    held = _held(session)
    views = [
        _view(g, found, roles, ancestors, morats, held)
        for g in found
        if (start is None or g.end > start)
        and (end is None or g.start < end)
        and (status is None or g.status is status)
        and (place is None or g.place == place)
    ]
    return [
        v if names else replace(v, gathering=replace(v.gathering, participants=()), under_orders=())
        for v in views
        if v.suspended or not suspended_only
    ]


def issue_moratorium(
    session: Session,
    *,
    actor: Actor,
    start: int,
    reason: str,
    expiry: int | None = None,
    today: bool = False,
    zone: tzinfo | None = None,
    routes: Sequence[Route] = (Route.FLUID,),
    roles: Sequence[str] = (CREW,),
    counterpart_roles: Sequence[str] = (),
    places: Sequence[str] = (),
    gathering_ids: Sequence[str] = (),
) -> tuple[Order, list[GatheringView]]:
    """Suspend ``routes`` between ``roles`` and their counterparts (anyone else when none are
    given) in a scope and window, and the gatherings that covers; ``today`` means until 24:00 of
    the start's day in the station zone. Returns the order and the gatherings it suspends."""
    require(actor, Permission.ORDER_MORATORIUM)
    if today:
        if expiry is not None:
            raise InvalidValue("give either an expiry or 'just for today', not both")
        start, expiry = rules.just_for_today(start, zone)
    if not reason.strip():
        raise InvalidValue("a moratorium needs a reason (give --reason)")
    scope = Scope(
        places=frozenset(places),
        routes=frozenset(routes),
        roles=frozenset(roles),
        counterpart_roles=frozenset(counterpart_roles),
        gatherings=frozenset(gathering_ids),
    )
    with unit_of_work(session):
        for p in places:
            directory.get_place(session, p)
        known = {g.id for g in gatherings.list_gatherings(session)}
        unknown = sorted(set(gathering_ids) - known)
        if unknown:
            raise InvalidValue(f"no gathering {', '.join(unknown)} (see `cordon gatherings`)")
        order = orders.write_order(
            session,
            kind=OrderKind.MORATORIUM,
            person=None,
            start=start,
            expiry=expiry,
            issuer=actor.name,
            reason=reason,
            scope=scope,
            supersede=False,
        )
        covered = covered_gatherings(session, order)
        for v in covered:
            records.set_gathering_status(
                session,
                v.gathering.id,
                GatheringStatus.SUSPENDED.value,
                actor=actor.name,
                reason=f"suspended by moratorium {order.id}",
            )
    return order, covered


def release_gatherings(session: Session, order: Order, *, actor: str, at: int) -> None:
    """After a moratorium closes, put back on schedule the gatherings it suspended that no other
    active moratorium covers (no commit)."""
    others = [
        v.order
        for v in records.order_views(
            session, kinds=(OrderKind.MORATORIUM,), status=OrderStatus.ACTIVE
        )
        if v.order.id != order.id
    ]
    found = gatherings.list_gatherings(session)
    roles, ancestors = _roles(session), _ancestors(session)
    for g in found:
        if g.status is not GatheringStatus.SUSPENDED:
            continue
        mine = _view(g, found, roles, ancestors, [order])
        if not mine.suspended or _view(g, found, roles, ancestors, others).suspended:
            continue
        records.set_gathering_status(
            session,
            g.id,
            GatheringStatus.SCHEDULED.value,
            actor=actor,
            reason=f"moratorium {order.id} {order.status.value} at {local_time(at, named=True)}",
        )


def check_breaches(session: Session, *, actor: str, now: int) -> list[Alert]:
    """Raise a breach alert for each recorded exposure inside a moratorium's window (each
    exposure is checked once; no commit)."""
    views = records.order_views(session, kinds=(OrderKind.MORATORIUM,))
    morats = [
        (replace(v.order, expiry=v.effective_end), v)
        for v in views
        if v.order.status is not OrderStatus.SUPERSEDED
    ]
    if not morats:
        return []
    routes = {r for m, _ in morats for r in (m.scope.routes or set(Route))}
    pending = records.pending_exposures(session, rule="breach", routes=routes, until=now)
    if not pending:
        return []
    roles, ancestors = _roles(session), _ancestors(session)
    people, places = directory.person_keys(session), directory.place_keys(session)
    raised: list[Alert] = []
    for evidence, exposure in pending:
        hits = [m for m, _ in morats if rules.breaches(m, exposure, roles, ancestors)]
        for m in hits:
            alert = Alert(
                AlertKind.MORATORIUM_BREACH,
                exposure.start,
                f"{exposure.route.value} exposure between {exposure.a} and {exposure.b} "
                f"at {exposure.place or 'an unknown place'} breaches moratorium {m.id}",
                Severity.CRITICAL,
                exposure.b,
                exposure.place,
                (evidence, f"order:{m.id}"),
            )
            records.add_alert(
                session,
                alert,
                person_pk=people.get(exposure.b),
                place_pk=places.get(exposure.place or ""),
                actor=actor,
            )
            raised.append(alert)
        outcome = ", ".join(f"breach of order {m.id}" for m in hits) or "no breach"
        records.add_firing(session, "breach", evidence, at=now, outcome=outcome)
    return raised
