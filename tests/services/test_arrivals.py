"""Vessel manifests: each person's fate from the berth passages, against a twin written from
the passages' own story, and the screening of arrivals (alerts once each)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cordon.domain.alerts import AlertKind
from cordon.errors import ImportRefused
from cordon.formats.schemas import Kind
from cordon.services import arrivals, moratoria
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import AlertRow, ManifestEntryRow
from cordon.times import parse_time
from tests.services.containment_fixtures import LEAD, load_venus

UTC = ZoneInfo("UTC")
NOW = parse_time("2026-11-25T12:00:00Z")
# g1 comes in and goes on aboard (arrived), g2 comes in and goes back (turned back), g3 never
# comes (still aboard the vessel), v4 comes aboard and leaves hours later (departed).
PASSAGES = """person,place,time,direction
g1,dock,2026-11-25T10:00:00Z,in
g1,dock,2026-11-25T10:20:00Z,out
g1,ring,2026-11-25T10:20:30Z,in
g2,dock,2026-11-25T10:00:00Z,in
g2,dock,2026-11-25T10:30:00Z,out
v4,dock,2026-11-25T10:00:00Z,in
v4,dock,2026-11-25T10:10:00Z,out
v4,ring,2026-11-25T10:10:00Z,in
v4,dock,2026-11-25T11:30:00Z,out
"""
MANIFEST = """vessel,expected,person,role,affiliation
tourist shuttle,2026-11-25T10:00:00Z,G1 ,guest,shuttle
tourist shuttle,2026-11-25T10:00:00Z,g2,guest,shuttle
tourist shuttle,2026-11-25T10:00:00Z,g3,guest,shuttle
warrior vessel,2026-11-25T10:00:00Z,v4,visiting_crew,vessel
"""
TRUTH = {"g1": "arrived", "g2": "turned_back", "g3": "aboard_vessel", "v4": "departed"}


@pytest.fixture
def docked(store: Store, tmp_path: Path) -> Store:
    load_venus(store, tmp_path)
    (tmp_path / "berth.csv").write_text(PASSAGES)
    (tmp_path / "manifest.csv").write_text(MANIFEST)
    with store.session() as session:
        import_file(session, tmp_path / "berth.csv", kind=Kind.PASSAGES, actor=LEAD, zone=UTC)
        assert arrivals.import_manifest(session, tmp_path / "manifest.csv", actor=LEAD, zone=UTC)
    return store


def test_each_person_s_fate_from_the_berth_passages(docked: Store, tmp_path: Path) -> None:
    with docked.session() as session:
        found = {v.vessel: v for v in arrivals.arrivals(session, actor=LEAD)}
        assert set(found) == {"tourist shuttle", "warrior vessel"}
        fates = {a.person: a.status for v in found.values() for a in v.people}
        assert fates == TRUTH
        shuttle = found["tourist shuttle"]
        assert (len(shuttle.people), shuttle.count("arrived"), shuttle.count("turned_back")) == (
            3,
            1,
            1,
        )
        assert [v.vessel for v in arrivals.arrivals(session, actor=LEAD, vessel="warrior vessel")]
        # The same file again writes nothing.
        before = session.scalar(select(func.count()).select_from(ManifestEntryRow))
        arrivals.import_manifest(session, tmp_path / "manifest.csv", actor=LEAD, zone=UTC)
        assert session.scalar(select(func.count()).select_from(ManifestEntryRow)) == before


def test_a_bad_manifest_row_refuses_the_file_and_names_it(docked: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(MANIFEST + "tourist shuttle,soon,ghost,guest,shuttle\n")
    with docked.session() as session:
        before = session.scalar(select(func.count()).select_from(ManifestEntryRow))
        with pytest.raises(ImportRefused) as refused:
            arrivals.import_manifest(session, bad, actor=LEAD, zone=UTC)
        shown = [str(e) for e in refused.value.errors]
        assert any("line 6, column 'person'" in e and "not a known person" in e for e in shown)
        assert any("line 6, column 'expected'" in e for e in shown)
        assert session.scalar(select(func.count()).select_from(ManifestEntryRow)) == before


def test_screening_flags_arrivals_booked_into_a_suspended_gathering_once(docked: Store) -> None:
    with docked.session() as session:
        assert not any(
            "suspended" in a.message for a in arrivals.screen_arrivals(session, actor=LEAD, now=NOW)
        )
        moratoria.issue_moratorium(
            session,
            actor=LEAD,
            start=parse_time("2026-11-25T00:00:00Z"),
            today=True,
            zone=UTC,
            reason="just for today",
        )
        suspended = [
            g
            for g in moratoria.list_gatherings(session, actor=LEAD, suspended_only=True)
            if "g1" in g.gathering.participants
        ]
        raised = arrivals.screen_arrivals(session, actor=LEAD, now=NOW)
        flagged = [a for a in raised if "suspended by moratorium" in a.message]
        assert len(flagged) == len(suspended) >= 1
        assert all(a.kind is AlertKind.ARRIVAL_SCREENING for a in raised)
        assert arrivals.screen_arrivals(session, actor=LEAD, now=NOW) == []  # once each
        stored = session.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.kind == "arrival_screening")
        )
        assert stored >= len(flagged)
