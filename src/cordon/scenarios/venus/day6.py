"""Day 6 until noon (arrivals, the search, the study at the hospital) and tonight's schedule."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cordon.scenarios.venus.station import Member
from cordon.scenarios.venus.story import SLOTS, Appointment, Show, Story, clock
from cordon.scenarios.venus.walker import Stop

__all__ = ["Day6", "plan_day6"]

TOURISTS = 30
TURNED_BACK = 6
TONIGHT = [(s, t) for s in ("A",) for t in ("theatre-1", "theatre-2", "theatre-3", "theatre-4")]
TONIGHT += [("B", "theatre-1"), ("B", "theatre-2")]
WESTWORLD_CREW = 8


@dataclass
class Day6:
    """Who arrived, who turned back, and the gatherings planned for tonight."""

    diplomats: list[str] = field(default_factory=list)
    scientists: list[str] = field(default_factory=list)
    tourists: list[str] = field(default_factory=list)
    turned_back: list[str] = field(default_factory=list)
    shows: list[Show] = field(default_factory=list)
    westworld: Show | None = None
    meetings: list[Show] = field(default_factory=list)
    searchers: list[str] = field(default_factory=list)


def plan_day6(rng: np.random.Generator, story: Story, people: list[Member]) -> Day6:
    """Add the morning's appointments to ``story`` and return tonight's schedule."""
    day = Day6()
    groups: dict[str, list[str]] = {}
    for m in people:
        groups.setdefault(m.group, []).append(m.id)
    homes = {m.id: m.home for m in people}
    day.diplomats, day.scientists = groups["diplomat"], groups["vsci"]
    day.tourists = groups["tourist"]
    day.turned_back = [
        day.tourists[i] for i in sorted(rng.choice(TOURISTS, TURNED_BACK, replace=False))
    ]
    add, stop = story.appointments.append, story.stops.append
    for who in [*day.diplomats, *day.scientists]:
        stop((who, Stop(clock(6, 7.5), "arrive", "shuttle-bay", keep=True)))
        stop((who, Stop(clock(6, 7.75), "go", "auditorium", keep=True)))
    for who in day.tourists:
        stop((who, Stop(clock(6, 10), "arrive", "shuttle-bay", keep=True)))
        if who in day.turned_back:
            stop((who, Stop(clock(6, 10.6), "leave", "shuttle-bay", keep=True, final=True)))
        else:
            stop((who, Stop(clock(6, 10.7), "go", "auditorium", keep=True)))
    study = [*groups["scientist"], *groups["medical"][4:12]]
    for who in study:
        add(Appointment(who, "lab-med", clock(6, 6.5), clock(6, 12), returns=False))
    day.meetings.append(
        Show(
            "study-d6",
            "Particle study at the hospital",
            "lab-med",
            clock(6, 6.5),
            clock(6, 12),
            6,
            "M",
            performers=study,
        )
    )
    briefing = [*day.diplomats, *day.scientists, "john"]
    day.meetings.append(
        Show(
            "briefing-d6",
            "Briefing of the diplomatic mission",
            "auditorium",
            clock(6, 8.5),
            clock(6, 9.5),
            6,
            "M",
            performers=briefing,
        )
    )
    add(Appointment("john", "auditorium", clock(6, 8.5), clock(6, 9.5)))
    talks = ["john", "dominic", "bahati"]
    stop(("bahati", Stop(clock(6, 9.25), "arrive", "berth", keep=True)))
    for who in talks:
        add(Appointment(who, "admin", clock(6, 10), clock(6, 11.5)))
    add(Appointment("dominic", "police", clock(6, 8.25), clock(6, 9.75)))
    officers = [s for s in groups["security"] if s != "dominic"]
    day.searchers = officers[: len(story.missing)]
    for k, (who, woman) in enumerate(zip(day.searchers, story.missing, strict=True)):
        home = homes[woman]
        assert home is not None
        add(Appointment(who, home, clock(6, 8 + 0.1 * k), clock(6, 9 + 0.1 * k)))
        add(Appointment(who, "police", clock(6, 9.5), clock(6, 11), returns=True))
    for who in officers[len(story.missing) : len(story.missing) + 3]:
        add(Appointment(who, "shuttle-bay", clock(6, 9.75), clock(6, 11)))
    _tonight(rng, story, day, groups)
    return day


def _tonight(
    rng: np.random.Generator, story: Story, day: Day6, groups: dict[str, list[str]]
) -> None:
    """Six shows with visiting crew and the tourists' session in the Westworld suite."""
    unavailable = set(story.infected) | set(story.exposed_only)
    performers = [p for p in groups["performer"] if p not in unavailable]
    crew = [c for c in groups["crew"] if c != "bahati"]
    order_p = [performers[i] for i in rng.permutation(len(performers))]
    order_c = [crew[i] for i in rng.permutation(len(crew))]
    for k, (slot, theatre) in enumerate(TONIGHT):
        first, last = SLOTS[slot]
        day.shows.append(
            Show(
                f"show-d6-{slot.lower()}-{theatre}",
                f"Tonight's {'early' if slot == 'A' else 'late'} show in {theatre}",
                theatre,
                clock(6, first),
                clock(6, last),
                6,
                slot,
                performers=order_p[10 * k : 10 * k + 10],
                crew=order_c[4 * k : 4 * k + 4],
            )
        )
    guests = [t for t in day.tourists if t not in day.turned_back]
    day.westworld = Show(
        "session-d6-westworld",
        "Tourist group session in the Westworld suite",
        "suite-westworld",
        clock(6, 22),
        clock(6, 26),
        6,
        "S",
        performers=guests,
        crew=order_c[24 : 24 + WESTWORLD_CREW],
    )
