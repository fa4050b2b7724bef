"""Exit policies and group holds at the doors, against a twin that reads the store's rows.

The twin knows nothing of the index: it reads ``person``, ``exit_policy``, ``case_state`` and
``containment_order`` and works out, for one passage, which policy or group hold refuses it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.alerts import AlertKind
from cordon.domain.exit_policy import PolicyAction, PolicyKind, PolicyStatus
from cordon.domain.ids import normalise_id
from cordon.domain.orders import OrderKind
from cordon.domain.records import Credential, Direction
from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, PermissionDenied
from cordon.services import access, containment, exit_policies, orders
from cordon.store import audit
from cordon.store.db import Store
from cordon.store.models import CaseRow, ExitPolicyRow, OrderRow, PersonRow, PlaceRow
from cordon.times import parse_time
from tests.services.containment_fixtures import LEAD, load_venus

NOW = parse_time("2026-11-25T06:00:00Z")
SECURITY = Actor("dominic", UserRole.SECURITY)
PEOPLE = ["w1", "w3", "w8", "v1", "v2", "s1", "d1", "g1", "m1", "ghost", "W1 ", "v2\u200b"]
DOORS = ["al-1", "al-2", "dock", "hall", "ring"]


@pytest.fixture
def venus(store: Store, tmp_path: Path) -> Store:
    load_venus(store, tmp_path)
    return store


def _set_station_policies(session: Session) -> None:
    exit_policies.set_policy(
        session,
        actor=LEAD,
        kind=PolicyKind.FOREIGN_CREDENTIAL,
        at=NOW,
        reason="station devices only",
        action=PolicyAction.HOLD,
        exempt_roles=["crew"],
    )
    exit_policies.set_policy(
        session,
        actor=LEAD,
        kind=PolicyKind.ESCORT,
        at=NOW,
        reason="no escorts by the visiting crew",
        companion_roles=["visiting crew"],
        places=["al-1", "al-2"],
    )
    exit_policies.set_policy(
        session, actor=LEAD, kind=PolicyKind.UNKNOWN_PERSON, at=NOW, reason="known ids only"
    )


def twin(
    session: Session,
    person: str,
    door: str,
    credential: Credential,
    companions: list[str],
) -> int | None:
    """The policy (its row's key) that refuses ``person`` leaving by ``door``, from the rows."""
    place = session.scalar(select(PlaceRow).where(PlaceRow.id == door))
    assert place is not None
    if not place.exit:
        return None
    lineage, row = set(), place
    while row is not None:
        lineage.add(row.id)
        row = session.get(PlaceRow, row.parent_pk) if row.parent_pk else None
    pid = person.strip().lower().replace("\u200b", "")
    me = session.scalar(select(PersonRow).where(PersonRow.id == pid))
    for p in session.scalars(
        select(ExitPolicyRow).where(ExitPolicyRow.status == "active").order_by(ExitPolicyRow.name)
    ):
        if p.scope["places"] and not lineage & set(p.scope["places"]):
            continue
        if me is not None and me.role in p.scope["exempt_roles"]:
            continue
        if p.kind == "unknown_person" and me is None:
            return p.pk
        if p.kind == "foreign_credential" and credential in (Credential.FOREIGN, Credential.NONE):
            return p.pk
        if p.kind == "escort":
            for c in companions:
                them = session.scalar(select(PersonRow).where(PersonRow.id == c))
                if them is not None and them.role in p.scope["companion_roles"]:
                    return p.pk
    return None


def test_decisions_agree_with_the_twin_on_random_passages(venus: Store) -> None:
    rng = random.Random(18)
    with venus.session() as session:
        _set_station_policies(session)
        index = access.AccessIndex.from_store(session, actor=LEAD)
        denied = 0
        for _ in range(600):
            person, door = rng.choice(PEOPLE), rng.choice(DOORS)
            credential = rng.choice(list(Credential))
            companions = rng.sample(["v1", "v3", "w2", "s1", "nobody"], rng.randint(0, 2))
            got = index.decide(
                person, door, Direction.OUT, NOW, credential=credential, companions=companions
            )
            want = twin(session, person, door, credential, companions)
            assert (got.allowed, got.policy) == (want is None, want), (person, door, got)
            if want is not None:
                denied += 1
                assert f"(policy {want})" in got.reason
            # Coming back aboard is never refused by an exit policy.
            back = index.decide(person, door, Direction.IN, NOW, credential=credential)
            assert back.allowed and back.policy is None
        assert 100 < denied < 550  # both answers are well represented
        index.flush(session)
        kinds = session.scalars(select(func.count()).select_from(OrderRow)).one()
        assert kinds == 0  # policies are no orders


def test_set_versions_audits_and_lifts(venus: Store) -> None:
    with venus.session() as session:
        first = exit_policies.set_policy(
            session, actor=LEAD, kind=PolicyKind.UNKNOWN_PERSON, at=NOW, reason="known ids"
        )
        second = exit_policies.set_policy(
            session,
            actor=LEAD,
            kind=PolicyKind.UNKNOWN_PERSON,
            at=NOW + 60,
            reason="and security called",
            action=PolicyAction.HOLD,
        )
        assert (first.version, second.version, second.name) == (1, 2, "unknown-person")
        versions = exit_policies.history(session, "unknown-person", actor=SECURITY)
        assert [(p.version, p.status) for p in versions] == [
            (1, PolicyStatus.SUPERSEDED),
            (2, PolicyStatus.ACTIVE),
        ]
        assert versions[0].close_reason == "superseded: and security called"
        index = access.AccessIndex.from_store(session, actor=LEAD)
        held = index.decide("ghost", "al-1", Direction.OUT, NOW)
        assert not held.allowed and held.policy == second.id
        assert "v2" in held.reason and "not in the directory" in held.reason
        assert [a.kind for a in index.alerts] == [AlertKind.HELD_AT_EXIT, AlertKind.EXIT_POLICY]
        lifted = exit_policies.lift_policy(
            session, "unknown-person", actor=LEAD, at=NOW + 120, reason="drill over"
        )
        assert lifted.status is PolicyStatus.LIFTED
        # The index made from this session follows its commits: the lift is in force at once.
        assert index.decide("ghost", "al-1", Direction.OUT, NOW).allowed
        trail = audit.list_entries(session, entity="exit_policy", limit=10)
        assert sorted(e.action for e in trail) == ["create", "create", "lifted", "superseded"]
        with pytest.raises(InvalidValue, match="in force"):
            exit_policies.lift_policy(session, "unknown-person", actor=LEAD, at=NOW, reason="x")


def test_only_command_sets_policies_and_bad_ones_write_nothing(venus: Store) -> None:
    with venus.session() as session:
        before = session.scalar(select(func.count()).select_from(ExitPolicyRow))
        with pytest.raises(PermissionDenied):
            exit_policies.set_policy(
                session, actor=SECURITY, kind=PolicyKind.ESCORT, at=NOW, reason="x"
            )
        with pytest.raises(InvalidValue, match="companions' group"):
            exit_policies.set_policy(
                session, actor=LEAD, kind=PolicyKind.ESCORT, at=NOW, reason="no group"
            )
        with pytest.raises(InvalidValue, match="visible text"):
            exit_policies.set_policy(
                session, actor=LEAD, kind=PolicyKind.UNKNOWN_PERSON, at=NOW, reason="  "
            )
        assert session.scalar(select(func.count()).select_from(ExitPolicyRow)) == before


def test_a_life_safety_emergency_still_fails_open_and_alerts(venus: Store) -> None:
    from cordon.services import emergencies

    with venus.session() as session:
        _set_station_policies(session)
        emergencies.declare_emergency(
            session, actor=LEAD, kind="fire", start=NOW - 60, reason="ring fire", places=["al-1"]
        )
        index = access.AccessIndex.from_store(session, actor=LEAD)
        out = index.decide("ghost", "al-1", Direction.OUT, NOW)
        assert out.allowed and out.emergency is not None and out.policy is not None
        assert "would deny: exit policy unknown-person" in out.reason
        assert any(
            a.kind is AlertKind.HELD_AT_EXIT and "let through" in a.message for a in index.alerts
        )
        assert not index.decide("ghost", "al-2", Direction.OUT, NOW).allowed  # not that exit


def test_a_group_hold_binds_everyone_of_the_group_and_its_lift_frees_them(venus: Store) -> None:
    with venus.session() as session:
        containment.apply_rules(session, actor=LEAD, now=NOW)  # quarantines: exposed cases
        index = access.AccessIndex.from_store(session, actor=LEAD)
        free_before = {
            p for p in index.roles if index.decide(p, "dock", Direction.OUT, NOW).allowed
        }
        by_role = orders.issue_order(
            session,
            actor=LEAD,
            kind=OrderKind.EGRESS_HOLD,
            start=NOW,
            reason="all performers",
            scope=orders.group_scope(["performer"]),
        )
        by_state = orders.issue_order(
            session,
            actor=LEAD,
            kind=OrderKind.EGRESS_HOLD,
            start=NOW,
            reason="all confirmed and exposed",
            scope=orders.group_scope([], [], ["confirmed", "exposed"]),
        )
        performers = set(session.scalars(select(PersonRow.id).where(PersonRow.role == "performer")))
        exposed = set(
            session.scalars(
                select(PersonRow.id)
                .join(CaseRow, CaseRow.person_pk == PersonRow.pk)
                .where(CaseRow.clinical.in_(["confirmed", "exposed"]))
            )
        )
        assert performers and exposed - performers
        for person in index.roles:
            got = index.decide(person, "al-2", Direction.OUT, NOW)
            if person in performers | exposed:
                assert not got.allowed, got
                assert got.order in (by_role.id, by_state.id) or person not in free_before
            else:
                assert got.allowed == (person in free_before), got
        w = index.decide(
            "w8" if "w8" in exposed else sorted(exposed)[0], "dock", Direction.OUT, NOW
        )
        assert "every confirmed, every exposed" in w.reason or "under order" in w.reason
        with pytest.raises(PermissionDenied):  # a group by case state needs clinical rights
            orders.issue_order(
                session,
                actor=SECURITY,
                kind=OrderKind.EGRESS_HOLD,
                start=NOW,
                reason="x",
                scope=orders.group_scope([], [], ["confirmed"]),
            )
        for order in (by_role, by_state):
            assert order.id is not None
            orders.lift_order(session, order.id, actor=LEAD, at=NOW, reason="cleared")
        assert {
            p for p in index.roles if index.decide(p, "dock", Direction.OUT, NOW).allowed
        } == free_before


def test_a_decision_time_far_from_the_station_clock_is_refused(venus: Store) -> None:
    with venus.session() as session:
        index = access.AccessIndex.from_store(session, actor=LEAD)
        index.max_skew = 300
        assert index.decide("w8", "hall", Direction.IN, NOW + 300, now=NOW).allowed
        far = index.decide("w8", "hall", Direction.IN, NOW - 301, now=NOW)
        assert not far.allowed and "from the station clock (limit 300 s)" in far.reason


@pytest.mark.parametrize("raw", [" w1", "W1", "w1\u200b", "\uff37\uff11", "\u200dw1\t"])
def test_the_door_reads_ids_as_the_importer_writes_them(venus: Store, raw: str) -> None:
    with venus.session() as session:
        index = access.AccessIndex.from_store(session, actor=LEAD)
        assert normalise_id(raw) == "w1"
        assert index.decide(raw, "hall", Direction.IN, NOW).person == "w1"
