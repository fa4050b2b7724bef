"""The Venus station outbreak (``scenario/venus.md``) as a facility's records, seeded.

``generate(seed)`` builds the station, its people and six days of records; ``write_files``
writes them in the canonical formats that ``cordon import`` reads. The fixed numbers of the
scenario hold for every seed (16 confirmed, doubling daily 1, 1, 2, 4, 8; 10 isolated; 6 missing,
each gone through an airlock with a crew escort; 30 tourists of whom 6 turn back); the rest is
drawn from the seed. ``Scenario.truth`` says who is who, for tests and the walkthrough.

>>> from cordon.scenarios import venus
>>> scenario = venus.generate(seed=6, population=700)
>>> len(scenario.truth.infected), len(scenario.truth.missing)
(16, 6)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cordon.domain.pathogen import DAY, ContainmentRules, PathogenProfile
from cordon.domain.records import Route
from cordon.scenarios.venus.day6 import TOURISTS, TURNED_BACK, Day6, plan_day6
from cordon.scenarios.venus.days import walk_everyone
from cordon.scenarios.venus.records import (
    exposure_frame,
    gathering_frame,
    lab_frame,
    passage_frame,
    people_frame,
    place_frame,
    presence_frame,
)
from cordon.scenarios.venus.station import (
    AIRLOCKS,
    ISOLATION_BEDS,
    ISOLATION_WARD,
    Member,
    build_people,
    build_places,
)
from cordon.scenarios.venus.story import (
    CONFIRMED_PER_DAY,
    DAY1,
    END,
    Egress,
    Show,
    Story,
    plan_story,
)
from cordon.scenarios.venus.walker import Tree
from cordon.store.profiles import profile_record

__all__ = [
    "AIRLOCKS",
    "CONFIRMED_PER_DAY",
    "DAY1",
    "DEFAULT_SEED",
    "END",
    "FILES",
    "ISOLATION_BEDS",
    "ISOLATION_WARD",
    "POPULATION",
    "PROFILE",
    "Egress",
    "Scenario",
    "Truth",
    "generate",
    "write_files",
]

DEFAULT_SEED = 6
POPULATION = 1500
"""Station residents, staff and performers (the visiting crew and day-6 arrivals come on top)."""
FILES = ("places", "people", "presence", "passages", "exposures", "lab", "gatherings")
"""The canonical files in import order (each refers only to ids in the ones before)."""

PROFILE = PathogenProfile(
    name="venus-particle",
    transmission={Route.FLUID: 0.6},
    latent_s=DAY // 2,
    infectious_s=10 * DAY,
    serial_interval_mean_days=1.5,
    serial_interval_sd_days=0.7,
    rules=ContainmentRules(
        quarantine_s=14 * DAY,
        symptoms=("compulsive attachment", "fever", "fatigue", "headache", "bleeding gums"),
    ),
)
"""The artificial particle: passes only by bodily-fluid exchange, fast, long infectious."""


@dataclass(frozen=True)
class Truth:
    """Who is who in the generated story (ids), for tests and the walkthrough."""

    seed: int
    director: str
    security_chief: str
    commander: str
    index_patient: str
    infected: tuple[str, ...]
    confirmed_day: dict[str, int]
    isolated: tuple[str, ...]
    missing: tuple[str, ...]
    exposed_only: tuple[str, ...]
    infector: dict[str, str]
    bridges: tuple[tuple[str, str], ...]
    egress: tuple[Egress, ...]
    crew: tuple[str, ...]
    security: tuple[str, ...]
    diplomats: tuple[str, ...]
    arrived_scientists: tuple[str, ...]
    tourists: tuple[str, ...]
    turned_back: tuple[str, ...]
    shows_tonight: tuple[str, ...]
    westworld_session: str
    airlocks: tuple[str, ...] = AIRLOCKS
    isolation_ward: str = ISOLATION_WARD
    isolation_beds: int = ISOLATION_BEDS
    day1: int = DAY1
    data_end: int = END
    confirmed_at: dict[str, int] = field(default_factory=dict)

    def chain(self, person: str) -> tuple[str, ...]:
        """The recorded chain of an infected woman, from the crew member it starts with:
        ``("war-22", "perf-085", "war-38", "perf-141")`` reads war-22 infected perf-085, who met
        war-38, who infected perf-141."""
        infected_by_woman = {crew: woman for woman, crew in self.bridges}
        out = [person, self.infector[person]]
        while out[-1] in infected_by_woman:
            woman = infected_by_woman[out[-1]]
            out += [woman, self.infector[woman]]
        return tuple(reversed(out))


@dataclass
class Scenario:
    """The records of the station as canonical tables, the pathogen profile, and the truth."""

    places: pd.DataFrame
    people: pd.DataFrame
    presence: pd.DataFrame
    passages: pd.DataFrame
    exposures: pd.DataFrame
    lab: pd.DataFrame
    gatherings: pd.DataFrame
    profile: PathogenProfile
    truth: Truth

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file kind, in import order."""
        return {kind: getattr(self, kind) for kind in FILES}


def generate(seed: int = DEFAULT_SEED, *, population: int = POPULATION) -> Scenario:
    """The Venus scenario for ``seed``: the same seed gives the same records, byte for byte."""
    rng = np.random.default_rng(seed)
    places = build_places()
    people = build_people(rng, population)
    story = plan_story(rng, people)
    day6 = plan_day6(rng, story, people)
    tree = Tree({p.id: p.parent for p in places})
    shows_by_day: dict[int, list[Show]] = {}
    for show in story.shows:
        shows_by_day.setdefault(show.day, []).append(show)
    seats = {p.id: (p.capacity or 0) - 60 for p in places}
    rows = walk_everyone(rng, people, tree, story, shows_by_day, seats)
    presence = presence_frame(rows)
    exits = {p.id for p in places if p.exit}
    return Scenario(
        places=place_frame(places),
        people=people_frame(people),
        presence=presence,
        passages=passage_frame(presence, exits, story),
        exposures=exposure_frame(presence, story, rng),
        lab=lab_frame(story),
        gatherings=gathering_frame(story, day6),
        profile=PROFILE,
        truth=_truth(seed, people, story, day6),
    )


def _truth(seed: int, people: list[Member], story: Story, day6: Day6) -> Truth:
    groups: dict[str, list[str]] = {}
    for m in people:
        groups.setdefault(m.group, []).append(m.id)
    assert len(day6.tourists) == TOURISTS and len(day6.turned_back) == TURNED_BACK
    return Truth(
        seed=seed,
        director="john",
        security_chief="dominic",
        commander="bahati",
        index_patient="stephanie",
        infected=tuple(story.infected),
        confirmed_day=dict(story.confirmed_day),
        isolated=tuple(story.isolated),
        missing=tuple(story.missing),
        exposed_only=tuple(story.exposed_only),
        infector=dict(story.infector),
        bridges=tuple(story.bridges),
        egress=tuple(story.egress),
        crew=tuple(groups["crew"]),
        security=tuple(p.id for p in people if p.role == "security"),
        diplomats=tuple(day6.diplomats),
        arrived_scientists=tuple(day6.scientists),
        tourists=tuple(day6.tourists),
        turned_back=tuple(day6.turned_back),
        shows_tonight=tuple(s.id for s in day6.shows),
        westworld_session=day6.westworld.id if day6.westworld else "",
        confirmed_at=dict(story.result_at),
    )


def write_files(scenario: Scenario, folder: Path) -> dict[str, Path]:
    """Write the canonical CSV files (times as ISO-8601 UTC) and the profile as JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    times = {"presence": ("start", "end"), "passages": ("time",), "exposures": ("start", "end")}
    times |= {"lab": ("collected_at",), "gatherings": ("start", "end")}
    for kind, frame in scenario.tables().items():
        out = frame.copy()
        for column in times.get(kind, ()):
            out[column] = _iso(out[column].to_numpy())
        path = folder / f"{kind}.csv"
        table = pa.Table.from_pandas(out, preserve_index=False)
        with path.open("wb") as handle:
            handle.write((",".join(out.columns) + "\n").encode())
            pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False))
        paths[kind] = path
    profile = folder / "profile.json"
    profile.write_text(json.dumps(profile_record(scenario.profile), indent=2) + "\n")
    paths["profile"] = profile
    manifests = folder / "manifests.csv"
    manifests.write_text(manifest_csv(scenario))
    paths["manifests"] = manifests
    return paths


SHUTTLES = (
    ("diplomatic shuttle", 7.5, ("diplomats", "arrived_scientists")),
    ("tourist shuttle", 10.0, ("tourists",)),
)
"""The day-6 vessels: name, expected hour of day 6, who they bring (fields of the truth)."""


def manifest_csv(scenario: Scenario) -> str:
    """The vessels' manifests (``vessel, expected, person, role, affiliation``): who each
    shuttle of day 6 brings, as its purser declares them."""
    truth, people = scenario.truth, scenario.people.set_index("id")
    lines = ["vessel,expected,person,role,affiliation"]
    for vessel, hour, groups in SHUTTLES:
        expected = _iso(np.array([truth.day1 + 5 * DAY + int(hour * 3600)]))[0]
        for group in groups:
            for person in getattr(truth, group):
                row = people.loc[person]
                lines.append(f"{vessel},{expected},{person},{row['role']},{row['affiliation']}")
    return "\n".join(lines) + "\n"


def _iso(epoch: np.ndarray) -> np.ndarray:
    stamps = np.datetime_as_string(epoch.astype("int64").astype("datetime64[s]"), unit="s")
    return np.char.add(stamps.astype(str), "Z")
