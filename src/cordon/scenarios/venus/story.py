"""The outbreak of days 1-5: the 16 cases, who met whom where, the shows, tests and the egresses.

Everything here is a plan (appointments at places and times); ``days`` walks people through it and
``exposures`` reads the actual meetings back from the presence it produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cordon.scenarios.venus.station import AIRLOCKS, ISOLATION_WARD, Member
from cordon.scenarios.venus.walker import Stop

__all__ = [
    "CONFIRMED_PER_DAY",
    "DAY",
    "DAY1",
    "END",
    "Appointment",
    "Egress",
    "Meeting",
    "Show",
    "Story",
    "clock",
    "plan_story",
]

DAY = 86_400
DAY1 = 1_795_046_400
"""Day 1 of the story, 2026-11-19T00:00:00Z: the visiting vessel docks that morning."""
END = DAY1 + 5 * DAY + 12 * 3600
"""The records stop at noon of day 6."""
CONFIRMED_PER_DAY = (1, 1, 2, 4, 8)
"""New confirmed cases on days 1-5: 16 in all, doubling every day."""
MISSING_PER_DAY = {3: 1, 4: 2, 5: 3}
"""Confirmed cases who left the station on the night of their confirmation, by day."""
EXTRA_EXPOSED = ((4, 5), (5, 3), (6, 2))
"""Women exposed but not (yet) infected: (day of exposure, how many); day 6 means after midnight."""

SLOTS = {
    "W": (14.0, 16.0),
    "A": (19.0, 21.0),
    "B": (21.5, 23.5),
    "P1": (21.75, 23.25),
    "P2": (24.0, 25.5),
    "E": (23.0, 23.75),
}
"""Hours of the day of each slot: the welcome show, the evening shows, private meetings, egress."""
CLASH = {frozenset({"B", "P1"}), frozenset({"B", "E"}), frozenset({"P1", "E"})}
CLASH |= {frozenset({"P2", "E"})}
SHOWS = {1: [("W", "theatre-1"), ("A", "theatre-2")]} | {
    d: [("A", "theatre-1"), ("A", "theatre-2"), ("B", "theatre-3"), ("B", "theatre-4")]
    for d in range(2, 6)
}
TITLES = ("Starlight Revue", "Orbit of Desire", "Low-Gravity Ballet", "Venus Cabaret", "Nebula")
EGRESS_WALK = 900
"""Seconds from leaving her quarters to going out through the airlock."""
SUITES = ("suite-versailles", "suite-atlantis", "suite-orient", "suite-westworld")


def clock(day: int, hour: float) -> int:
    """Epoch seconds of ``hour`` (may pass 24) on story day ``day``."""
    return DAY1 + (day - 1) * DAY + round(hour * 3600)


@dataclass(frozen=True, slots=True)
class Appointment:
    """Be at ``place`` over [start, end); ``final`` stays there to the end of the record."""

    person: str
    place: str
    start: int
    end: int
    final: bool = False
    returns: bool = True


@dataclass
class Show:
    """A scheduled show with its performers and visiting crew."""

    id: str
    name: str
    place: str
    start: int
    end: int
    day: int
    slot: str
    performers: list[str] = field(default_factory=list)
    crew: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Meeting:
    """An intimate contact: ``source`` first when the direction is known (else the woman)."""

    source: str
    target: str
    place: str
    start: int
    end: int
    kind: str
    gathering: str
    infects: bool


@dataclass(frozen=True, slots=True)
class Egress:
    """A missing woman's exit: the airlock, when, the escort and the camera that saw it."""

    person: str
    escort: str
    airlock: str
    time: int
    camera: str


@dataclass
class Story:
    """The plan of days 1-6 and the truth the records must show."""

    infected: list[str] = field(default_factory=list)
    confirmed_day: dict[str, int] = field(default_factory=dict)
    specimen_at: dict[str, int] = field(default_factory=dict)
    result_at: dict[str, int] = field(default_factory=dict)
    isolated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    exposed_only: list[str] = field(default_factory=list)
    infector: dict[str, str] = field(default_factory=dict)
    bridges: list[tuple[str, str]] = field(default_factory=list)
    egress: list[Egress] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    shows: list[Show] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    stops: list[tuple[str, Stop]] = field(default_factory=list)
    lab: list[tuple[str, int, str, float]] = field(default_factory=list)
    crew_days: dict[str, set[int]] = field(default_factory=dict)
    escort_nights: set[tuple[str, int]] = field(default_factory=set)
    busy: dict[tuple[str, int], set[str]] = field(default_factory=dict)

    def free(self, person: str, day: int, slot: str) -> bool:
        """Whether ``person`` has nothing on ``day`` that clashes with ``slot``."""
        taken = self.busy.get((person, day), set())
        return slot not in taken and not any(frozenset({slot, t}) in CLASH for t in taken)

    def book(self, person: str, day: int, slot: str) -> None:
        """Mark ``slot`` of ``day`` taken for ``person``."""
        self.busy.setdefault((person, day), set()).add(slot)


def _pick(rng: np.random.Generator, items: list[str], k: int) -> list[str]:
    return [items[i] for i in sorted(rng.choice(len(items), size=k, replace=False).tolist())]


def plan_story(rng: np.random.Generator, people: list[Member]) -> Story:
    """Choose the cases, their meetings, the shows, the tests and the egresses of days 1-5."""
    story = Story()
    by_id = {m.id: m for m in people}
    crew = [m.id for m in people if m.group == "crew" and m.id != "bahati"]
    performers_f = [m.id for m in people if m.group == "performer" and m.female]
    performers_f.remove("stephanie")
    hostesses = [m.id for m in people if m.group == "hospitality" and m.female]
    chosen = _pick(rng, performers_f, 11) + _pick(rng, hostesses, 4)
    rng.shuffle(chosen)
    days = [d for d, n in enumerate(CONFIRMED_PER_DAY, start=1) for _ in range(n)]
    story.infected = ["stephanie", *chosen]
    story.confirmed_day = dict(zip(story.infected, days, strict=True))
    for day, count in MISSING_PER_DAY.items():
        pool = [p for p in story.infected if story.confirmed_day[p] == day]
        pool.sort(key=lambda p: (by_id[p].group != "performer", p))
        story.missing += pool[:count]
    story.isolated = [p for p in story.infected if p not in story.missing]
    for c in crew:
        story.crew_days[c] = {d for d in range(1, 6) if rng.random() < 0.6}
        if rng.random() < 0.3:
            story.crew_days[c].add(6)
    story.crew_days["bahati"] = set(range(1, 7))
    _stephanie(story, crew[int(rng.integers(len(crew)))])
    _infections(rng, story, by_id, crew)
    _extra_exposed(rng, story, by_id, crew, [*performers_f, *hostesses])
    _shows(rng, story, [m.id for m in people if m.group == "performer"], crew)
    _tests(rng, story, by_id, performers_f)
    _egresses(rng, story, by_id, crew)
    _isolations(story)
    return story


def _stephanie(story: Story, partner: str) -> None:
    """Day 1: the welcome show, a private meeting after it, the hospital in the evening."""
    story.infector["stephanie"] = partner
    story.crew_days[partner].add(1)
    story.meetings.append(
        Meeting(partner, "stephanie", "theatre-1", clock(1, 14), clock(1, 16), "show", "", True)
    )
    start, end = clock(1, 16.5), clock(1, 18)
    gid = "private-d1-01"
    story.meetings.append(
        Meeting(partner, "stephanie", "suite-versailles", start, end, "private", gid, True)
    )
    for who in (partner, "stephanie"):
        story.book(who, 1, "W")
        story.appointments.append(Appointment(who, "suite-versailles", start, end))
    story.specimen_at["stephanie"] = clock(1, 21)
    story.result_at["stephanie"] = clock(1, 23)
    story.appointments.append(
        Appointment("stephanie", "hospital", clock(1, 20.5), clock(1, 20.9), returns=False)
    )


def _slot_for(rng: np.random.Generator, story: Story, woman: str, performer: bool, day: int) -> str:
    options = (["A", "B"] if day > 1 else ["A"]) if performer and rng.random() < 0.5 else []
    options += ["P1", "P2"]
    for slot in options:
        if story.free(woman, day, slot):
            return slot
    raise RuntimeError(f"no free slot for {woman} on day {day}")


def _meet(
    rng: np.random.Generator,
    story: Story,
    by_id: dict[str, Member],
    source: str,
    target: str,
    day: int,
    slot: str,
    infects: bool,
) -> None:
    """Book a meeting: on stage in a show of that slot, or in private (suite or her quarters)."""
    woman = target if by_id[target].group != "crew" else source
    story.book(source, day, slot)
    story.book(target, day, slot)
    story.crew_days.setdefault(source if woman == target else target, set()).add(day)
    first, last = SLOTS[slot]
    start, end = clock(day, first), clock(day, last)
    if slot in ("A", "B", "W"):
        story.meetings.append(Meeting(source, target, "", start, end, "show", "", infects))
        return
    start += int(rng.integers(-900, 900) if slot == "P1" else rng.integers(0, 1200))
    end = start + int(rng.integers(3600, 6000))
    place = by_id[woman].home if rng.random() < 0.4 else SUITES[int(rng.integers(len(SUITES)))]
    assert place is not None
    gid = f"private-d{day}-{len(story.meetings) + 1:02d}"
    story.meetings.append(Meeting(source, target, place, start, end, "private", gid, infects))
    for who in (source, target):
        story.appointments.append(Appointment(who, place, start, end))


def _free_crew(
    rng: np.random.Generator, story: Story, crew: list[str], day: int, slot: str, reuse: list[str]
) -> str:
    if reuse and rng.random() < 0.45:
        candidates = [c for c in reuse if story.free(c, day, slot)]
        if candidates:
            return candidates[int(rng.integers(len(candidates)))]
    order: list[int] = rng.permutation(len(crew)).tolist()
    return next(crew[i] for i in order if story.free(crew[i], day, slot))


def _infections(
    rng: np.random.Generator, story: Story, by_id: dict[str, Member], crew: list[str]
) -> None:
    """Each case is infected by a crew member the evening before confirmation; two day-4 cases
    two evenings before, and each of them meets another crew member who then infects a day-5 case
    (a chain through the visitors whose direction the station cannot tell)."""
    day4 = [p for p in story.infected if story.confirmed_day[p] == 4 and p not in story.missing]
    day5 = [p for p in story.infected if story.confirmed_day[p] == 5]
    early = set(day4[:2])
    used: list[str] = [story.infector["stephanie"]]
    for woman in story.infected[1:]:
        day = story.confirmed_day[woman] - (2 if woman in early else 1)
        slot = _slot_for(rng, story, woman, by_id[woman].group == "performer", day)
        partner = _free_crew(rng, story, crew, day, slot, used)
        used.append(partner)
        story.infector[woman] = partner
        _meet(rng, story, by_id, partner, woman, day, slot, True)
    for woman, later in zip(sorted(early), day5[:2], strict=True):
        old = next(i for i, m in enumerate(story.meetings) if m.target == later and m.infects)
        meeting = story.meetings[old]
        later_day = int((meeting.start - DAY1) // DAY + 1)
        later_slot = next(s for s in story.busy[(later, later_day)])
        slot = _slot_for(rng, story, woman, False, 3)
        bridge = next(
            c
            for c in (crew[i] for i in rng.permutation(len(crew)).tolist())
            if story.free(c, 3, slot) and story.free(c, later_day, later_slot)
        )
        _meet(rng, story, by_id, woman, bridge, 3, slot, True)
        story.book(bridge, later_day, later_slot)
        story.crew_days[bridge].add(later_day)
        story.bridges.append((woman, bridge))
        story.meetings[old] = Meeting(
            bridge,
            later,
            meeting.place,
            meeting.start,
            meeting.end,
            meeting.kind,
            meeting.gathering,
            True,
        )
        story.appointments = [
            Appointment(bridge, a.place, a.start, a.end)
            if a.person == meeting.source and a.start == meeting.start
            else a
            for a in story.appointments
        ]
        story.infector[later] = bridge


def _extra_exposed(
    rng: np.random.Generator,
    story: Story,
    by_id: dict[str, Member],
    crew: list[str],
    women: list[str],
) -> None:
    """Women who met the crew on days 4 and 5 (two after midnight, on day 6) but are not cases."""
    pool = [w for w in women if w not in story.infected]
    chosen = _pick(rng, pool, sum(n for _d, n in EXTRA_EXPOSED))
    rng.shuffle(chosen)
    k = 0
    for day, count in EXTRA_EXPOSED:
        for woman in chosen[k : k + count]:
            slot = (
                "P2"
                if day == 6
                else _slot_for(rng, story, woman, by_id[woman].group == "performer", day)
            )
            on = 5 if day == 6 else day
            partner = _free_crew(rng, story, crew, on, slot, [])
            _meet(rng, story, by_id, partner, woman, on, slot, False)
            story.exposed_only.append(woman)
        k += count


def _shows(rng: np.random.Generator, story: Story, performers: list[str], crew: list[str]) -> None:
    """Shows of days 1-5: the meetings on stage, then performers and crew filled up."""
    gone: dict[str, int] = {p: story.confirmed_day[p] for p in story.infected}
    for day, slots in SHOWS.items():
        day_shows = []
        for k, (slot, theatre) in enumerate(slots):
            first, last = SLOTS[slot]
            title = TITLES[(day + k) % len(TITLES)]
            day_shows.append(
                Show(
                    f"show-d{day}-{theatre}",
                    f"{title} ({(slot == 'W' and 'welcome show') or 'evening show'})",
                    theatre,
                    clock(day, first),
                    clock(day, last),
                    day,
                    slot,
                )
            )
        for i, m in enumerate(story.meetings):
            if m.kind != "show" or m.place or (m.start - DAY1) // DAY + 1 != day:
                continue
            slot = next(
                s for s, (f, _l) in SLOTS.items() if clock(day, f) == m.start and s in "WAB"
            )
            fits = [s for s in day_shows if s.slot == slot]
            show = fits[int(rng.integers(len(fits)))]
            woman, partner = (m.target, m.source) if m.source in crew else (m.source, m.target)
            show.performers.append(woman)
            show.crew.append(partner)
            story.meetings[i] = Meeting(
                m.source, m.target, show.place, m.start, m.end, "show", show.id, m.infects
            )
        for show in day_shows:
            if day == 1 and show.slot == "W":
                show.performers.append("stephanie")
                show.crew.append(story.infector["stephanie"])
                story.meetings[0] = Meeting(
                    story.infector["stephanie"],
                    "stephanie",
                    show.place,
                    show.start,
                    show.end,
                    "show",
                    show.id,
                    True,
                )
            _fill(rng, story, show, performers, 10, gone, day)
            _fill(rng, story, show, [c for c in crew if day in story.crew_days[c]], 4, {}, day)
            for who in [*show.performers, *show.crew]:
                story.book(who, day, show.slot)
                story.appointments.append(Appointment(who, show.place, show.start - 1800, show.end))
        story.shows += day_shows


def _fill(
    rng: np.random.Generator,
    story: Story,
    show: Show,
    pool: list[str],
    size: int,
    gone: dict[str, int],
    day: int,
) -> None:
    members = show.performers if pool and pool[0] not in story.crew_days else show.crew
    order = rng.permutation(len(pool))
    for i in order.tolist():
        if len(members) >= size:
            break
        who = pool[i]
        if who in members or gone.get(who, 99) <= day or not story.free(who, day, show.slot):
            continue
        members.append(who)


def _tests(
    rng: np.random.Generator, story: Story, by_id: dict[str, Member], performers_f: list[str]
) -> None:
    """Specimens: each case on her confirmation day, the day-4 exposed on day 5, a screening."""
    for woman in story.infected[1:]:
        day = story.confirmed_day[woman]
        taken = clock(day, 8.5 + 4 * float(rng.random()))
        story.specimen_at[woman] = taken
        story.result_at[woman] = taken + 4 * 3600
    for woman in story.infected:
        taken = story.specimen_at[woman]
        if woman != "stephanie":
            story.appointments.append(Appointment(woman, "lab-med", taken - 300, taken + 900))
        infected_at = next(m.start for m in story.meetings if m.target == woman and m.infects)
        hours = (taken - infected_at) / 3600
        story.lab.append((woman, taken, "positive", round(20 * 2 ** (hours / 24), 1)))
    screened = list(story.exposed_only[:5])
    others = [p for p in performers_f if p not in story.infected and p not in story.exposed_only]
    screened += _pick(rng, others, 24)
    medics = [m for m in by_id if m.startswith("med-")][:4]
    for k, who in enumerate([*screened, *medics]):
        day = 3 if who in medics else (5 if k < 5 or k % 2 else 4)
        taken = clock(day, 9 + 3 * float(rng.random()))
        story.lab.append((who, taken, "negative", 0.0))
        story.appointments.append(Appointment(who, "lab-med", taken - 300, taken + 900))


def _egresses(
    rng: np.random.Generator, story: Story, by_id: dict[str, Member], crew: list[str]
) -> None:
    """Each missing woman leaves on the night of her confirmation with a crew member, through
    the airlock of her quarters ring, the door opened by his force-field patch."""
    exits = [a for a in AIRLOCKS if a != "airlock-6"]
    chosen = [exits[i] for i in rng.permutation(len(exits))[: len(story.missing)].tolist()]
    for k, (woman, airlock) in enumerate(zip(story.missing, chosen, strict=True)):
        day = story.confirmed_day[woman]
        escort = story.infector[woman]
        if not story.free(escort, day, "E"):
            escort = _free_crew(rng, story, crew, day, "E", [])
        story.book(escort, day, "E")
        story.book(woman, day, "E")
        story.crew_days[escort].add(day)
        story.escort_nights.add((escort, day))
        home = by_id[woman].home
        assert home is not None
        meet = clock(day, SLOTS["E"][0] + 0.3 * (k % 3)) + int(rng.integers(0, 600))
        go = meet + 2700
        out = go + EGRESS_WALK
        for who in (woman, escort):
            story.appointments.append(Appointment(who, home, meet, go, returns=False))
            story.stops.append((who, Stop(go, "go", airlock, keep=True, hop=90)))
            story.stops.append((who, Stop(out, "leave", airlock, final=who == woman, keep=True)))
        story.egress.append(Egress(woman, escort, airlock, out, f"cam-{airlock}"))


def _isolations(story: Story) -> None:
    for woman in story.isolated:
        at = story.result_at[woman]
        story.appointments.append(
            Appointment(woman, ISOLATION_WARD, at, END, final=True, returns=False)
        )
