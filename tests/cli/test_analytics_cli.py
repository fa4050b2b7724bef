"""``cordon estimate`` and ``cordon forecast`` from files and from a store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cordon.store.db import Store
from tests.cli.test_cli import cordon
from tests.factory import write
from tests.services.test_analytics import NOW, populate


def test_estimate_from_an_incidence_file(tmp_path: Path, shared: Path, sqlite_url: str) -> None:
    flu = shared / "data" / "epiestim"
    code, out, err = cordon(
        sqlite_url,
        "estimate",
        "--incidence",
        flu / "flu1918_incidence.csv",
        "--serial-interval",
        flu / "flu1918_serial_interval.csv",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert len(report["rt"]) == 92 - 7
    # every 7-day window of the Baltimore series holds at least 11 cases: none is refused
    assert all(r["mean"] is not None and not r["reason"] for r in report["rt"])
    assert report["rt"][4]["mean"] == pytest.approx(1.2696857, rel=1e-6)  # window ending day 12
    venus = write(tmp_path, "venus.csv", "day,cases\n1,1\n2,1\n3,2\n4,4\n5,8\n")
    code, out, _ = cordon(
        sqlite_url, "estimate", "--incidence", venus, "--si-mean", "2", "--si-sd", "1"
    )
    assert code == 0 and "doubling time 1.13 days" in out
    bad = write(tmp_path, "bad.csv", "day,count\n1,2\n")
    code, _, err = cordon(sqlite_url, "estimate", "--incidence", bad)
    assert code == 1 and "header 'day,cases'" in err


def test_forecast_from_the_store_with_a_scenario_file_and_a_plot(
    tmp_path: Path, sqlite_url: str
) -> None:
    assert cordon(sqlite_url, "init")[0] == 0
    store = Store(sqlite_url)
    populate(store, tmp_path)
    store.dispose()
    scenarios = write(
        tmp_path,
        "s.json",
        json.dumps(
            {
                "just for today": [
                    {"kind": "isolation"},
                    {"kind": "moratorium", "routes": ["intimate"], "just_for_today": True},
                ],
                "bad route": [{"kind": "moratorium", "routes": ["telepathy"]}],
            }
        ),
    )
    code, _, err = cordon(sqlite_url, "forecast", "--scenario", scenarios, "--runs", "5")
    assert code == 1 and "telepathy" in err
    scenarios.write_text(
        json.dumps(
            {
                "just for today": [
                    {"kind": "isolation"},
                    {"kind": "moratorium", "routes": ["intimate"], "just_for_today": True},
                ]
            }
        )
    )
    png = tmp_path / "f.png"
    code, out, err = cordon(
        sqlite_url,
        "forecast",
        "--scenario",
        scenarios,
        "--runs",
        "20",
        "--days",
        "5",
        "--now",
        str(NOW),
        "--plot",
        png,
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert [s["name"] for s in report["scenarios"]] == ["just for today"]
    assert len(report["scenarios"][0]["bands"]["beds"]["median"]) == 5
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, out, _ = cordon(sqlite_url, "forecast", "--runs", "10", "--days", "3", "--now", str(NOW))
    assert code == 0 and "no action" in out and "beds 10" in out
