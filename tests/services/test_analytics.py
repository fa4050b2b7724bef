"""Analytics services on a small Venus: 16 cases doubling daily, 10 isolated, 6 missing."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cordon.domain.cases import Clinical, Containment
from cordon.domain.pathogen import DAY, PathogenProfile
from cordon.domain.records import Route
from cordon.domain.roles import Actor, UserRole
from cordon.errors import PermissionDenied
from cordon.formats.schemas import Kind
from cordon.services import analytics, cases
from cordon.services.admin import init_store
from cordon.services.imports import import_file
from cordon.store import profiles
from cordon.store.db import Store
from cordon.times import parse_time
from tests.factory import write

UTC = ZoneInfo("UTC")
LEAD = Actor("lead", UserRole.COMMAND)
DAY1 = parse_time("2026-11-20T00:00:00Z")
NOW = DAY1 + 5 * DAY + 8 * 3600  # day 6, 08:00
CONFIRMED_ON = [1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5]  # 1, 1, 2, 4, 8
WOMEN = [f"w{k:02d}" for k in range(1, 41)]
CREW = [f"v{k}" for k in range(1, 6)]


def venus(folder: Path) -> dict[str, Path]:
    places = "id,name,kind,capacity,parent,exit\nward-1,Ward,ward,10,,\nsuite,Suite,suite,4,,\n"
    people = "id,name,role,affiliation,home\n" + "".join(
        f"{p},{p},{'performer' if p.startswith('w') else 'visiting crew'},,\n" for p in WOMEN + CREW
    )
    rows = ["a,b,place,start,end,duration_s,route,source"]
    for day in range(5):
        for k, v in enumerate(CREW):
            for j in range(3):
                w = WOMEN[(day * 7 + k * 3 + j) % len(WOMEN)]
                start = DAY1 + day * DAY + 20 * 3600 + j * 3600
                rows.append(f"{v},{w},suite,{start},{start + 1800},1800,fluid,interview")
    lab = ["person,collected_at,assay,result,quantity"]
    for w, day in zip(WOMEN, CONFIRMED_ON, strict=False):
        lab.append(f"{w},{DAY1 + (day - 1) * DAY + 10 * 3600},nanite PCR,positive,100")
    return {
        "places": write(folder, "places.csv", places),
        "people": write(folder, "people.csv", people),
        "exposures": write(folder, "exposures.csv", "\n".join(rows) + "\n"),
        "lab": write(folder, "lab.csv", "\n".join(lab) + "\n"),
    }


@pytest.fixture
def station(store: Store, tmp_path: Path) -> Store:
    populate(store, tmp_path)
    return store


def populate(store: Store, tmp_path: Path, *, exposures: bool = True) -> None:
    """Load the small Venus into ``store``: files, cases, the nanite profile."""
    files = venus(tmp_path)
    if not exposures:
        del files["exposures"]
    with store.session() as session:
        for kind, path in files.items():
            import_file(session, path, kind=Kind(kind), actor=LEAD, zone=UTC)
        for k, (w, day) in enumerate(zip(WOMEN, CONFIRMED_ON, strict=False)):
            missing = k >= 10
            cases.change_case(
                session,
                w,
                actor=LEAD,
                reason="positive",
                at=DAY1 + (day - 1) * DAY + 12 * 3600,
                clinical=Clinical.CONFIRMED,
                containment=Containment.MISSING if missing else Containment.ISOLATED,
                assigned_place=None if missing else "ward-1",
            )
        for v in CREW:  # the visitors carry it; nobody has tested them
            cases.change_case(
                session, v, actor=LEAD, reason="source", at=DAY1, clinical=Clinical.SUSPECTED
            )
        profile = PathogenProfile(
            name="nanite",
            transmission={Route.FLUID: 0.6},
            latent_s=DAY // 2,
            infectious_s=3 * DAY,
            serial_interval_mean_days=1.5,
            serial_interval_sd_days=0.8,
        )
        profiles.save_profile(session, profile, actor="test", activate=True)
        session.commit()


def test_incidence_counts_confirmations_per_day(station: Store) -> None:
    with station.session() as session:
        report = analytics.incidence(session, actor=LEAD, now=NOW, zone=UTC)
    assert report.cases == [1, 1, 2, 4, 8, 0]
    assert report.complete == [True] * 5 + [False]
    assert report.days[0] == "2026-11-20"


def test_the_series_reaches_ten_years_back_at_most(station: Store) -> None:
    last = DAY1 + (analytics.MAX_SERIES_DAYS - 1) * DAY  # the first case's day is still in
    far = 100_000_000_000  # the year 5138, found by schemathesis: the request never ended
    with station.session() as session:
        whole = analytics.incidence(session, actor=LEAD, now=last, zone=UTC)
        later = analytics.incidence(session, actor=LEAD, now=last + DAY, zone=UTC)
        ahead = analytics.incidence(session, actor=LEAD, now=far, zone=UTC)
        quiet = analytics.estimate(session, actor=LEAD, now=far, zone=UTC)
    assert quiet.growth is None and quiet.growth_refused, quiet.growth_refused
    assert all(day.mean is None for day in quiet.rt)
    assert len(whole.cases) == len(later.cases) == len(ahead.cases) == analytics.MAX_SERIES_DAYS
    assert whole.cases[:5] == [1, 1, 2, 4, 8] and whole.days[0] == "2026-11-20"
    assert later.cases[:4] == [1, 2, 4, 8] and later.days[0] == "2026-11-21"  # day 1 dropped
    assert sum(ahead.cases) == 0


def test_estimate_says_the_count_doubles_in_about_a_day(station: Store) -> None:
    with station.session() as session:
        report = analytics.estimate(session, actor=LEAD, now=NOW, zone=UTC, window=2)
    assert report.complete_days == 5
    assert report.growth is not None
    assert report.growth.doubling_low < 1 < report.growth.doubling_high
    assert 0.8 < report.growth.doubling < 1.5
    # 2-day windows: 1+2, 2+4 cases are too few for a posterior CV under 0.3; 4+8 suffice
    assert [r.mean is None for r in report.rt] == [True, True, False]
    assert "too few" in report.rt[0].reason and report.rt[-1].mean is not None
    assert report.rt[-1].low is not None and report.rt[-1].low > 1
    assert report.to_dict()["growth"]["cases"] == 16


def test_forecast_compares_the_standard_scenarios(station: Store) -> None:
    with station.session() as session:
        report = analytics.forecast(session, actor=LEAD, days=7, runs=60, seed=3, now=NOW, zone=UTC)
        again = analytics.forecast(session, actor=LEAD, days=7, runs=60, seed=3, now=NOW, zone=UTC)
    rows = {s.name: s.row for s in report.scenarios}
    assert list(rows) == [
        "no action",
        "quarantine",
        "moratorium one day",
        "moratorium until cured",
        "all",
    ]
    assert report.capacity == 10 and report.calibration is not None
    # five crew, isolated a day after they turn infectious, cannot carry the observed growth
    # through the recorded contacts: the forecast says so and uses a calibrated branching process
    assert report.model.startswith("branching process"), report.model
    assert "the recorded contacts cannot" in report.model
    # 24 people left and 16 infected but not yet confirmed: the growth cannot go on, and the
    # calibration says so rather than claiming it matched
    assert not report.calibration.met and "people are left" in report.calibration.note
    assert report.known_cases == 21
    assert rows["moratorium until cured"].infections_median == 0  # fluid is the only route
    assert rows["no action"].infections_median > rows["moratorium one day"].infections_median
    assert rows["no action"].infections_median > 0
    cases_band = report.scenarios[0].bands["cases"]
    assert all(
        lo <= m <= hi
        for lo, m, hi in zip(cases_band.low90, cases_band.median, cases_band.high90, strict=True)
    )
    assert report.to_dict()["scenarios"] == again.to_dict()["scenarios"]
    assert report.days[0] == "2026-11-25"


def test_without_exposures_the_forecast_is_a_branching_process(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = Store(sqlite_url)
    init_store(store, actor="test")
    populate(store, tmp_path, exposures=False)
    with store.session() as session:
        report = analytics.forecast(session, actor=LEAD, days=5, runs=50, now=NOW, zone=UTC)
    store.dispose()
    assert report.model.startswith("branching process (R = ")
    rows = {s.name: s.row for s in report.scenarios}
    assert rows["no action"].infections_median > rows["moratorium until cured"].infections_median


def test_analytics_need_the_right_role(station: Store) -> None:
    with station.session() as session, pytest.raises(PermissionDenied):
        analytics.forecast(session, actor=Actor("x", UserRole.SECURITY), runs=1, now=NOW)
