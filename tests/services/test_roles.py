"""Roles are enforced in the services: what each role may read and write."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cordon.domain.cases import Clinical, Containment
from cordon.domain.roles import Actor, UserRole
from cordon.errors import PermissionDenied
from cordon.formats.schemas import Kind
from cordon.services import admin, cases, directory
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import AuditRow, PresenceRow
from tests.factory import station, write

UTC = ZoneInfo("UTC")
LEAD, MEDIC, GUARD, WATCHER, DOOR = (
    Actor(role.value, role)
    for role in (
        UserRole.COMMAND,
        UserRole.MEDICAL,
        UserRole.SECURITY,
        UserRole.OBSERVER,
        UserRole.DOOR,
    )
)


@pytest.fixture
def facility(store: Store, tmp_path: Path) -> Store:
    files = station(tmp_path)
    lab = write(
        tmp_path,
        "lab.csv",
        "person,collected_at,assay,result,quantity\n"
        "p1,2026-11-21T08:00Z,nanite PCR,positive,1200\n",
    )
    with store.session() as session:
        for kind in ("places", "people", "presence"):
            import_file(session, files[kind], kind=Kind(kind), actor=LEAD, zone=UTC)
        import_file(session, lab, kind=Kind.LAB, actor=MEDIC, zone=UTC)
        cases.change_case(
            session,
            "p1",
            actor=MEDIC,
            reason="positive",
            at=1,
            clinical=Clinical.CONFIRMED,
            containment=Containment.ISOLATED,
            assigned_place="ward-1",
        )
    return store


def test_security_sees_locations_and_orders_but_no_clinical_detail(facility: Store) -> None:
    with facility.session() as session:
        seen = directory.person_timeline(session, "p1", actor=GUARD)
        listed = cases.list_cases(session, actor=GUARD)
        held = cases.list_cases(session, actor=GUARD, status=Containment.UNDER_ORDER)
        for telling in (Clinical.CONFIRMED, Containment.ISOLATED, Containment.QUARANTINED):
            with pytest.raises(PermissionDenied):
                cases.list_cases(session, actor=GUARD, status=telling)
        reads = session.scalars(select(AuditRow).where(AuditRow.action == "read")).all()
    assert seen.presence and not seen.lab and not seen.exposures
    # "isolated" would say p1 is a confirmed case: security reads only "under order"
    assert seen.case.clinical is None and seen.case.containment is Containment.UNDER_ORDER
    assert [(c.person, c.clinical, c.containment) for c in listed] == [
        ("p1", None, Containment.UNDER_ORDER)
    ]
    assert [c.person for c in held] == ["p1"]
    assert [(r.actor, r.entity, r.entity_id) for r in reads] == [
        ("security", "person_timeline", "p1")
    ]


def test_medical_reads_of_a_clinical_record_are_audited_with_the_user(facility: Store) -> None:
    with facility.session() as session:
        seen = directory.person_timeline(session, "p1", actor=MEDIC)
        reads = session.scalars(select(AuditRow).where(AuditRow.action == "read")).all()
    assert [r.result for r in seen.lab] == ["positive"] and seen.case.clinical is Clinical.CONFIRMED
    assert [(r.actor, r.entity, r.entity_id) for r in reads] == [
        ("medical", "clinical_record", "p1")
    ]


def test_a_case_list_with_clinical_states_is_audited_whatever_the_interface(
    facility: Store,
) -> None:
    with facility.session() as session:
        cases.list_cases(session, actor=GUARD)  # containment only: nothing clinical read
        shown = cases.list_cases(session, actor=MEDIC, status=Clinical.CONFIRMED)
        page, total = cases.case_page(session, actor=LEAD)
        reads = session.scalars(select(AuditRow).where(AuditRow.entity == "case_list")).all()
    assert [c.person for c in shown] == [c.person for c in page] == ["p1"] and total == 1
    assert sorted((r.actor, r.entity_id or "", r.after) for r in reads) == [
        ("command", "", {"persons": ["p1"]}),
        ("medical", "confirmed", {"persons": ["p1"]}),
    ]


@pytest.mark.parametrize("actor", [WATCHER, DOOR])
def test_observers_and_doors_get_no_names(facility: Store, actor: Actor) -> None:
    with facility.session() as session:
        for call in (
            lambda: directory.list_people(session, actor=actor),
            lambda: directory.person_timeline(session, "p1", actor=actor),
            lambda: cases.list_cases(session, actor=actor),
            lambda: admin.read_audit(session, actor=actor),
        ):
            with pytest.raises(PermissionDenied):
                call()


def test_a_forbidden_import_leaves_nothing_in_the_store(facility: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "more.csv", "person,place,start,end\np2,hall,0,60\n")
    with facility.session() as session:
        before = len(session.scalars(select(PresenceRow)).all())
        for actor in (MEDIC, WATCHER, DOOR):
            with pytest.raises(PermissionDenied, match="import badge and door records"):
                import_file(session, path, kind=Kind.PRESENCE, actor=actor, zone=UTC)
        assert len(session.scalars(select(PresenceRow)).all()) == before
        assert import_file(session, path, kind=Kind.PRESENCE, actor=GUARD, zone=UTC).added == 1
