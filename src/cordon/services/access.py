"""Access decisions for door and airlock controllers, from an in-memory index of holds.

``AccessIndex.decide`` answers allow or deny with the reason in microseconds: it reads only
dictionaries built by ``load`` (everything) and ``refresh`` (orders, cases and emergencies).
``catch_up`` reloads what the change signal (``store.changes``) says has changed: the doors
process calls it from its change follower, and an index made by ``from_store`` calls it itself
after each commit of the session it was made from. Decisions, overrides and the alerts they
raise queue in memory; ``flush`` writes them to the store in one transaction. When the store is
away the index keeps the last holds it knew (fail closed for held persons) and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from cordon.domain import moratoria as rules
from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import Clinical, Containment
from cordon.domain.exit_policy import ExitPolicy, PolicyAction, PolicyKind
from cordon.domain.gatherings import Gathering, GatheringStatus
from cordon.domain.ids import normalise_id
from cordon.domain.orders import MEDICAL_KINDS, Order, OrderKind, OrderStatus
from cordon.domain.places import PlaceKind
from cordon.domain.records import Credential, Direction
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.rules import held_by_case
from cordon.domain.vocab import has_visible_text
from cordon.errors import CordonError, InvalidValue
from cordon.services.transaction import unit_of_work
from cordon.store import containment as records
from cordon.store import directory, exit_policies, gatherings
from cordon.store.changes import Versions, newer, read_versions
from cordon.store.containment import Emergency
from cordon.store.models import CaseRow, PersonRow, PlaceRow
from cordon.times import local_time

__all__ = [
    "MAX_SKEW",
    "AccessIndex",
    "Decision",
    "Hold",
    "allowed_places",
]

_CONFINING = (OrderKind.QUARANTINE, OrderKind.ISOLATION)
MAX_SKEW = 300
"""Default bound (seconds) on how far a door's decision time may be from the station clock."""
_NO_CREDENTIAL = (Credential.FOREIGN, Credential.NONE)


@dataclass(frozen=True, slots=True)
class _Policy:
    """An exit policy in force, as the door tests it."""

    id: int
    kind: PolicyKind
    action: PolicyAction
    label: str
    places: frozenset[str]
    exempt: frozenset[str]
    companion_roles: frozenset[str]
    companion_affiliations: frozenset[str]

    @classmethod
    def of(cls, p: ExitPolicy) -> _Policy:
        assert p.id is not None
        return cls(
            p.id,
            p.kind,
            p.action,
            p.label,
            p.places,
            p.exempt_roles,
            p.companion_roles,
            frozenset(a.casefold() for a in p.companion_affiliations),
        )


@dataclass(frozen=True, slots=True)
class Hold:
    """One order binding a person at doors, with the places they may still enter under it."""

    order: int | None
    """The order, or None for a hold implied by the case state alone."""
    kind: OrderKind
    start: int
    expiry: int | None
    allowed: frozenset[str] = frozenset()
    label: str = ""
    """The deny reason, made once when the index is built."""

    def in_force(self, at: int) -> bool:
        """Whether the hold binds at ``at``."""
        return self.start <= at and (self.expiry is None or at < self.expiry)


@dataclass(frozen=True, slots=True)
class _Moratorium:
    order: int
    start: int
    expiry: int | None
    roles: frozenset[str]
    places: frozenset[str]
    windows: tuple[tuple[str, int, int], ...]
    """(place, start, end) of the gatherings it suspends."""


@dataclass(frozen=True, slots=True)
class Decision:
    """An answer to a door: allow or deny, why, and what it rests on."""

    allowed: bool
    reason: str
    person: str
    door: str
    direction: Direction
    at: int
    credential: Credential = Credential.BADGE
    order: int | None = None
    emergency: int | None = None
    policy: int | None = None
    """The exit policy that made (or, in an emergency, would have made) the answer."""
    override_by: str | None = None
    override_why: str | None = None
    stale: bool = False
    """Made from the last holds known before the store became unreachable."""


def _kind_label(kind: OrderKind) -> str:
    """How a door's answer names a hold: doors and guards have no clinical rights, so a
    quarantine or an isolation is only "under order" (issue 21)."""
    if kind in MEDICAL_KINDS:
        return "under order"
    return kind.value.replace("_", " ")


@dataclass(eq=False)
class AccessIndex:
    """Holds, roles, doors, moratoria and emergencies in memory; see the module docstring."""

    url: str | None = None
    holds: dict[str, tuple[Hold, ...]] = field(default_factory=dict)
    """Person id -> the holds on them, in start order."""
    roles: dict[str, str] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    doors: dict[str, tuple[bool, frozenset[str]]] = field(default_factory=dict)
    """Place id -> (is an exit, itself and its ancestors)."""
    affiliations: dict[str, str] = field(default_factory=dict)
    """Person id -> affiliation, case-folded (escort policies and group holds match on it)."""
    moratoria: tuple[_Moratorium, ...] = ()
    emergencies: tuple[Emergency, ...] = ()
    policies: tuple[_Policy, ...] = ()
    """Exit policies in force, tested at exits on the way out."""
    max_skew: int = MAX_SKEW
    """Decisions asked for a time further than this from the station clock are refused."""
    loaded: bool = False
    stale: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)
    person_keys: dict[str, int] = field(default_factory=dict)
    """Store keys of people and places, so that writing the door log reads neither table."""
    place_keys: dict[str, int] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    alert_actors: dict[int, str] = field(default_factory=dict)
    """Who raised a queued alert when it is not the door writer (an override: the guard)."""
    versions: Versions = field(default_factory=dict)
    """The change signal's versions the index was read at."""
    _behind: Engine | None = None
    """Set after a commit of the session ``from_store`` followed: catch up before deciding."""

    @classmethod
    def from_store(cls, session: Session, *, actor: Actor) -> AccessIndex:
        """A loaded index that follows every commit of ``session`` (for an actor that may
        decide access: a door controller, security, command)."""
        require(actor, Permission.DECIDE_ACCESS)
        index = cls(url=str(session.get_bind().engine.url))
        index.load(session)
        engine = session.get_bind().engine

        def committed(_: Session) -> None:
            index._behind = engine

        event.listen(session, "after_commit", committed)
        return index

    def catch_up(self, session: Session) -> set[str]:
        """Reload what changed since the index was read (the directory: everything; holds:
        orders, cases, emergencies); returns the topics that moved."""
        try:
            now = read_versions(session)
        except (SQLAlchemyError, CordonError):
            self.stale = True
            return set()
        moved = newer(self.versions, now)
        if "directory" in moved or not self.loaded:
            self.load(session)
        elif "holds" in moved or self.stale:
            self.refresh(session)
        return moved

    def load(self, session: Session) -> None:
        """Read people, places and then orders from the store (the versions first: what is
        read after them is at least as new)."""
        with suppress(SQLAlchemyError, CordonError):
            self.versions = read_versions(session)
        parent = aliased(PlaceRow)
        places = session.execute(
            select(PlaceRow.id, PlaceRow.exit, parent.id, PlaceRow.pk).outerjoin(
                parent, PlaceRow.parent_pk == parent.pk
            )
        ).all()
        parents = {p: up for p, _, up, _ in places}
        self.doors = {
            p: (bool(exit_), frozenset(_lineage(p, parents))) for p, exit_, _, _ in places
        }
        self.place_keys = {p: pk for p, _, _, pk in places}
        home = aliased(PlaceRow)
        people = session.execute(
            select(PersonRow.id, PersonRow.role, home.id, PersonRow.pk).outerjoin(
                home, PersonRow.home_pk == home.pk
            )
        ).all()
        self.roles = {p: role for p, role, _, _ in people}
        self.affiliations = {
            p: a.casefold()
            for p, a in session.execute(select(PersonRow.id, PersonRow.affiliation)).all()
            if a is not None
        }
        self.homes = {p: h for p, _, h, _ in people if h is not None}
        self.person_keys = {p: pk for p, _, _, pk in people}
        self.refresh(session)

    def refresh(self, session: Session) -> None:
        """Re-read active orders and emergencies; on a store failure keep the last ones (stale)."""
        try:
            versions = read_versions(session)
            self._read_orders(session)
            self.versions = {**versions, "directory": self.versions.get("directory", 0)}
        except (SQLAlchemyError, CordonError):
            with suppress(SQLAlchemyError):
                session.rollback()
            self.stale = True
            return
        self.loaded, self.stale = True, False

    def _read_orders(self, session: Session) -> None:
        active = records.order_views(session, status=OrderStatus.ACTIVE)
        place = aliased(PlaceRow)
        assigned = dict(
            session.execute(
                select(PersonRow.id, place.id)
                .join(CaseRow, CaseRow.person_pk == PersonRow.pk)
                .join(place, CaseRow.assigned_place_pk == place.pk)
            ).all()
        )
        beds = frozenset(
            p.id
            for p in directory.list_places(session)
            if p.kind in (PlaceKind.WARD, PlaceKind.ISOLATION_ROOM)
        )
        holds: dict[str, list[Hold]] = {}
        morats: list[Order] = []
        groups: list[Order] = []
        for view in active:
            o = view.order
            if o.kind is OrderKind.MORATORIUM:
                morats.append(o)
            elif o.person is None and o.scope.group:
                groups.append(o)
            elif o.person is not None and o.id is not None:
                allowed = allowed_places(
                    o.kind, assigned.get(o.person), self.homes.get(o.person), beds
                )
                until = f" until {local_time(o.expiry, named=True)}" if o.expiry is not None else ""
                label = f"{_kind_label(o.kind)} (order {o.id}{until})"
                holds.setdefault(o.person, []).append(
                    Hold(o.id, o.kind, o.start, o.expiry, allowed, label)
                )
        for person, clinical, state, since in session.execute(
            select(PersonRow.id, CaseRow.clinical, CaseRow.containment, CaseRow.since)
            .join(CaseRow, CaseRow.person_pk == PersonRow.pk)
            .where(CaseRow.containment != Containment.FREE.value)
        ):
            kind = held_by_case(Clinical(clinical) if clinical else None, Containment(state))
            mine = holds.get(person, [])
            if kind is None or any(h.kind in _CONFINING for h in mine):
                continue
            allowed = allowed_places(kind, assigned.get(person), self.homes.get(person), beds)
            label = (
                f"{_kind_label(kind)} (case held since {local_time(since, named=True)}, no order)"
            )
            holds.setdefault(person, []).append(Hold(None, kind, since, None, allowed, label))
        for o in groups:
            for person in self._group_members(session, o):
                until = f" until {local_time(o.expiry, named=True)}" if o.expiry is not None else ""
                label = f"egress hold on {o.scope.describe_group()} (order {o.id}{until})"
                holds.setdefault(person, []).append(
                    Hold(o.id, OrderKind.EGRESS_HOLD, o.start, o.expiry, frozenset(), label)
                )
        policies = exit_policies.list_policies(session, active_only=True)
        all_gatherings = gatherings.list_gatherings(session) if morats else []
        emergencies = tuple(e for e in records.list_emergencies(session))
        self.holds = {p: tuple(sorted(h, key=lambda x: x.start)) for p, h in holds.items()}
        self.moratoria = tuple(self._moratorium(o, all_gatherings) for o in morats)
        self.emergencies = emergencies
        self.policies = tuple(_Policy.of(p) for p in policies)

    def _group_members(self, session: Session, order: Order) -> list[str]:
        """Everyone a group hold binds: of its roles, affiliations or case states."""
        scope = order.scope
        affiliations = {a.casefold() for a in scope.affiliations}
        members = {
            p
            for p, role in self.roles.items()
            if role in scope.roles or self.affiliations.get(p) in affiliations
        }
        if scope.states:
            for person, clinical, state in session.execute(
                select(PersonRow.id, CaseRow.clinical, CaseRow.containment).join(
                    CaseRow, CaseRow.person_pk == PersonRow.pk
                )
            ):
                if clinical in scope.states or state in scope.states:
                    members.add(person)
        return sorted(members)

    def _moratorium(self, order: Order, found: Iterable[Gathering]) -> _Moratorium:
        ancestors = {p: lineage for p, (_, lineage) in self.doors.items()}
        windows = tuple(
            (g.place, g.start, g.end)
            for g in found
            if g.status is GatheringStatus.SUSPENDED
            and rules.covers_gathering(order, g, self.roles, ancestors, needs_restricted=True)
        )
        assert order.id is not None
        return _Moratorium(
            order.id,
            order.start,
            order.expiry,
            frozenset(order.scope.roles),
            frozenset(order.scope.places),
            windows,
        )

    def decide(
        self,
        person: str,
        door: str,
        direction: Direction,
        at: int,
        *,
        credential: Credential = Credential.BADGE,
        companions: Sequence[str] = (),
        now: int | None = None,
    ) -> Decision:
        """Allow or deny ``person`` through ``door`` at ``at``, with the reason; queues the log
        entry and any alert (a deny at an exit; a held person at an exit with a foreign device).
        Ids are read as the importers write them (``normalise_id``); with ``now`` (the station
        clock), a time further than ``max_skew`` from it is refused; ``companions`` are who
        goes through with the person (escort policies)."""
        if self._behind is not None:
            engine, self._behind = self._behind, None
            with Session(engine) as session:
                self.catch_up(session)
        if person not in self.roles:
            person = normalise_id(person)
        if door not in self.doors:
            door = normalise_id(door)
        info = self.doors.get(door)
        if not self.loaded or info is None:
            why = "no hold list loaded: fail closed" if not self.loaded else f"unknown door {door}"
            return self._log(Decision(False, why, person, door, direction, at, credential))
        if now is not None and abs(at - now) > self.max_skew:
            why = (
                f"decision time {local_time(at, named=True)} is {abs(at - now)} s from the "
                f"station clock (limit {self.max_skew} s): refused"
            )
            return self._log(Decision(False, why, person, door, direction, at, credential))
        is_exit, lineage = info
        held: Hold | None = None
        verdict: Decision | None = None
        for hold in self.holds.get(person, ()):
            if not hold.in_force(at):
                continue
            held = held or hold
            if verdict is None and (is_exit or hold.kind is not OrderKind.EGRESS_HOLD):
                # At an exit only leaving is refused: a held person coming back aboard is let in.
                keeps_in = direction is Direction.IN and (is_exit or bool(lineage & hold.allowed))
                if not keeps_in:
                    verdict = Decision(
                        False,
                        hold.label,
                        person,
                        door,
                        direction,
                        at,
                        credential,
                        order=hold.order,
                    )
        policy: _Policy | None = None
        if is_exit and direction is Direction.OUT and self.policies:
            policy, cause = self._policy(person, lineage, credential, companions)
            if policy is not None and verdict is None:
                verdict = Decision(
                    False,
                    f"{policy.label}: {cause}",
                    person,
                    door,
                    direction,
                    at,
                    credential,
                    policy=policy.id,
                )
        if is_exit:
            for e in self.emergencies:
                if e.in_force(at) and (not e.places or lineage.intersection(e.places)):
                    would = (
                        f" (would deny: {verdict.reason})"
                        if verdict and not verdict.allowed
                        else ""
                    )
                    verdict = Decision(
                        True,
                        f"{e.kind} emergency {e.id}: exits fail open{would}",
                        person,
                        door,
                        direction,
                        at,
                        credential,
                        emergency=e.id,
                        policy=policy.id if policy is not None else None,
                    )
                    break
        if verdict is None and direction is Direction.IN:
            verdict = self._moratorium_verdict(person, door, lineage, direction, at, credential)
        if verdict is None and is_exit and held is not None:
            verdict = Decision(
                True,
                f"coming back aboard under {held.label}",
                person,
                door,
                direction,
                at,
                credential,
                order=held.order,
            )
        if verdict is None:
            verdict = Decision(True, "no order binds", person, door, direction, at, credential)
        if self.stale:
            verdict = replace(verdict, stale=True, reason=f"{verdict.reason} (last known holds)")
        logged = self._log(verdict, is_exit=is_exit, held=held is not None or policy is not None)
        if policy is not None and policy.action is PolicyAction.HOLD:
            self.alerts.append(
                Alert(
                    AlertKind.EXIT_POLICY,
                    at,
                    f"hold {person} at exit {door}: {policy.label}",
                    Severity.CRITICAL,
                    person if person in self.roles else None,
                    door,
                    _evidence(logged),
                )
            )
        return logged

    def _policy(
        self,
        person: str,
        lineage: frozenset[str],
        credential: Credential,
        companions: Sequence[str],
    ) -> tuple[_Policy | None, str]:
        """The first exit policy in force that refuses this person leaving, if any, and why."""
        role = self.roles.get(person)
        for p in self.policies:
            if (p.places and not (lineage & p.places)) or (role is not None and role in p.exempt):
                continue
            if p.kind is PolicyKind.UNKNOWN_PERSON:
                if role is None:
                    return p, "not in the directory"
            elif p.kind is PolicyKind.FOREIGN_CREDENTIAL:
                if credential in _NO_CREDENTIAL:
                    return p, f"{credential.value} credential at an exit"
            else:
                for c in companions:
                    escort = self._escort(c, p)
                    if escort:
                        return p, f"leaving with {escort}"
        return None, ""

    def _escort(self, companion: str, p: _Policy) -> str:
        """``companion (their group)`` when they belong to the policy's group, else empty."""
        if companion not in self.roles:
            companion = normalise_id(companion)
        role = self.roles.get(companion)
        if role in p.companion_roles:
            return f"{companion} ({role.replace('_', ' ')})"
        affiliation = self.affiliations.get(companion)
        if affiliation is not None and affiliation in p.companion_affiliations:
            return f"{companion} ({affiliation})"
        return ""

    def _moratorium_verdict(
        self,
        person: str,
        door: str,
        lineage: frozenset[str],
        direction: Direction,
        at: int,
        credential: Credential,
    ) -> Decision | None:
        role = self.roles.get(person)
        for m in self.moratoria:
            if role not in m.roles or at < m.start or (m.expiry is not None and at >= m.expiry):
                continue
            covered = bool(lineage & m.places) or any(
                place in lineage and start <= at < end for place, start, end in m.windows
            )
            if covered:
                return Decision(
                    False,
                    f"moratorium (order {m.order}) covers this door",
                    person,
                    door,
                    direction,
                    at,
                    credential,
                    order=m.order,
                )
        return None

    def _log(self, d: Decision, *, is_exit: bool = False, held: bool = False) -> Decision:
        if is_exit or not d.allowed or d.emergency is not None:
            self.pending.append(_row(d))
        if is_exit and (held or not d.allowed):
            verb = "denied" if not d.allowed else "let through"
            self.alerts.append(
                Alert(
                    AlertKind.HELD_AT_EXIT,
                    d.at,
                    f"{d.person} {verb} at exit {d.door}: {d.reason}",
                    Severity.CRITICAL if not d.allowed else Severity.WARNING,
                    d.person,
                    d.door,
                    _evidence(d),
                )
            )
        if is_exit and held and d.credential is Credential.FOREIGN:
            self.alerts.append(
                Alert(
                    AlertKind.FOREIGN_CREDENTIAL,
                    d.at,
                    f"{d.person}, under order, at exit {d.door} with a foreign credential",
                    Severity.CRITICAL,
                    d.person,
                    d.door,
                    _evidence(d),
                )
            )
        return d

    def override(self, decision: Decision, *, guard: Actor, why: str) -> Decision:
        """A guard lets a denied person through on the spot; recorded with who and why."""
        require(guard, Permission.OVERRIDE_ACCESS)
        if not has_visible_text(why):
            raise InvalidValue("an override needs a reason with visible text (give --why)")
        if decision.allowed:
            raise InvalidValue("only a deny can be overridden")
        granted = replace(
            decision,
            allowed=True,
            reason=f"override by {guard.name}: {why} (was: {decision.reason})",
            credential=Credential.OVERRIDE,
            override_by=guard.name,
            override_why=why,
        )
        self.pending.append(_row(granted))
        alert = Alert(
            AlertKind.OVERRIDE,
            decision.at,
            f"{guard.name} let {decision.person} through {decision.door}: {why}",
            Severity.WARNING,
            decision.person,
            decision.door,
            _evidence(granted),
        )
        self.alerts.append(alert)
        self.alert_actors[id(alert)] = guard.name  # audited with the guard, not "access"
        return granted

    def flush(self, session: Session, *, actor: str = "access") -> int:
        """Write the queued decisions and alerts; returns how many decisions were written. On a
        store failure they stay queued for the next flush."""
        if not self.pending and not self.alerts:
            return 0
        rows, alerts = list(self.pending), list(self.alerts)
        try:
            with unit_of_work(session):
                records.add_decisions(session, rows)
                people, places = self.person_keys, self.place_keys
                if any(a.person not in people for a in alerts if a.person):
                    people = directory.person_keys(session)
                if any(a.place not in places for a in alerts if a.place):
                    places = directory.place_keys(session)
                by_actor: dict[str, list[Alert]] = {}
                for a in alerts:
                    by_actor.setdefault(self.alert_actors.get(id(a), actor), []).append(a)
                for who, mine in by_actor.items():
                    records.add_alerts(
                        session,
                        [(a, people.get(a.person or ""), places.get(a.place or "")) for a in mine],
                        actor=who,
                    )
        except (SQLAlchemyError, CordonError):
            self.stale = True
            return 0
        del self.pending[: len(rows)]
        del self.alerts[: len(alerts)]
        for a in alerts:
            self.alert_actors.pop(id(a), None)
        return len(rows)


def _lineage(place: str, parents: Mapping[str, str | None]) -> list[str]:
    out: list[str] = []
    current: str | None = place
    while current is not None and current not in out:
        out.append(current)
        current = parents.get(current)
    return out


def allowed_places(
    kind: OrderKind, assigned: str | None, home: str | None, beds: frozenset[str]
) -> frozenset[str]:
    """The places a person under ``kind`` may still enter: their assigned place, else their home
    (quarantine) or any ward or isolation room (isolation); an egress hold restricts only exits."""
    if kind is OrderKind.EGRESS_HOLD:
        return frozenset()
    if assigned is not None:
        return frozenset({assigned})
    if kind is OrderKind.QUARANTINE and home is not None:
        return frozenset({home})
    return beds


def _evidence(d: Decision) -> tuple[str, ...]:
    out = [f"door:{d.door}", f"at:{d.at}", f"credential:{d.credential.value}"]
    if d.order is not None:
        out.append(f"order:{d.order}")
    if d.emergency is not None:
        out.append(f"emergency:{d.emergency}")
    if d.policy is not None:
        out.append(f"exit_policy:{d.policy}")
    return tuple(out)


def _row(d: Decision) -> dict[str, Any]:
    return {
        "at": d.at,
        "person": d.person,
        "place": d.door,
        "direction": d.direction.value,
        "credential": d.credential.value,
        "allowed": d.allowed,
        "reason": d.reason,
        "order_pk": d.order,
        "override_by": d.override_by,
        "override_why": d.override_why,
        "emergency_pk": d.emergency,
    }
