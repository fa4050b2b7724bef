"""Access decisions: the in-memory index against a slow twin that queries the store each time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain import moratoria as morat_rules
from cordon.domain.alerts import AlertKind
from cordon.domain.cases import Clinical, Containment
from cordon.domain.gatherings import GatheringStatus
from cordon.domain.orders import Order, OrderKind, Scope
from cordon.domain.records import Credential, Direction
from cordon.domain.roles import Actor, UserRole
from cordon.domain.rules import held_by_case
from cordon.errors import InvalidValue, PermissionDenied
from cordon.services import access, alerts, cases, containment, emergencies, moratoria, orders
from cordon.store import gatherings
from cordon.store.db import Store
from cordon.store.models import (
    AccessDecisionRow,
    CaseRow,
    EmergencyRow,
    OrderRow,
    PersonRow,
    PlaceRow,
)
from cordon.times import parse_time
from tests.services.containment_fixtures import LEAD, load_venus, sqlite_store

NOW = parse_time("2026-11-25T06:00:00Z")
GUARD = Actor("dominic", UserRole.SECURITY)


def reference(
    session: Session, person: str, door: str, direction: Direction, at: int
) -> tuple[bool, int | None, int | None]:
    """The decision worked out from the store alone: (allowed, order, emergency)."""
    place = session.scalar(select(PlaceRow).where(PlaceRow.id == door))
    if place is None:
        return False, None, None
    lineage, row = set(), place
    while row is not None:
        lineage.add(row.id)
        row = session.get(PlaceRow, row.parent_pk) if row.parent_pk else None
    me = session.scalar(select(PersonRow).where(PersonRow.id == person))
    binding: list[tuple[int, int, str, int | None]] = []  # (start, rank, kind, order)
    case = session.scalar(select(CaseRow).where(CaseRow.person_pk == me.pk)) if me else None
    if me is not None:
        active = list(
            session.scalars(
                select(OrderRow)
                .where(OrderRow.person_pk == me.pk, OrderRow.status == "active")
                .order_by(OrderRow.start_time, OrderRow.pk)
            )
        )
        binding = [
            (o.start_time, 0, o.kind, o.pk)
            for o in active
            if o.start_time <= at and (o.expiry is None or at < o.expiry)
        ]
        confined = any(o.kind in ("quarantine", "isolation") for o in active)
        if case is not None and not confined and case.since <= at:
            implied = held_by_case(
                Clinical(case.clinical) if case.clinical else None, Containment(case.containment)
            )
            if implied is not None:
                binding.append((case.since, 1, implied.value, None))
        binding.sort(key=lambda b: (b[0], b[1]))
    verdict: tuple[bool, int | None, int | None] | None = None
    for _start, _rank, kind, order_pk in binding:
        if place.exit:
            if direction is Direction.OUT:
                verdict = (False, order_pk, None)
                break
            continue  # coming back aboard
        if kind == OrderKind.EGRESS_HOLD.value:
            continue
        if case is not None and case.assigned_place_pk is not None:
            allowed = {session.get(PlaceRow, case.assigned_place_pk).id}  # type: ignore[union-attr]
        elif kind == OrderKind.QUARANTINE.value and me is not None and me.home_pk is not None:
            allowed = {session.get(PlaceRow, me.home_pk).id}  # type: ignore[union-attr]
        else:
            allowed = set(
                session.scalars(
                    select(PlaceRow.id).where(PlaceRow.kind.in_(["ward", "isolation_room"]))
                )
            )
        if not (direction is Direction.IN and lineage & allowed):
            verdict = (False, order_pk, None)
            break
    if place.exit:
        for e in session.scalars(select(EmergencyRow).order_by(EmergencyRow.start_time)):
            in_force = e.start_time <= at and (e.end_time is None or at < e.end_time)
            if in_force and (not e.places or lineage & set(e.places)):
                return True, None, e.pk
    if verdict is not None:
        return verdict
    if direction is Direction.IN and me is not None:
        roles = dict(session.execute(select(PersonRow.id, PersonRow.role)).all())
        chain = _ancestors(session)
        query = select(OrderRow).where(OrderRow.kind == "moratorium", OrderRow.status == "active")
        for m in session.scalars(query.order_by(OrderRow.pk)):
            if me.role not in m.scope.get("roles", []):
                continue
            if not (m.start_time <= at and (m.expiry is None or at < m.expiry)):
                continue
            if lineage & set(m.scope.get("places", [])):
                return False, m.pk, None
            order = Order(
                m.pk,
                OrderKind.MORATORIUM,
                None,
                m.start_time,
                m.expiry,
                "",
                "",
                Scope.from_json(m.scope),
            )
            for g in gatherings.list_gatherings(session):
                if (
                    g.status is GatheringStatus.SUSPENDED
                    and g.place in lineage
                    and g.start <= at < g.end
                    and morat_rules.covers_gathering(order, g, roles, chain, needs_restricted=True)
                ):
                    return False, m.pk, None
    if place.exit and binding:
        return True, binding[0][3], None  # a held person coming back aboard
    return True, None, None


def _ancestors(session: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in session.scalars(select(PlaceRow)):
        up, names = p.parent_pk, []
        while up is not None:
            parent = session.get(PlaceRow, up)
            assert parent is not None
            names.append(parent.id)
            up = parent.parent_pk
        out[p.id] = names
    return out


@pytest.fixture
def scene(store: Store, tmp_path: Path) -> Store:
    """Venus after the rules, with a hold, an assigned place, a moratorium and an emergency,
    on SQLite and PostgreSQL."""
    return build_scene(store, tmp_path)


@pytest.fixture
def lite(sqlite_url: str, tmp_path: Path) -> Iterator[Store]:
    """The same scene on SQLite only (the twin test runs it on both databases)."""
    store = build_scene(sqlite_store(sqlite_url), tmp_path)
    yield store
    store.dispose()


def build_scene(store: Store, tmp_path: Path) -> Store:
    """Load the scene into ``store``."""
    load_venus(store, tmp_path)
    with store.session() as s:
        containment.apply_rules(s, actor=LEAD, now=NOW)
        orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.EGRESS_HOLD,
            person="w8",
            start=NOW,
            expiry=NOW + 7200,
            reason="witness",
        )
        orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.EGRESS_HOLD,
            person="d1",
            start=NOW + 600,
            reason="director stays",
        )
        cases.change_case(s, "w2", actor=LEAD, reason="bed", at=NOW, assigned_place="ward-1a")
        # States set by hand, with no order behind them: the doors must still hold these people.
        cases.change_case(
            s, "g3", actor=LEAD, reason="fever", at=NOW + 300, containment=Containment.ISOLATED
        )
        cases.change_case(
            s,
            "m1",
            actor=LEAD,
            reason="contact",
            at=NOW - 300,
            clinical=Clinical.EXPOSED,
            containment=Containment.MISSING,
        )
        moratoria.issue_moratorium(
            s,
            actor=LEAD,
            start=parse_time("2026-11-25T12:00:00Z"),
            today=True,
            reason="just for today",
        )
        moratoria.issue_moratorium(
            s,
            actor=LEAD,
            start=NOW,
            expiry=NOW + 3600,
            places=["suite-w"],
            roles=["visiting_crew"],
            reason="suite closed",
        )
        emergencies.declare_emergency(
            s, actor=GUARD, kind="fire", start=NOW + 1800, reason="ring fire", places=["al-2"]
        )
        emergency = s.scalars(select(EmergencyRow)).one()
        emergencies.end_emergency(s, emergency.pk, actor=GUARD, at=NOW + 2400)
    return store


def _instants(session: Session) -> list[int]:
    marks = {NOW, parse_time("2026-11-25T21:30:00Z"), parse_time("2026-11-25T22:30:00Z")}
    for o in session.scalars(select(OrderRow)):
        marks.add(o.start_time)
        if o.expiry is not None:
            marks.add(o.expiry)
    marks.update(session.scalars(select(CaseRow.since)))
    for e in session.scalars(select(EmergencyRow)):
        marks.add(e.start_time)
        if e.end_time is not None:
            marks.add(e.end_time)
    return sorted(t + d for t in marks for d in (-1, 0, 1))


def test_decide_agrees_with_the_store_on_thousands_of_random_cases(scene: Store) -> None:
    rng = random.Random(5)
    n = 3000 if scene.is_sqlite else 600
    with scene.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        people = [*s.scalars(select(PersonRow.id)), "nobody"]
        doors = [*s.scalars(select(PlaceRow.id)), "no-door"]
        for _ in range(12):  # random orders written after the index was built
            start = NOW + rng.randrange(-86_400, 86_400)
            kind = rng.choice([OrderKind.EGRESS_HOLD, OrderKind.QUARANTINE])
            expiry = start + rng.randrange(60, 86_400) if rng.random() < 0.8 else None
            orders.issue_order(
                s,
                actor=LEAD,
                kind=kind,
                person=rng.choice(people[:-1]),
                start=start,
                expiry=expiry,
                reason="random",
            )
        instants = _instants(s)
        denied = allowed = 0
        for _ in range(n):
            person, door = rng.choice(people), rng.choice(doors)
            direction = rng.choice(list(Direction))
            at = (
                rng.choice(instants)
                if rng.random() < 0.7
                else rng.randrange(NOW - 86_400, NOW + 2 * 86_400)
            )
            got = index.decide(person, door, direction, at)
            want = reference(s, person, door, direction, at)
            assert (got.allowed, got.order, got.emergency) == want, (
                person,
                door,
                direction,
                at,
                got,
            )
            denied += not got.allowed
            allowed += got.allowed
        assert denied > n // 10 and allowed > n // 10


def test_a_new_order_binds_every_door_at_once_and_lifting_frees(lite: Store) -> None:
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        assert index.decide("g1", "al-1", Direction.OUT, NOW + 60).allowed
        hold = orders.issue_order(
            s,
            actor=GUARD,
            kind=OrderKind.EGRESS_HOLD,
            person="g1",
            start=NOW,
            reason="held for questioning",
        )
        for exit_ in ("al-1", "al-2", "dock"):
            d = index.decide("g1", exit_, Direction.OUT, NOW + 60)
            assert not d.allowed and d.order == hold.id and "egress hold" in d.reason
        assert index.decide("g1", "hall", Direction.IN, NOW + 60).allowed
        orders.lift_order(s, hold.id or 0, actor=GUARD, at=NOW + 120, reason="cleared")
        assert index.decide("g1", "al-1", Direction.OUT, NOW + 60).allowed


def test_quarantine_and_isolation_keep_people_to_their_place(lite: Store) -> None:
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        at = NOW + 60
        assert index.decide("w2", "ward-1a", Direction.IN, at).allowed  # her assigned bay
        assert not index.decide("w2", "ward-1", Direction.OUT, at).allowed
        assert not index.decide("w1", "hall", Direction.IN, at).allowed
        assert index.decide("w7", "q-3", Direction.IN, at).allowed  # quarantine at home
        assert not index.decide("w7", "q-3", Direction.OUT, at).allowed
        assert not index.decide("w7", "dock", Direction.OUT, at).allowed
        by_case = index.decide("g3", "al-1", Direction.OUT, NOW + 300)
        assert not by_case.allowed and by_case.order is None and "no order" in by_case.reason
        assert index.decide("g3", "al-1", Direction.OUT, NOW + 299).allowed
        assert not index.decide("m1", "dock", Direction.OUT, at).allowed


def test_exits_fail_open_in_an_emergency_and_every_passage_is_logged(lite: Store) -> None:
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        during = NOW + 2000
        d = index.decide("w1", "al-2", Direction.OUT, during)
        assert d.allowed and d.emergency is not None and "fire" in d.reason
        assert not index.decide("w1", "al-1", Direction.OUT, during).allowed  # not in its scope
        assert not index.decide("w1", "al-2", Direction.OUT, NOW + 2400).allowed  # ended
        assert index.decide("g1", "al-2", Direction.OUT, during).allowed
        written = index.flush(s)
        assert written == 4
        logged = list(
            s.scalars(select(AccessDecisionRow).where(AccessDecisionRow.emergency_pk.is_not(None)))
        )
        assert {r.person for r in logged} == {"w1", "g1"}


def test_denies_at_exits_and_foreign_devices_raise_alerts_and_guards_may_override(
    lite: Store,
) -> None:
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        d = index.decide("w3", "al-1", Direction.OUT, NOW, credential=Credential.FOREIGN)
        assert not d.allowed
        with pytest.raises(PermissionDenied):
            index.override(d, guard=Actor("door-7", UserRole.DOOR), why="x")
        with pytest.raises(InvalidValue):
            index.override(d, guard=GUARD, why=" ")
        granted = index.override(d, guard=GUARD, why="escorted to the ward")
        assert granted.allowed and granted.override_by == "dominic"
        assert index.decide("w8", "hall", Direction.IN, NOW).allowed  # a hold binds exits only
        index.flush(s)
        kinds = [
            a.alert.kind
            for a in alerts.list_alerts(s, actor=LEAD, since=NOW, limit=None)[0]
            if a.alert.person == "w3" and a.alert.at == NOW
        ]
        assert set(kinds) == {
            AlertKind.HELD_AT_EXIT,
            AlertKind.FOREIGN_CREDENTIAL,
            AlertKind.OVERRIDE,
        }
        row = s.scalars(
            select(AccessDecisionRow).where(AccessDecisionRow.override_by.is_not(None))
        ).one()
        assert (row.person, row.override_why, row.allowed) == ("w3", "escorted to the ward", True)


def test_the_moratorium_closes_covered_doors_to_the_crew_only(lite: Store) -> None:
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        show = parse_time("2026-11-25T21:30:00Z")
        d = index.decide("v4", "hall", Direction.IN, show)
        assert not d.allowed and "moratorium" in d.reason
        assert index.decide("v4", "hall", Direction.IN, parse_time("2026-11-26T19:30:00Z")).allowed
        assert index.decide("g2", "hall", Direction.IN, show).allowed
        assert not index.decide("v4", "suite-w", Direction.IN, NOW + 60).allowed
        assert index.decide("v4", "suite-w", Direction.IN, NOW + 3600).allowed


def test_with_the_store_away_held_persons_stay_denied(lite: Store, tmp_path: Path) -> None:
    assert not access.AccessIndex().decide("g1", "al-1", Direction.OUT, NOW).allowed
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
    gone = Store(f"sqlite:///{tmp_path / 'nowhere' / 'missing.db'}")
    with gone.session() as broken:
        index.refresh(broken)
        assert index.stale
        d = index.decide("w1", "al-1", Direction.OUT, NOW)
        assert not d.allowed and d.stale and "last known holds" in d.reason
        assert index.decide("g1", "al-1", Direction.OUT, NOW).allowed
        assert index.flush(broken) == 0 and index.pending
    with lite.session() as s:
        index.refresh(s)
        assert not index.stale
        assert index.flush(s) > 0 and not index.pending


def test_only_roles_that_decide_access_may_load_the_index(lite: Store) -> None:
    with lite.session() as s:
        door = access.AccessIndex.from_store(s, actor=Actor("door-3", UserRole.DOOR))
        assert not door.decide("w1", "al-1", Direction.OUT, NOW).allowed
        with pytest.raises(PermissionDenied):
            access.AccessIndex.from_store(s, actor=Actor("nurse", UserRole.MEDICAL))


def test_a_held_person_coming_back_aboard_is_let_in_and_security_alerted(lite: Store) -> None:
    with lite.session() as s:
        index = access.AccessIndex.from_store(s, actor=LEAD)
        back = index.decide("w3", "al-1", Direction.IN, NOW)
        assert back.allowed and back.order is not None and "coming back aboard" in back.reason
        assert not index.decide("w3", "al-1", Direction.OUT, NOW).allowed
        index.flush(s)
        seen = alerts.list_alerts(s, actor=LEAD, kind=AlertKind.HELD_AT_EXIT, since=NOW)[0]
        assert {(a.alert.severity.value, a.alert.message.split(" at ")[0]) for a in seen} == {
            ("warning", "w3 let through"),
            ("critical", "w3 denied"),
        }
