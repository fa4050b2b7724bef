"""Everyone's six days: a routine per group, the story's appointments laid over it, walked."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from cordon.scenarios.venus.station import AIRLOCKS, Member
from cordon.scenarios.venus.story import DAY1, END, Appointment, Show, Story, clock
from cordon.scenarios.venus.walker import Stop, Tree, Walker

__all__ = ["LEAD", "merge", "walk_everyone"]

LEAD = 1200
"""People leave for an appointment this many seconds before it starts."""
CLEAR = 1800
"""Routine moves this close before an appointment's departure are dropped."""

WORK: dict[str, tuple[tuple[str, ...], float, float]] = {
    "director": (("admin",), 8.0, 18.5),
    "admin": (("admin", "control"), 8.0, 17.0),
    "scientist": (("science-lab",), 8.5, 17.5),
    "performer": (("backstage",), 13.0, 18.0),
    "hospitality": (
        ("food-court",) * 8
        + ("theatre-1", "theatre-2", "theatre-3", "theatre-4") * 1
        + ("backstage", "backstage", "promenade")
        + ("suite-westworld", "suite-versailles", "suite-atlantis", "suite-orient")
        + ("promenade",) * 4,
        10.0,
        19.0,
    ),
    "engineering": (("engineering", "engineering", "hydroponics", "control"), 7.5, 16.5),
}
Shift = tuple[tuple[str, ...], tuple[float, float], tuple[float, float]]
SHIFTS: dict[str, Shift] = {"security": (("police",), (7.0, 15.0), (14.0, 22.0))}
SHIFTS["medical"] = (("ward-1", "ward-1", "lab-med", "hospital"), (7.0, 15.0), (12.0, 20.0))
PATROLS = ("hub", "promenade", "dock-deck", "ring-a", "ring-b", "ring-c", "ring-d")
LEISURE = ("promenade", "hydroponics", "food-court")
CREW_VISITS = ("promenade", "hydroponics", "suite-westworld", "suite-atlantis", "food-court")


def _h(day: int, hour: float) -> int:
    return clock(day, hour)


class _Routines:
    """Routine stops for one person, drawn from the seeded generator."""

    def __init__(
        self, rng: np.random.Generator, shows: dict[int, list[Show]], seats: dict[str, int]
    ) -> None:
        self.rng = rng
        self.shows = shows
        self.seats = seats
        self.taken: dict[str, int] = defaultdict(int)

    def u(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def evening(self, m: Member, day: int, free_at: float) -> list[Stop]:
        home = m.home or "hub"
        draw = self.rng.random()
        later = [
            s
            for s in self.shows.get(day, [])
            if s.start >= _h(day, free_at + 0.5) and self.taken[s.id] < self.seats[s.place]
        ]
        if draw < 0.25 and later:
            show = later[int(self.rng.integers(len(later)))]
            self.taken[show.id] += 1
            return [
                Stop(show.start - 900, "go", show.place),
                Stop(show.end + 300, "go", home),
            ]
        if draw < 0.55:
            t = free_at + self.u(0, 0.5)
            return [
                Stop(_h(day, t), "go", "food-court"),
                Stop(_h(day, t + self.u(1, 2.5)), "go", home),
            ]
        return [Stop(_h(day, free_at + self.u(0, 0.3)), "go", home)]

    def station(self, m: Member, workplace: str, shift: tuple[float, float] | None) -> list[Stop]:
        stops: list[Stop] = []
        home = m.home or "hub"
        for day in range(1, 7):
            if m.group == "resident":
                stops += self._resident(m, day, home)
                continue
            begin, finish = shift or WORK[m.group][1:]
            start = begin + self.u(-0.4, 0.4)
            end = finish + self.u(-0.4, 0.4)
            stops.append(Stop(_h(day, start - 0.25), "go", workplace))
            if m.group == "security":
                patrol = PATROLS[int(self.rng.integers(len(PATROLS)))]
                stops.append(Stop(_h(day, start + 2.5), "go", patrol))
                stops.append(Stop(_h(day, start + 3.25), "go", workplace))
            if m.group == "engineering" and self.rng.random() < 0.08:
                airlock = AIRLOCKS[int(self.rng.integers(len(AIRLOCKS)))]
                stops.append(Stop(_h(day, 10 + self.u(0, 1)), "go", airlock))
                stops.append(Stop(_h(day, 11.5), "go", workplace))
            if start < 11.5 and end > 14 and self.rng.random() < 0.7:
                lunch = 12.0 + self.u(-0.3, 0.5)
                stops.append(Stop(_h(day, lunch), "go", "food-court"))
                stops.append(Stop(_h(day, lunch + self.u(0.6, 0.9)), "go", workplace))
            if m.group == "performer" and self.rng.random() < 0.3:
                stops.insert(0, Stop(_h(day, 10.5 + self.u(0, 1)), "go", "food-court"))
            stops += self.evening(m, day, end)
        return stops

    def _resident(self, m: Member, day: int, home: str) -> list[Stop]:
        stops: list[Stop] = []
        if self.rng.random() < 0.7:
            t = 9.5 + self.u(-1, 1)
            place = LEISURE[int(self.rng.integers(len(LEISURE)))]
            stops += [Stop(_h(day, t), "go", place), Stop(_h(day, t + self.u(1, 2)), "go", home)]
        if self.rng.random() < 0.5:
            stops += [Stop(_h(day, 12.6), "go", "food-court"), Stop(_h(day, 13.6), "go", home)]
        if self.rng.random() < 0.5:
            t = 15 + self.u(-0.5, 0.5)
            place = LEISURE[int(self.rng.integers(len(LEISURE)))]
            stops += [Stop(_h(day, t), "go", place), Stop(_h(day, t + 1.5), "go", home)]
        return stops + self.evening(m, day, 18.0 + self.u(-0.5, 0.5))

    def crew(self, m: Member, days: set[int], appts: list[Appointment], story: Story) -> list[Stop]:
        stops: list[Stop] = []
        for day in sorted(days):
            if m.id == "bahati" and day == 6:
                continue
            mine = [a for a in appts if _h(day, 6) <= a.start < _h(day + 1, 6)]
            first = min((a.start - LEAD for a in mine), default=None)
            arrive = _h(day, self.u(9.25, 12.0) if day == 1 else self.u(10, 13))
            if m.id == "bahati":
                arrive = _h(day, 9.5)
            if first is not None:
                arrive = min(arrive, first - 5400)
            stops.append(Stop(arrive, "arrive", "berth", keep=True))
            if m.id == "bahati":
                stops += [
                    Stop(arrive + 600, "go", "admin"),
                    Stop(_h(day, 12.5), "go", "food-court"),
                    Stop(_h(day, 14), "go", "promenade"),
                    Stop(_h(day, 15), "go", "admin"),
                ]
            else:
                visit = CREW_VISITS[int(self.rng.integers(len(CREW_VISITS)))]
                stops += [
                    Stop(arrive + 900, "go", "promenade"),
                    Stop(max(arrive + 3600, _h(day, 13.5)), "go", "food-court"),
                    Stop(max(arrive + 7200, _h(day, 15.5)), "go", visit),
                    Stop(max(arrive + 10800, _h(day, 18)), "go", "food-court"),
                ]
            if day == 6 or (m.id, day) in story.escort_nights:
                continue
            last = max((a.end for a in mine), default=0)
            back = max(_h(day, 21.5 if m.id == "bahati" else self.u(22.5, 25)), last + 600)
            stops.append(Stop(back, "go", "berth", keep=True))
            stops.append(Stop(back + 900, "leave", "berth", keep=True))
        return stops


def merge(
    routine: list[Stop], appointments: list[Appointment], keeps: list[Stop], home: str
) -> list[Stop]:
    """The routine with the appointments and fixed stops laid over it.

    Routine moves near an appointment are dropped; after one the person goes back to where the
    routine would have had them (unless it ``returns`` no more); nothing follows a final stop.
    """
    routine = sorted(routine, key=lambda s: s.at)
    appts = sorted(appointments, key=lambda a: a.start)
    fixed = [Stop(a.start - LEAD, "go", a.place, final=a.final, keep=True) for a in appts]
    fixed += keeps
    anchors = sorted(s.at for s in fixed)
    windows: list[tuple[int, int]] = []
    returns: list[Stop] = []
    for a in appts:
        go = a.start - LEAD
        if a.final:
            windows.append((go - CLEAR, 2**62))
            continue
        if a.returns:
            windows.append((go - CLEAR, a.end))
            before = [s for s in routine if s.at <= a.end and s.action == "go"]
            returns.append(Stop(a.end, "go", before[-1].place if before else home))
        else:
            after = [t for t in anchors if t > go]
            windows.append((go - CLEAR, after[0] if after else 2**62))
    movable = [s for s in [*routine, *returns] if not any(lo <= s.at < hi for lo, hi in windows)]
    stops = sorted([*movable, *fixed], key=lambda s: (s.at, not s.keep))
    cut = next((s.at for s in stops if s.final), None)
    return stops if cut is None else [s for s in stops if s.at <= cut]


def walk_everyone(
    rng: np.random.Generator,
    people: list[Member],
    tree: Tree,
    story: Story,
    shows: dict[int, list[Show]],
    seats: dict[str, int],
) -> list[tuple[str, str, int, int]]:
    """Presence rows (person, place, start, end) of everyone from day 1 to noon of day 6."""
    routines = _Routines(rng, shows, seats)
    appts: dict[str, list[Appointment]] = defaultdict(list)
    for a in story.appointments:
        appts[a.person].append(a)
    keeps: dict[str, list[Stop]] = defaultdict(list)
    for who, stop in story.stops:
        keeps[who].append(stop)
    rows: list[tuple[str, str, int, int]] = []
    for m in people:
        home = m.home or "hub"
        if m.group == "crew":
            routine = routines.crew(m, story.crew_days.get(m.id, set()), appts[m.id], story)
            start_place = None
        elif m.group in ("diplomat", "vsci", "tourist"):
            routine, start_place = [], None
        elif m.group == "patient":
            routine, start_place = [], "ward-1"
        else:
            routine, start_place = _station_routine(routines, m), home
        keep_stops = [s for s in routine if s.keep] + keeps[m.id]
        plain = [s for s in routine if not s.keep]
        stops = merge(plain, appts[m.id], keep_stops, home)
        walker = Walker(tree, rng, start_place, DAY1)
        walker.follow(stops, END)
        rows += [(m.id, place, start, end) for place, start, end in walker.rows]
    return rows


def _station_routine(routines: _Routines, m: Member) -> list[Stop]:
    if m.group in SHIFTS:
        places, early, late = SHIFTS[m.group]
        workplace = places[int(routines.rng.integers(len(places)))]
        return routines.station(m, workplace, early if routines.rng.random() < 0.6 else late)
    if m.group == "resident":
        return routines.station(m, m.home or "hub", None)
    jobs = WORK[m.group][0]
    return routines.station(m, jobs[int(routines.rng.integers(len(jobs)))], None)
