"""Importing records: validation by row, refusal whole, rejects, idempotency, atomicity."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import func, select

from cordon.domain.roles import Actor
from cordon.errors import ImportRefused
from cordon.formats.schemas import Kind
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import (
    AuditRow,
    ExposureRow,
    ImportBatchRow,
    PersonRow,
    PlaceRow,
    PresenceRow,
)
from tests.factory import station, write

UTC = ZoneInfo("UTC")
TESTER = Actor("tester")


def load(store: Store, kind: Kind, path: Path, **kwargs: object):
    with store.session() as session:
        return import_file(session, path, kind=kind, actor=TESTER, zone=UTC, **kwargs)


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (PlaceRow, PersonRow, PresenceRow, ExposureRow, AuditRow, ImportBatchRow)
        }


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    files = station(tmp_path)
    load(store, Kind.PLACES, files["places"])
    load(store, Kind.PEOPLE, files["people"])
    return store


BAD_PRESENCE = """person,place,start,end
p1,hall,2026-11-20T18:00:00Z,2026-11-20T22:00:00Z
nobody,hall,2026-11-20T18:00:00Z,2026-11-20T19:00:00Z
p2,hall,2026-11-20T19:00:00Z,2026-11-20T18:00:00Z
p2,nowhere,2026-11-20T19:00:00Z,2026-11-20T20:00:00Z
v1,hall,yesterday,2026-11-20T21:00:00Z
m1,ward-1,1763683200,9999-01-01T00:00:00Z
p3,hall,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z
"""


def test_a_file_with_five_bad_rows_is_refused_whole_naming_all_five(
    loaded: Store, tmp_path: Path
) -> None:
    before = counts(loaded)
    path = write(tmp_path, "presence.csv", BAD_PRESENCE)
    with pytest.raises(ImportRefused) as refused:
        load(loaded, Kind.PRESENCE, path)
    found = {(e.line, e.column): e for e in refused.value.errors}
    assert set(found) == {(3, "person"), (4, "end"), (5, "place"), (6, "start"), (7, "end")}
    assert found[(3, "person")].value == "nobody"
    assert "not a known person" in found[(3, "person")].reason
    assert "before start" in found[(4, "end")].reason
    assert "not a known place" in found[(5, "place")].reason
    assert found[(6, "start")].value == "yesterday"
    assert "not a time" in found[(6, "start")].reason
    assert "out of range" in found[(7, "end")].reason
    assert "5 bad rows" in str(refused.value)
    assert counts(loaded) == before


def test_with_rejects_the_good_rows_load_and_the_bad_ones_are_set_aside(
    loaded: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "presence.csv", BAD_PRESENCE)
    rejects = tmp_path / "rejects.csv"
    report = load(loaded, Kind.PRESENCE, path, rejects=rejects)
    assert (report.read, report.added, report.rejected) == (7, 2, 5)
    set_aside = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert set_aside["line"].astype(int).tolist() == [3, 4, 5, 6, 7]
    assert set_aside["person"].tolist() == ["nobody", "p2", "p2", "v1", "m1"]
    assert set_aside["problems"].str.len().gt(0).all()
    assert counts(loaded)["presence"] == 2


def test_reimporting_the_same_file_adds_nothing(loaded: Store, tmp_path: Path) -> None:
    files = station(tmp_path)
    first = load(loaded, Kind.PRESENCE, files["presence"])
    again = load(loaded, Kind.PRESENCE, files["presence"])
    people_again = load(loaded, Kind.PEOPLE, files["people"])
    assert (first.added, again.added, again.unchanged) == (5, 0, 5)
    assert (people_again.added, people_again.updated, people_again.unchanged) == (0, 0, 5)
    assert counts(loaded)["presence"] == 5


def test_changed_people_are_updated_and_audited_with_before_and_after(
    loaded: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "people2.csv",
        "id,name,role,affiliation,home\np1,Stephanie Moreau,patient,troupe,ward-1\n",
    )
    report = load(loaded, Kind.PEOPLE, path)
    assert (report.added, report.updated) == (0, 1)
    with loaded.session() as session:
        row = session.scalars(
            select(AuditRow)
            .where(AuditRow.entity == "person", AuditRow.entity_id == "p1")
            .order_by(AuditRow.pk)
        ).all()[-1]
    assert row.action == "update"
    assert row.actor == "tester"
    assert row.before is not None
    assert row.after is not None
    assert (row.before["role"], row.after["role"]) == ("performer", "patient")
    assert (row.before["home"], row.after["home"]) == ("q-1", "ward-1")


def test_csv_parquet_and_jsonl_give_the_same_records(loaded: Store, tmp_path: Path) -> None:
    frame = pd.read_csv(station(tmp_path)["presence"], dtype=str)
    frame.to_parquet(tmp_path / "p.parquet")
    (tmp_path / "p.jsonl").write_text(frame.to_json(orient="records", lines=True))
    added = [
        load(loaded, Kind.PRESENCE, tmp_path / name).added for name in ("p.parquet", "p.jsonl")
    ]
    assert added == [5, 0]


def test_places_with_parents_later_in_the_file_and_loops_refused(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "pl.csv", "id,name,kind,parent\nw,Ward,ward,h\nh,Hospital,hall,\n")
    assert load(store, Kind.PLACES, path).added == 2
    loop = write(tmp_path, "loop.csv", "id,name,kind,parent\nx,X,hall,y\ny,Y,hall,x\nz,Z,hall,z\n")
    with pytest.raises(ImportRefused) as refused:
        load(store, Kind.PLACES, loop)
    reasons = {(e.line, e.reason) for e in refused.value.errors}
    assert (2, "makes a loop of parents") in reasons
    assert (3, "makes a loop of parents") in reasons
    assert (4, "is the place itself") in reasons


def test_duplicate_ids_in_one_file_are_named(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "pl.csv", "id,name,kind\na,A,hall\nb,B,hall\na,A again,hall\n")
    with pytest.raises(ImportRefused) as refused:
        load(store, Kind.PLACES, path)
    assert [(e.line, e.reason) for e in refused.value.errors] == [
        (4, "duplicate id (first on line 2)")
    ]


def test_a_missing_column_refuses_the_file_saying_what_a_file_needs(
    loaded: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "x.csv", "person,place,start\np1,hall,0\n")
    with pytest.raises(ImportRefused, match="missing column 'end'"):
        load(loaded, Kind.PRESENCE, path)


def test_exposures_default_their_duration_and_check_it(loaded: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "e.csv",
        "a,b,place,start,end,duration_s,route,source\n"
        "v1,p1,hall,2026-11-20T20:00:00Z,2026-11-20T20:30:00Z,,intimate,interview\n"
        "v1,p2,,2026-11-20T20:00:00Z,2026-11-20T20:10:00Z,900,close,sensor\n"
        "v1,v1,,2026-11-20T20:00:00Z,,60,close,sensor\n",
    )
    with pytest.raises(ImportRefused) as refused:
        load(loaded, Kind.EXPOSURES, path)
    assert {(e.line, e.column) for e in refused.value.errors} == {(3, "duration_s"), (4, "b")}
    report = load(loaded, Kind.EXPOSURES, path, rejects=tmp_path / "r.csv")
    assert report.added == 1
    with loaded.session() as session:
        exposure = session.scalars(select(ExposureRow)).one()
    assert (exposure.route, exposure.duration_s, exposure.source) == ("fluid", 1800, "interview")
    assert load(loaded, Kind.EXPOSURES, path, rejects=tmp_path / "r.csv").added == 0


@pytest.mark.parametrize("fault", ["kill:after-write", "interrupt:after-write"])
def test_a_killed_or_interrupted_import_leaves_the_store_as_it_was(
    loaded: Store, tmp_path: Path, fault: str
) -> None:
    before = counts(loaded)
    rows = ["person,place,start,end"] + [f"p1,hall,{t},{t + 60}" for t in range(0, 600_000, 100)]
    path = write(tmp_path, "big.csv", "\n".join(rows) + "\n")
    command = [sys.executable, "-m", "cordon", "--db", loaded.url, "import", "presence", str(path)]
    done = subprocess.run(
        command,
        env={"CORDON_FAULT": fault, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    if fault.startswith("interrupt"):
        assert "store is as it was" in done.stderr
    loaded.dispose()
    assert counts(loaded) == before
    assert load(loaded, Kind.PRESENCE, path).added == 6000
