"""The Venus scenario generator: the fixed numbers of venus.md, the invariants, determinism."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pandas as pd
import pytest

from cordon.domain.records import Route
from cordon.scenarios import venus
from tests.scenarios.invariants import (
    occupancy_peak,
    passage_problems,
    presence_problems,
    where_at,
)

DAY = 86_400


@pytest.fixture(scope="module")
def scenario() -> venus.Scenario:
    """The default scenario (seed 6, 1,500 station people)."""
    return venus.generate()


def test_the_sixteen_cases_double_daily(scenario: venus.Scenario) -> None:
    t = scenario.truth
    lab = scenario.lab
    positive = lab[lab["result"] == "positive"]
    first = positive.groupby("person")["collected_at"].min()
    assert set(first.index) == set(t.infected)
    assert len(t.infected) == 16
    days = ((first - t.day1) // DAY + 1).value_counts().sort_index()
    assert days.to_dict() == {1: 1, 2: 1, 3: 2, 4: 4, 5: 8}
    assert (lab["result"] == "negative").sum() >= 20
    assert not set(lab.loc[lab["result"] == "negative", "person"]) & set(t.infected)
    assert t.index_patient == "stephanie" and first["stephanie"] < t.day1 + DAY


def test_ten_isolated_in_the_ward_and_six_missing(scenario: venus.Scenario) -> None:
    t = scenario.truth
    assert len(t.isolated) == 10 and len(t.missing) == 6
    assert set(t.isolated) | set(t.missing) == set(t.infected)
    at_end = where_at(scenario, t.data_end - 1)
    assert sorted(at_end[at_end == t.isolation_ward].index) == sorted(t.isolated)
    assert not set(t.missing) & set(at_end.index)
    places = scenario.places.set_index("id")
    assert places.loc[t.isolation_ward, "kind"] == "isolation_room"
    assert occupancy_peak(scenario, t.isolation_ward) <= places.loc[t.isolation_ward, "capacity"]


def test_each_missing_woman_left_through_an_airlock_escorted(scenario: venus.Scenario) -> None:
    t = scenario.truth
    x = scenario.passages
    crew = set(scenario.people.loc[scenario.people["role"] == "visiting_crew", "id"])
    airlocks = set(scenario.places.loc[scenario.places["kind"] == "airlock", "id"])
    assert len(t.egress) == 6
    for e in t.egress:
        mine = x[x["person"] == e.person].sort_values("time")
        last = mine.iloc[-1]
        assert (last["place"], last["direction"], last["time"]) == (e.airlock, "out", e.time)
        assert last["credential"] == "foreign" and last["companions"] == e.escort
        assert last["camera"] == e.camera and e.airlock in airlocks and e.escort in crew
        escort = x[(x["person"] == e.escort) & (x["time"] == e.time)]
        assert escort[["place", "direction", "credential", "companions"]].values.tolist() == [
            [e.airlock, "out", "foreign", e.person]
        ]
    foreign = x[x["credential"] == "foreign"]
    assert set(foreign["person"]) == set(t.missing) | {e.escort for e in t.egress}


def test_people_and_places(scenario: venus.Scenario) -> None:
    t = scenario.truth
    people = scenario.people.set_index("id")
    station = people[~people["role"].isin(["visiting_crew", "diplomat", "guest"])]
    station = station[~station.index.isin(t.arrived_scientists)]
    assert len(station) == 1500
    assert (people["role"] == "security").sum() >= 40
    assert people.loc["bahati", "role"] == "visiting_crew"
    assert people.loc["john", "name"].startswith("John")
    assert people.loc["dominic", "role"] == "security"
    assert people.loc["stephanie", "name"].startswith("Stephanie")
    crew = people[people["role"] == "visiting_crew"]
    assert crew["affiliation"].str.contains("warriors").sum() >= 20
    assert crew["affiliation"].str.contains("command staff").sum() >= 3
    assert len(t.diplomats) == 20 and len(t.arrived_scientists) == 15
    places = scenario.places.set_index("id")
    assert places.loc["auditorium", "capacity"] > 500
    assert places.loc["suite-westworld", "kind"] == "suite"
    assert {"police", "shuttle-bay", "ward-1", "hospital"} <= set(places.index)
    airlocks = places[places["kind"] == "airlock"]
    assert len(airlocks) >= 4 and airlocks["exit"].all()
    cams = scenario.passages[scenario.passages["place"].isin(airlocks.index)]["camera"]
    assert (cams == "cam-" + scenario.passages.loc[cams.index, "place"]).all()


def test_tourists_thirty_six_turn_back(scenario: venus.Scenario) -> None:
    t = scenario.truth
    assert len(t.tourists) == 30 and len(t.turned_back) == 6
    at_end = where_at(scenario, t.data_end - 1)
    stayed = [p for p in t.tourists if p not in t.turned_back]
    assert len(stayed) == 24 and (at_end[stayed] == "auditorium").all()
    x = scenario.passages
    for who in t.turned_back:
        last = x[x["person"] == who].sort_values("time").iloc[-1]
        assert (last["place"], last["direction"]) == ("shuttle-bay", "out")
    assert (at_end[[*t.diplomats, *t.arrived_scientists]] == "auditorium").all()


def test_gatherings_and_exposures(scenario: venus.Scenario) -> None:
    t = scenario.truth
    g = scenario.gatherings.set_index("id")
    tonight = g.loc[list(t.shows_tonight)]
    assert len(tonight) == 6 and (tonight["kind"] == "show").all()
    assert (tonight["start"] > t.data_end).all()
    crew = set(t.crew)
    for members in tonight["participants"]:
        assert set(members.split()) & crew
    session = g.loc[t.westworld_session]
    assert session["place"] == "suite-westworld"
    assert set(session["participants"].split()) >= set(t.tourists) - set(t.turned_back)
    today = g[g["start"] >= t.day1 + 5 * DAY + 6 * 3600]
    with_crew = {i for i, members in today["participants"].items() if set(members.split()) & crew}
    assert with_crew == {*t.shows_tonight, t.westworld_session}
    assert set(today["kind"]) == {"show", "session", "meeting"}
    past = g[g["end"] <= t.day1 + 5 * DAY + 6 * 3600]
    assert set(past["kind"]) == {"show", "private"}
    e = scenario.exposures
    assert set(e["route"]) == {Route.FLUID.value}
    assert scenario.profile.routes == (Route.FLUID,)
    for woman in t.infected:
        source = t.infector[woman]
        assert ((e["a"] == source) & (e["b"] == woman)).any(), woman
        assert source in crew
    for woman, crew_member in t.bridges:
        assert ((e["a"] == woman) & (e["b"] == crew_member)).any()
    for woman in t.infected:
        chain = t.chain(woman)
        assert chain[0] in crew and chain[-1] == woman and len(chain) in (2, 4)
        steps = [e[(e["a"] == a) & (e["b"] == b)] for a, b in itertools.pairwise(chain)]
        assert all(len(step) for step in steps), chain
        times = [int(step["start"].min()) for step in steps]
        assert times == sorted(times), chain
    assert sum(len(t.chain(w)) == 4 for w in t.infected) == 2
    exposed = set(e["b"]) - crew
    assert exposed == set(t.infected) | set(t.exposed_only)
    assert ((e["start"] >= t.day1 + 5 * DAY) & (e["start"] < t.data_end)).any()
    p = scenario.presence
    for a, b, place, start, end in e[["a", "b", "place", "start", "end"]].itertuples(index=False):
        for who in (a, b):
            there = p[(p["person"] == who) & (p["place"] == place)]
            assert ((there["start"] <= start) & (there["end"] >= end)).any(), (who, place)


def test_no_one_in_two_places_and_doors_join_neighbours(scenario: venus.Scenario) -> None:
    assert presence_problems(scenario) == []
    assert passage_problems(scenario) == []


def test_nights_are_spent_in_quarters(scenario: venus.Scenario) -> None:
    t = scenario.truth
    people = scenario.people.set_index("id")
    visitors = set(t.crew) | set(t.diplomats) | set(t.arrived_scientists) | set(t.tourists)
    for day in range(1, 7):
        here = where_at(scenario, t.day1 + (day - 1) * DAY + 3 * 3600)
        assert not set(here.index) & visitors
        homes = people.loc[here.index, "home"]
        away = here[(here != homes) & ~here.isin(["ward-1", t.isolation_ward])]
        assert away.empty, away.head()
        assert len(here) >= 1500 - len(t.missing)


def test_same_seed_same_records_other_seed_other_story() -> None:
    one, two = venus.generate(11, population=500), venus.generate(11, population=500)
    for kind in venus.FILES:
        pd.testing.assert_frame_equal(one.tables()[kind], two.tables()[kind])
    other = venus.generate(12, population=500)
    assert other.truth.infected != one.truth.infected
    assert len(other.truth.infected) == 16 and len(other.truth.missing) == 6
    assert presence_problems(other) == [] and passage_problems(other) == []


def test_files_are_canonical(scenario: venus.Scenario, tmp_path: Path) -> None:
    paths = venus.write_files(scenario, tmp_path)
    assert set(paths) == {*venus.FILES, "profile", "manifests"}
    assert paths["manifests"].read_text().splitlines()[0].startswith("vessel,")
    header = paths["passages"].read_text().splitlines()[0]
    assert header == "person,place,time,direction,credential,companions,camera"
    assert paths["presence"].read_text().splitlines()[1].count("Z") == 2


def test_no_place_holds_more_than_its_capacity(scenario: venus.Scenario) -> None:
    places = scenario.places.dropna(subset=["capacity"])
    over = {
        pid: (peak, cap)
        for pid, cap in zip(places["id"], places["capacity"], strict=True)
        if (peak := occupancy_peak(scenario, pid)) > cap
    }
    assert over == {}


def test_the_checks_catch_broken_records(scenario: venus.Scenario) -> None:
    broken = copy.copy(scenario)
    presence = scenario.presence.copy()
    row = presence.index[(presence["person"] == "john")][5]
    presence.loc[row, "start"] -= 7200
    broken.presence = presence
    assert any("two places" in p for p in presence_problems(broken))
    teleport = scenario.presence.copy()
    rows = teleport.index[teleport["person"] == "john"][3:5]
    teleport.loc[rows, "place"] = ["theatre-1", "ward-1"]
    broken.presence = teleport
    assert any("no door" in p for p in presence_problems(broken))
    broken.presence = scenario.presence
    broken.passages = scenario.passages.drop(scenario.passages.index[100])
    assert passage_problems(broken)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_seed_tells_the_same_story(seed: int) -> None:
    s = venus.generate(seed, population=500)
    t = s.truth
    positive = s.lab[s.lab["result"] == "positive"].groupby("person")["collected_at"].min()
    days = ((positive - t.day1) // DAY + 1).value_counts().sort_index().to_dict()
    assert days == {1: 1, 2: 1, 3: 2, 4: 4, 5: 8}
    assert (len(t.isolated), len(t.missing), len(t.egress), len(t.turned_back)) == (10, 6, 6, 6)
    assert presence_problems(s) == [] and passage_problems(s) == []
    foreign = s.passages[s.passages["credential"] == "foreign"]
    assert set(foreign["person"]) == set(t.missing) | {e.escort for e in t.egress}
