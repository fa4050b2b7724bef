"""Contacts and tracing services, on both databases and from files, and their commands."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from typer.testing import CliRunner

from cordon.cli import app
from cordon.domain.pathogen import PathogenProfile
from cordon.domain.records import Route
from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, NotFound, PermissionDenied
from cordon.formats.schemas import Kind
from cordon.services import contacts as service
from cordon.services.imports import import_file
from cordon.store.db import Store
from tests.factory import station, write

UTC = ZoneInfo("UTC")
LEAD = Actor("lead")
EXPOSURES = """a,b,place,start,end,route,source
v1,p1,q-1,2026-11-20T23:00:00Z,2026-11-20T23:30:00Z,fluid,interview
p1,p3,,2026-11-23T10:00:00Z,2026-11-23T10:20:00Z,intimate,interview
"""
CORRIDOR = "p2,ring-a,2026-11-20T18:00:00Z,2026-11-20T23:00:00Z\n"
NANITE = PathogenProfile(
    name="nanite", transmission={Route.FLUID: 0.9}, latent_s=86_400, infectious_s=5 * 86_400
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = station(tmp_path)
    paths["presence"] = write(
        tmp_path,
        "presence.csv",
        paths["presence"].read_text() + CORRIDOR + CORRIDOR.replace("p2", "p3"),
    )
    paths["exposures"] = write(tmp_path, "exposures.csv", EXPOSURES)
    return paths


@pytest.fixture
def loaded(store: Store, files: dict[str, Path]) -> Store:
    with store.session() as session:
        for kind in ("places", "people", "presence", "exposures"):
            import_file(session, files[kind], kind=Kind(kind), actor=LEAD, zone=UTC)
    return store


def pairs(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return {(r.a, r.b, r.place) for r in frame.itertuples()}


def test_contacts_from_the_store_and_from_the_file_agree(
    loaded: Store, files: dict[str, Path]
) -> None:
    with loaded.session() as session:
        result = service.contacts(session, actor=LEAD, per_day=True)
        with_corridor = service.contacts(session, actor=LEAD, exclude_kinds=())
        short = service.contacts(session, actor=LEAD, min_overlap=2 * 3600)
        with pytest.raises(PermissionDenied):
            service.contacts(session, actor=Actor("guard", UserRole.SECURITY))
    assert pairs(result.frame) == {("p1", "v1", "hall"), ("p1", "p2", "hall"), ("p2", "v1", "hall")}
    assert list(result.frame.columns) == service.CONTACT_COLUMNS
    assert result.quality.excluded == 2  # the corridor is not a contact place by default
    assert ("p2", "p3", "ring-a") in pairs(with_corridor.frame)
    assert pairs(short.frame) == {("p1", "v1", "hall")}
    assert result.per_day is not None and result.per_day["duration_s"].sum() == 9000 + 3600 + 3600
    from_file = service.contacts_from_file(files["presence"], exclude_places=["ring-a"])
    assert pairs(from_file.frame) == pairs(result.frame)
    assert from_file.frame["duration_s"].sum() == result.frame["duration_s"].sum()
    assert json.loads(json.dumps(result.to_dict()))["count"] == 3


def test_trace_uses_only_the_routes_the_profile_transmits(loaded: Store) -> None:
    with loaded.session() as session:
        report = service.trace(
            session, actor=LEAD, persons=["v1"], direction="both", profile=NANITE
        )
        default = service.trace(session, actor=LEAD, persons=["v1"])
        with pytest.raises(NotFound):
            service.trace(session, actor=LEAD, persons=["nobody"])
        with pytest.raises(InvalidValue):
            service.trace(session, actor=LEAD, persons=["v1"], direction="sideways")
    forward = {p.person: p for p in report.forward}
    # fluid only: v1 -> p1 (night of day 1), p1 infectious from day 2 23:00 -> p3 on day 3
    assert set(forward) == {"v1", "p1", "p3"}
    assert forward["p3"].path == ["v1", "p1", "p3"]
    assert [s.route for s in forward["p3"].chain] == ["fluid", "fluid"]
    assert forward["p3"].generation == 2 and forward["p1"].link == "v1"
    backward = {p.person for p in report.backward}
    assert backward == {"v1", "p1"}  # p3 met p1 after v1's last record
    assert report.contacts_used == 2
    # the default profile also spreads through shared air: p2 met v1 in the hall
    assert {p.person for p in default.forward} >= {"v1", "p1", "p2"}
    assert report.to_dict()["forward"][0]["person"] == "v1"


def test_trace_from_files_needs_no_store(files: dict[str, Path]) -> None:
    report = service.trace_from_files(
        ["v1"], contacts=files["exposures"], presence=files["presence"], routes=[Route.FLUID],
        latent_s=86_400, infectious_s=5 * 86_400,
    )  # fmt: skip
    assert [p.person for p in report.forward] == ["v1", "p1", "p3"]
    with pytest.raises(InvalidValue):
        service.trace_from_files(["v1"])


runner = CliRunner()


def test_commands_file_in_file_out(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "contacts.parquet"
    result = runner.invoke(
        app, ["contacts", "--presence", str(files["presence"]), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["count"] == 4  # the corridor counts when the file says nothing
    assert list(pd.read_parquet(out).columns) == service.CONTACT_COLUMNS
    traced = tmp_path / "traced.csv"
    result = runner.invoke(
        app,
        ["trace", "v1", "--contacts", str(files["exposures"]), "--routes", "fluid",
         "--direction", "both", "--out", str(traced), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [p["person"] for p in data["forward"]] == ["v1", "p1", "p3"]
    assert set(pd.read_csv(traced)["direction"]) == {"forward", "backward"}
    result = runner.invoke(app, ["trace", "zz", "--contacts", str(files["exposures"])])
    assert result.exit_code == 1 and "no person 'zz'" in result.stderr


def test_commands_on_the_store(loaded: Store, tmp_path: Path) -> None:
    db = loaded.url
    result = runner.invoke(app, ["--db", db, "contacts", "--min-overlap", "2h"])
    assert result.exit_code == 0, result.stderr
    assert "1 contacts of at least 2h" in result.stdout
    result = runner.invoke(app, ["--db", db, "trace", "p3", "--direction", "backward",
                                 "--routes", "fluid", "--latent", "1d"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "could have been the source" in result.stdout
