"""Plans from the record: beds for everyone under order, and guards for every exit.

The housing plan lives here; the roster in ``services.roster``, re-exported here.
Both read the store, hand flat arrays to ``engine.plan`` (OR-Tools CP-SAT), and turn the answer
back into names, times and plain reasons. Neither changes any record; each run is audited because
it reads personal (and for housing, clinical) data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cordon.domain.cases import Case, Clinical, Containment
from cordon.domain.people import Role
from cordon.domain.places import Place, PlaceKind
from cordon.domain.roles import Actor, Permission, require
from cordon.engine.plan import HousingProblem, beds_run_out, cohort_capacity, solve_housing
from cordon.errors import InvalidValue
from cordon.services.roster import (
    GuardLoad,
    OffPost,
    RosterPlan,
    Shift,
    Uncovered,
    plan_roster,
)
from cordon.services.transaction import unit_of_work
from cordon.services.whereabouts import Whereabouts, locate
from cordon.store import audit, cases, directory
from cordon.store import plans as reads

__all__ = [
    "SEATS_PER_BED",
    "Bed",
    "BedsForecast",
    "GuardLoad",
    "HousingPlan",
    "OffPost",
    "RoomUse",
    "RosterPlan",
    "Shift",
    "Uncovered",
    "plan_housing",
    "plan_roster",
]

SEATS_PER_BED = 5
"""A cot with room around it takes the floor of about five seats: a hall of 300 holds 60 beds."""
CONVERTIBLE_KINDS = (PlaceKind.HALL,)
COHORTS = ("confirmed", "suspected", "exposed")
"""Built-in cohorts, in the order they get beds when beds are short."""
DAY = 86_400


@dataclass(frozen=True)
class Bed:
    """One person's line in a housing plan."""

    person: str
    cohort: str
    containment: str
    current: str | None
    room: str | None
    action: str
    """``stays``, ``moves``, ``admit`` (no bed now), ``recover`` (missing or departed: bring back
    to this room), or ``no bed``."""


@dataclass(frozen=True)
class RoomUse:
    """A room in the plan: its beds, who else holds some, which cohort it gets."""

    room: str
    name: str
    kind: str
    beds: int
    held_by_others: int
    assigned: int
    cohort: str | None
    convert: bool
    """True when the plan converts this room (it holds no beds now)."""


@dataclass(frozen=True)
class BedsForecast:
    """When a cohort's forecast need passes its beds, as things stand and with every conversion."""

    cohort: str
    needed: list[float]
    beds_now: int
    beds_converted: int
    runs_out_day: int | None
    runs_out_at: int | None
    runs_out_day_converted: int | None
    runs_out_at_converted: int | None


@dataclass(frozen=True)
class HousingPlan:
    """Beds for everyone under isolation or quarantine, and what is missing if they do not fit."""

    at: int
    beds: list[Bed]
    rooms: list[RoomUse]
    short: dict[str, int]
    """Beds short per cohort (only cohorts that are short)."""
    conversions: list[str]
    moves: int
    status: str
    objective: float
    bound: float
    gap: float
    wall_s: float
    forecast: BedsForecast | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """Whether everyone has a bed."""
        return not self.short

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {**asdict(self), "feasible": self.feasible}


def _cohort(case: Case) -> str:
    if case.clinical is Clinical.CONFIRMED:
        return "confirmed"
    if case.clinical is Clinical.SUSPECTED:
        return "suspected"
    return "exposed"


def _conversion_beds(
    places: dict[str, Place], convert: Mapping[str, int] | bool | None
) -> dict[str, int]:
    """Beds each convertible room would hold: every hall by default, or the rooms named."""
    if convert is False:
        return {}
    if convert is None or convert is True:
        return {
            p.id: p.capacity // SEATS_PER_BED
            for p in places.values()
            if p.kind in CONVERTIBLE_KINDS and p.capacity and p.capacity >= SEATS_PER_BED
        }
    unknown = sorted(set(convert) - set(places))
    if unknown:
        raise InvalidValue(f"no place to convert with id {', '.join(map(repr, unknown))}")
    bad = {k: v for k, v in convert.items() if v <= 0}
    if bad:
        raise InvalidValue(f"a converted room needs a positive number of beds: {bad}")
    return dict(convert)


@dataclass
class _Setting:
    """Everything the plan was built from, to name its answer."""

    people: list[Case]
    labels: list[str]
    cohort_of: list[str]
    names: list[str]
    room_ids: list[str]
    places: dict[str, Place]
    current: list[int]
    held: dict[str, int]
    beds: list[int]
    conv_beds: list[int]
    present: list[tuple[str, str, str]]
    planned: set[str]
    problem: HousingProblem
    where: dict[str, Whereabouts] = field(default_factory=dict)
    left_behind: list[str] = field(default_factory=list)
    """Off the station and not planned (no ``bring_back``)."""


def _setting(
    session: Session,
    at: int,
    convert: Mapping[str, int] | bool | None,
    extra: Mapping[str, int] | None,
    include_missing: bool,
    bring_back: bool = False,
) -> _Setting:
    """Who is to be housed, in which cohort, where they are now, and the rooms, as arrays.
    People off the station are housed only when ``bring_back``."""
    states = [Containment.ISOLATED, Containment.QUARANTINED]
    if include_missing:
        states += [Containment.MISSING, Containment.DEPARTED]
    people = [c for k in states for c in cases.list_cases(session, containment=k)]
    people.sort(key=lambda c: c.person)
    where = locate(session, at=at, people=[c.person for c in people], cases=people)
    left_behind = [c.person for c in people if not where[c.person].aboard and not bring_back]
    people = [c for c in people if c.person not in left_behind]
    places = {p.id: p for p in directory.list_places(session)}
    conversion = _conversion_beds(places, convert)
    bed_rooms = [p.id for p in places.values() if p.holds_beds and (p.capacity or 0) > 0]
    for c in people:  # a room converted before keeps the people housed there
        room = c.assigned_place
        if room in places and room not in bed_rooms and room not in conversion:
            conversion[room] = (places[room].capacity or 0) // SEATS_PER_BED
    room_ids = bed_rooms + sorted(set(conversion) - set(bed_rooms))
    index = {r: i for i, r in enumerate(room_ids)}

    planned = {c.person for c in people}
    present = reads.present_at(session, room_ids, at)
    where_now = {p: q for p, _, q in present if p in planned}
    held = dict.fromkeys(room_ids, 0)
    for person, role, room in present:
        if person not in planned and role == Role.PATIENT.value:
            held[room] += 1

    extra = dict(extra or {})
    clash = set(extra) & set(COHORTS)
    if clash or any(n < 0 for n in extra.values()):
        raise InvalidValue("extra people need a new cohort name and a count of 0 or more")
    names = list(COHORTS) + sorted(extra)
    cohort_of = [_cohort(c) for c in people] + [n for n in sorted(extra) for _ in range(extra[n])]
    labels = [c.person for c in people] + [
        f"({n} {k + 1})" for n in sorted(extra) for k in range(extra[n])
    ]
    current = []
    for c in people:
        here = where[c.person].place
        here = here if here in index else where_now.get(c.person)
        away = c.containment in (Containment.MISSING, Containment.DEPARTED)
        current.append(-1 if here is None or away else index[here])
    current += [-1] * (len(labels) - len(people))

    in_use = {room_ids[r] for r in current if r >= 0}
    beds, conv_beds = [], []
    for rid in room_ids:
        free = (places[rid].capacity or 0) if rid in bed_rooms else 0
        if rid in conversion and rid in in_use and rid not in bed_rooms:
            # already converted: as many beds as it was given, at least one per occupant
            free = max(conversion[rid], sum(1 for r in current if r == index[rid]))
        beds.append(max(0, free - held[rid]))
        conv_beds.append(max(0, conversion.get(rid, 0) - held[rid]) if rid not in in_use else 0)
    problem = HousingProblem(
        cohort=np.array([names.index(c) for c in cohort_of], dtype=np.int64),
        current=np.array(current, dtype=np.int64),
        beds=np.array(beds, dtype=np.int64),
        conversion_beds=np.array(conv_beds, dtype=np.int64),
        allow_conversion=bool(conversion),
    )
    return _Setting(
        people, labels, cohort_of, names, room_ids, places, current, held, beds, conv_beds,
        present, planned, problem, where, left_behind,
    )  # fmt: skip


def _lines(t: _Setting, placed: list[str | None]) -> list[Bed]:
    """Each person's line: where they are now, where they go, and what that means."""
    lines = []
    for i, label in enumerate(t.labels):
        room = t.room_ids[t.current[i]] if t.current[i] >= 0 else None
        case = t.people[i] if i < len(t.people) else None
        seen = t.where.get(label) if case is not None else None
        now = room if seen is None or seen.place is None else seen.place
        if placed[i] is None:
            action = "no bed"
        elif case is not None and case.containment in (Containment.MISSING, Containment.DEPARTED):
            action = "recover"
        elif room is None and now is None:
            action = "admit"
        else:
            action = "stays" if room == placed[i] else ("moves" if room else "admit")
        state = case.containment.value if case is not None else "extra"
        lines.append(Bed(label, t.cohort_of[i], state, now, placed[i], action))
    return lines


def _uses(t: _Setting, placed: list[str | None], converted: list[bool]) -> list[RoomUse]:
    """Each room's beds, who else holds some, and the cohort it gets."""
    rooms = []
    for r, room in enumerate(t.room_ids):
        inside = [t.cohort_of[i] for i, q in enumerate(placed) if q == room]
        place = t.places[room]
        beds = t.conv_beds[r] if converted[r] else t.beds[r]
        rooms.append(
            RoomUse(
                room,
                place.name,
                place.kind.value,
                beds + t.held[room],
                t.held[room],
                len(inside),
                inside[0] if inside else None,
                converted[r],
            )
        )
    return rooms


def plan_housing(
    session: Session,
    *,
    actor: Actor,
    at: int,
    convert: Mapping[str, int] | bool | None = None,
    extra: Mapping[str, int] | None = None,
    include_missing: bool = True,
    bring_back: bool = False,
    forecast: Sequence[float] | None = None,
    forecast_cohort: str = "confirmed",
    time_limit_s: float = 10.0,
) -> HousingPlan:
    """Beds at ``at`` for everyone isolated or quarantined (and, with ``include_missing``, the
    missing and departed cases to bring back), one cohort per room, current occupants kept.

    ``convert``: None or True lets the plan convert any hall (beds: seats / SEATS_PER_BED);
    False forbids conversions; a mapping names the rooms that may be converted and their beds.
    ``extra``: more people to house by cohort name (e.g. ``{"scientist": 6}``), after the cases.
    ``forecast``: beds the ``forecast_cohort`` will need on each day from ``at``.
    """
    require(actor, Permission.PLAN_BEDS, Permission.READ_CLINICAL)
    t = _setting(session, at, convert, extra, include_missing, bring_back)
    solution = solve_housing(t.problem, time_limit_s=time_limit_s)
    placed = [t.room_ids[r] if r >= 0 else None for r in solution.room.tolist()]
    lines = _lines(t, placed)
    rooms = _uses(t, placed, solution.converted.tolist())
    names, present, planned, problem = t.names, t.present, t.planned, t.problem
    short = {names[c]: int(n) for c, n in enumerate(solution.unhoused_by_cohort.tolist()) if n > 0}
    notes = _housing_notes(short, rooms, bool(problem.convertible.any()), convert)
    if t.left_behind:
        notes.append(
            f"{len(t.left_behind)} off the station and not planned (bring them back to plan "
            f"them): {', '.join(t.left_behind)}"
        )
    for u in rooms:
        crowd = sum(1 for p, _, q in present if q == u.room and p not in planned)
        if u.convert and crowd:
            who = "person is" if crowd == 1 else "people are"
            notes.append(f"{crowd} {who} in {u.room} now and must leave before it converts")
    outlook = None
    if forecast is not None:
        outlook = _forecast(problem, names, forecast_cohort, list(forecast), at, time_limit_s)
    plan = HousingPlan(
        at=at,
        beds=lines,
        rooms=rooms,
        short=short,
        conversions=[u.room for u in rooms if u.convert],
        moves=solution.moves,
        status=solution.status,
        objective=solution.objective,
        bound=solution.bound,
        gap=solution.gap,
        wall_s=solution.wall_s,
        forecast=outlook,
        notes=notes,
    )
    with unit_of_work(session):
        audit.record(
            session,
            actor=actor.name,
            action="plan",
            entity="housing",
            entity_id=None,
            after={"at": at, "people": len(lines), "short": short, "convert": plan.conversions},
        )
    return plan


def _housing_notes(
    short: dict[str, int],
    rooms: list[RoomUse],
    may_convert: bool,
    convert: Mapping[str, int] | bool | None,
) -> list[str]:
    """Plain sentences on what is missing and why."""
    notes = []
    for cohort, n in short.items():
        notes.append(f"short of {n} bed{'s' * (n != 1)} for the {cohort} cohort")
    if short and not may_convert:
        notes.append(
            "no room may be converted: allow a conversion (a hall) or name rooms with their beds"
            if convert is False
            else "no hall is large enough to convert: name a room and its beds to convert"
        )
    elif short:
        free = [u.room for u in rooms if u.cohort is None and u.beds > u.held_by_others]
        notes.append(
            "cohorts never share a room; "
            + (f"rooms left empty: {', '.join(free)}" if free else "every room is in use")
        )
    for u in rooms:
        if u.convert:
            notes.append(f"convert {u.room} ({u.name}) to {u.beds} beds for the {u.cohort} cohort")
    return notes


def _forecast(
    problem: HousingProblem,
    names: list[str],
    cohort: str,
    needed: list[float],
    at: int,
    time_limit_s: float,
) -> BedsForecast:
    if cohort not in names:
        raise InvalidValue(f"unknown cohort {cohort!r} for the forecast (use one of {names})")
    c = names.index(cohort)
    walled = HousingProblem(
        problem.cohort, problem.current, problem.beds, problem.conversion_beds, False
    )
    now = cohort_capacity(walled, c, time_limit_s=time_limit_s)
    converted = cohort_capacity(problem, c, time_limit_s=time_limit_s)
    day, day_c = beds_run_out(needed, now), beds_run_out(needed, converted)
    return BedsForecast(
        cohort,
        needed,
        now,
        converted,
        day,
        None if day is None else at + day * DAY,
        day_c,
        None if day_c is None else at + day_c * DAY,
    )
