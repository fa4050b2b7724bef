"""The command line, end to end on a real store: the hospital ward import, listings, errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cordon.cli import app
from tests.engine.test_windows import brute_force
from tests.factory import station, write

runner = CliRunner()


def cordon(db: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db, *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def hospital(db_url: str, shared: Path) -> str:
    assert cordon(db_url, "init")[0] == 0
    code, _out, err = cordon(
        db_url,
        "import",
        "sociopatterns",
        shared / "data/sociopatterns/hospital",
        "--t0",
        "2010-12-06T13:00:00+01:00",
    )
    assert code == 0, err
    return db_url


def test_the_hospital_ward_imports_people_with_roles_and_merged_contacts(
    hospital: str, shared: Path
) -> None:
    code, out, _ = cordon(hospital, "people", "--limit", "1000", "--json")
    assert code == 0
    people = json.loads(out)
    assert people["total"] == 75
    roles = Counter(p["role"] for p in people["items"])
    assert roles == {"medical": 27 + 11, "patient": 29, "staff": 8}
    affiliations = Counter(p["affiliation"] for p in people["items"])
    assert affiliations["paramedical staff"] == 27
    assert affiliations["medical doctor"] == 11

    tij = [
        tuple(map(int, line.split()))
        for line in (shared / "data/sociopatterns/hospital/tij_hospital.dat").open()
    ]
    expected = brute_force(*map(list, zip(*tij, strict=True)), 20)
    mine = sorted((s, e) for a, b, s, e in expected if 1157 in (a, b))
    code, out, _ = cordon(hospital, "person", "1157", "--json")
    timeline = json.loads(out)
    assert timeline["person"] == {
        "id": "1157",
        "name": "1157",
        "role": "medical",
        "affiliation": "medical doctor",
        "home": None,
    }
    exposures = [e for e in timeline["events"] if e["kind"] == "exposure"]
    assert len(exposures) == len(mine)
    # t=140 is the window [120 s, 140 s] after 13:00 CET (12:00 UTC)
    assert exposures[0]["time"] == "2010-12-06T12:02:00+00:00"
    assert sum(e["duration_s"] for e in exposures) == sum(e - s for s, e in mine)


def test_importing_the_hospital_again_adds_nothing(hospital: str, shared: Path) -> None:
    folder = shared / "data/sociopatterns/hospital"
    code, out, _ = cordon(
        hospital, "import", "sociopatterns", folder, "--t0", "2010-12-06T13:00:00+01:00", "--json"
    )
    assert code == 0
    reports = json.loads(out)
    assert [r["added"] for r in reports] == [0, 0]
    assert reports[1]["unchanged"] == 14_037


def test_a_bad_file_is_refused_in_clear_lines_without_a_traceback(
    db_url: str, tmp_path: Path
) -> None:
    files = station(tmp_path)
    cordon(db_url, "init")
    for kind in ("places", "people"):
        assert cordon(db_url, "import", kind, files[kind])[0] == 0
    bad = write(
        tmp_path,
        "bad.csv",
        "person,place,start,end\np1,hall,0,60\nzz,hall,0,60\np1,mars,0,60\np1,hall,60,0\np1,hall,x,1\np1,hall,0,5000000000\n",
    )
    code, out, err = cordon(db_url, "import", "presence", bad)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert "5 bad rows" in lines[0]
    assert [line.split(",")[0].strip() for line in lines[1:]] == [
        f"line {n}" for n in (3, 4, 5, 6, 7)
    ]
    assert "Traceback" not in out + err
    code, out, _ = cordon(
        db_url, "import", "presence", bad, "--rejects", tmp_path / "rej.csv", "--json"
    )
    assert code == 0
    assert json.loads(out)[0]["added"] == 1
    assert len((tmp_path / "rej.csv").read_text().splitlines()) == 6


def test_commands_on_a_store_that_does_not_exist_say_what_to_do(sqlite_url: str) -> None:
    code, out, err = cordon(sqlite_url, "people")
    assert code == 1
    assert "run `cordon init`" in err
    assert "Traceback" not in out + err


def test_cases_audit_and_bad_options(hospital: str) -> None:
    code, out, _ = cordon(hospital, "cases", "--status", "confirmed", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, _, err = cordon(hospital, "cases", "--status", "sneezing")
    assert code == 1
    assert "unknown status 'sneezing'" in err
    code, out, _ = cordon(hospital, "audit", "--entity", "import_batch", "--json")
    entries = json.loads(out)
    assert [e["after"]["kind"] for e in entries] == ["exposures", "people"]
    assert entries[0]["after"]["added"] == 14_037
    code, _, err = cordon(hospital, "person", "nobody")
    assert code == 1
    assert "no person with id 'nobody'" in err


def test_places_and_people_filters(db_url: str, tmp_path: Path) -> None:
    files = station(tmp_path)
    cordon(db_url, "init")
    cordon(db_url, "import", "places", files["places"])
    cordon(db_url, "import", "people", files["people"])
    code, out, _ = cordon(db_url, "places", "--kind", "airlock", "--json")
    assert code == 0
    assert [p["id"] for p in json.loads(out)] == ["al-1"]
    assert json.loads(out)[0]["exit"] is True
    code, out, _ = cordon(db_url, "people", "--role", "crew", "--json")
    assert code == 0
    assert [p["name"] for p in json.loads(out)["items"]] == ["Bahati"]
    _code, out, _ = cordon(db_url, "people", "--search", "dom")
    assert "Dominic" in out
