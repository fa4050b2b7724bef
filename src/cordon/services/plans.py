"""Plans from the record: beds for everyone under order, and guards for every exit.

The housing plan lives here; the roster in ``services.roster``, re-exported here.
Both read the store, hand flat arrays to ``engine.plan`` (OR-Tools CP-SAT), and turn the answer
back into names, times and plain reasons. Neither changes any record; each run is audited because
it reads personal (and for housing, clinical) data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, tzinfo
from typing import Any, Literal

import numpy as np
from sqlalchemy.orm import Session

from cordon.domain.cases import Case, Clinical, Containment
from cordon.domain.gatherings import GatheringStatus
from cordon.domain.people import ROLE_ALIASES, Role
from cordon.domain.places import Place, PlaceKind
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import choice
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
from cordon.store import audit, cases, directory, gatherings
from cordon.store import plans as reads
from cordon.times import format_time

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
    "parse_extra",
    "parse_mix",
    "plan_housing",
    "plan_roster",
]

SEATS_PER_BED = 5
"""A cot with room around it takes the floor of about five seats: a hall of 300 holds 60 beds."""
CONVERTIBLE_KINDS = (PlaceKind.HALL,)
COHORTS = ("confirmed", "suspected", "exposed")
"""Built-in cohorts, in the order they get beds when beds are short."""
DAY = 86_400
AUTO_FORECAST_DAYS = 7
AUTO_FORECAST_RUNS = 200
MAX_EXTRA = 10_000
"""The most anonymous extra people one cohort may have."""
Extra = int | str | Sequence[str]
"""More people to house in a cohort: a count (anonymous), person ids, or a selector of the
directory (``role:ROLE``, ``affiliation:TEXT``)."""


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
    gathering: str | None = None
    """A gathering in the room within 24 hours of the plan (the room is converted last)."""


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
    forecast_source: str | None = None
    """Where the forecast's bed need comes from (given, or the no-action forecast)."""

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


def parse_extra(items: Sequence[str]) -> dict[str, Extra]:
    """``NAME=COUNT``, ``NAME=ID,ID,...``, ``NAME=role:ROLE`` or ``NAME=affiliation:TEXT``
    options as the ``extra`` of ``plan_housing``."""
    out: dict[str, Extra] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise InvalidValue(
                f"--extra {item!r}: write NAME=COUNT, NAME=ID,ID,..., NAME=role:ROLE or "
                "NAME=affiliation:TEXT"
            )
        if value.isdigit():
            out[name] = int(value)
        elif value.startswith(("role:", "affiliation:")):
            out[name] = value
        else:
            out[name] = [v.strip() for v in value.split(",") if v.strip()]
    return out


def parse_mix(items: Sequence[str]) -> list[list[str]]:
    """``--mix confirmed,scientist`` options: groups of cohorts that may share a room."""
    groups = [[c.strip() for c in item.split(",") if c.strip()] for item in items]
    return [g for g in groups if g]


def _extra_people(session: Session, extra: Mapping[str, Extra]) -> dict[str, list[str | None]]:
    """Each extra cohort's people: ids, or None for each of a count of anonymous ones."""
    clash = set(extra) & set(COHORTS)
    if clash:
        raise InvalidValue(f"extra people need a new cohort name, not {', '.join(sorted(clash))}")
    known = directory.person_keys(session)
    out: dict[str, list[str | None]] = {}
    for name in sorted(extra):
        value = extra[name]
        if isinstance(value, int):
            if not 0 <= value <= MAX_EXTRA:
                raise InvalidValue(f"--extra {name}: a count from 0 to {MAX_EXTRA:,}")
            out[name] = [None] * value
            continue
        if isinstance(value, str):
            kind, _, wanted = value.partition(":")
            if kind == "role":
                role = choice(Role, wanted, ROLE_ALIASES)
                ids = [p.id for p in directory.list_people(session, role=role)]
            else:
                ids = [
                    p.id
                    for p in directory.list_people(session, search=wanted)
                    if (p.affiliation or "").casefold() == wanted.strip().casefold()
                ]
            if not ids:
                raise InvalidValue(f"--extra {name}={value}: nobody in the directory")
            out[name] = list(ids)
            continue
        unknown = [i for i in value if i not in known]
        if unknown:
            raise InvalidValue(
                f"--extra {name}: no person with id {', '.join(map(repr, unknown[:10]))}"
            )
        out[name] = list(dict.fromkeys(value))
    return out


def _gatherings_ahead(session: Session, at: int, zone: tzinfo) -> dict[str, str]:
    """Per room: the first gathering still to come (or under way) within 24 hours of ``at``."""
    out: dict[str, str] = {}
    for g in gatherings.list_gatherings(session, start=at, end=at + DAY):
        if g.status in (GatheringStatus.SCHEDULED, GatheringStatus.HELD):
            out.setdefault(g.place, f"{g.id} at {format_time(g.start, zone)[11:16]}")
    return out


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
    ahead: dict[str, str] = field(default_factory=dict)
    """Rooms with a gathering within 24 hours: converted last."""
    already: list[str] = field(default_factory=list)
    """Extra people named who are in the plan as cases already."""


def _setting(
    session: Session,
    at: int,
    convert: Mapping[str, int] | bool | None,
    extra: Mapping[str, Extra] | None,
    include_missing: bool,
    bring_back: bool = False,
    mix: Sequence[Sequence[str]] = (),
    zone: tzinfo = UTC,
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
    converted_before = set()
    for c in people:  # a room converted before keeps the people housed there
        room = c.assigned_place
        if room in places and room not in bed_rooms:
            converted_before.add(room)
            conversion.setdefault(room, (places[room].capacity or 0) // SEATS_PER_BED)
    housing = set(bed_rooms) | converted_before  # being in a hall is not having a bed there
    room_ids = bed_rooms + sorted(set(conversion) - set(bed_rooms))
    index = {r: i for i, r in enumerate(room_ids)}

    planned = {c.person for c in people}
    present = reads.present_at(session, room_ids, at)
    where_now = {p: q for p, _, q in present if p in planned}
    held = dict.fromkeys(room_ids, 0)
    for person, role, room in present:
        if person not in planned and role == Role.PATIENT.value:
            held[room] += 1

    wanted = _extra_people(session, extra or {})
    already = sorted({p for ids in wanted.values() for p in ids if p in planned})
    names = list(COHORTS) + sorted(wanted)
    cohort_of = [_cohort(c) for c in people]
    labels = [c.person for c in people]
    for n, ids in wanted.items():
        fresh = [p for p in ids if p is None or p not in planned]
        cohort_of += [n] * len(fresh)
        labels += [p if p is not None else f"({n} {k + 1})" for k, p in enumerate(fresh)]
    named = [p for p in labels[len(people) :] if not p.startswith("(")]
    where.update(locate(session, at=at, people=named, cases=[]) if named else {})
    current = []
    for c in people:
        here = where[c.person].place
        here = here if here in housing else where_now.get(c.person)
        away = c.containment in (Containment.MISSING, Containment.DEPARTED)
        current.append(-1 if here not in housing or away else index[str(here)])
    for label in labels[len(people) :]:
        seen = where.get(label)
        here = seen.place if seen is not None else None
        current.append(index[here] if here in housing else -1)

    in_use = {room_ids[r] for r in current if r >= 0}
    beds, conv_beds = [], []
    for rid in room_ids:
        free = (places[rid].capacity or 0) if rid in bed_rooms else 0
        if rid in conversion and rid in in_use and rid not in bed_rooms:
            # already converted: as many beds as it was given, at least one per occupant
            free = max(conversion[rid], sum(1 for r in current if r == index[rid]))
        beds.append(max(0, free - held[rid]))
        conv_beds.append(max(0, conversion.get(rid, 0) - held[rid]) if rid not in in_use else 0)
    ahead = {r: g for r, g in _gatherings_ahead(session, at, zone).items() if r in conversion}
    problem = HousingProblem(
        cohort=np.array([names.index(c) for c in cohort_of], dtype=np.int64),
        current=np.array(current, dtype=np.int64),
        beds=np.array(beds, dtype=np.int64),
        conversion_beds=np.array(conv_beds, dtype=np.int64),
        allow_conversion=bool(conversion),
        share=_share(names, mix),
        last=np.array([r in ahead for r in room_ids], dtype=bool),
    )
    return _Setting(
        people, labels, cohort_of, names, room_ids, places, current, held, beds, conv_beds,
        present, planned, problem, where, left_behind, ahead, already,
    )  # fmt: skip


def _share(names: list[str], mix: Sequence[Sequence[str]]) -> np.ndarray:
    """Per cohort: its sharing group (cohorts named together in ``mix`` share one)."""
    group = list(range(len(names)))
    for together in mix:
        unknown = [c for c in together if c not in names]
        if unknown:
            raise InvalidValue(
                f"--mix: no cohort {', '.join(map(repr, unknown))} (cohorts: {', '.join(names)})"
            )
        first = min(names.index(c) for c in together)
        for c in together:
            old = group[names.index(c)]
            group = [first if g == old else g for g in group]
    return np.array(group, dtype=np.int64)


def _lines(t: _Setting, placed: list[str | None]) -> list[Bed]:
    """Each person's line: where they are now, where they go, and what that means."""
    lines = []
    for i, label in enumerate(t.labels):
        room = t.room_ids[t.current[i]] if t.current[i] >= 0 else None
        case = t.people[i] if i < len(t.people) else None
        seen = t.where.get(label)
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
        inside = list(dict.fromkeys(t.cohort_of[i] for i, q in enumerate(placed) if q == room))
        count = sum(1 for q in placed if q == room)
        place = t.places[room]
        beds = t.conv_beds[r] if converted[r] else t.beds[r]
        rooms.append(
            RoomUse(
                room,
                place.name,
                place.kind.value,
                beds + t.held[room],
                t.held[room],
                count,
                "+".join(inside) if inside else None,
                converted[r],
                t.ahead.get(room),
            )
        )
    return rooms


def plan_housing(
    session: Session,
    *,
    actor: Actor,
    at: int,
    convert: Mapping[str, int] | bool | None = None,
    extra: Mapping[str, Extra] | None = None,
    include_missing: bool = True,
    bring_back: bool = False,
    forecast: Sequence[float] | Literal["auto"] | None = None,
    forecast_cohort: str = "confirmed",
    mix: Sequence[Sequence[str]] = (),
    zone: tzinfo = UTC,
    time_limit_s: float = 10.0,
) -> HousingPlan:
    """Beds at ``at`` for everyone isolated or quarantined (and, with ``include_missing``, the
    missing and departed cases to bring back), one cohort per room, current occupants kept.

    ``convert``: None or True lets the plan convert any hall (beds: seats / SEATS_PER_BED);
    False forbids conversions; a mapping names the rooms that may be converted and their beds.
    ``extra``: more people to house by cohort name, after the cases: a count (``{"scientist":
    6}``), person ids, or ``role:ROLE`` / ``affiliation:TEXT`` of the directory.
    ``mix``: groups of cohorts that may share a room (``[["confirmed", "scientist"]]``).
    ``forecast``: beds the ``forecast_cohort`` will need on each day from ``at``; ``"auto"``
    takes them from the no-action forecast (the median of those isolated each day).
    Rooms with a gathering within 24 hours are converted only when no other room will do.
    """
    require(actor, Permission.PLAN_BEDS, Permission.READ_CLINICAL)
    t = _setting(session, at, convert, extra, include_missing, bring_back, mix, zone)
    solution = solve_housing(t.problem, time_limit_s=time_limit_s)
    placed = [t.room_ids[r] if r >= 0 else None for r in solution.room.tolist()]
    lines = _lines(t, placed)
    rooms = _uses(t, placed, solution.converted.tolist())
    names, present, planned, problem = t.names, t.present, t.planned, t.problem
    short = {names[c]: int(n) for c, n in enumerate(solution.unhoused_by_cohort.tolist()) if n > 0}
    notes = _housing_notes(short, rooms, bool(problem.convertible.any()), convert)
    if t.already:
        notes.append(f"already in the plan as cases: {', '.join(t.already)}")
    spared = sorted(r for r in t.ahead if r not in {u.room for u in rooms if u.convert})
    if spared:
        notes.append(
            "rooms with a gathering within 24 h are converted last: "
            + ", ".join(f"{r} ({t.ahead[r]})" for r in spared)
        )
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
    outlook, source = None, None
    if forecast == "auto":
        forecast, source = _auto_forecast(session, actor, at, zone)
    elif forecast is not None:
        source = "given"
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
        forecast_source=source,
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
            notes.append(
                f"convert {u.room} ({u.name}) to {u.beds} beds for the {u.cohort} cohort"
                + (
                    f"; it has a gathering within 24 h ({u.gathering}): no other room would do"
                    if u.gathering
                    else ""
                )
            )
    return notes


def _auto_forecast(
    session: Session, actor: Actor, at: int, zone: tzinfo
) -> tuple[list[float], str]:
    """Beds the confirmed need per day from ``at``: the median of those isolated at each day's
    end in the no-action forecast (isolation of confirmed cases only)."""
    from cordon.engine.simulate.interventions import Isolation
    from cordon.services import analytics

    report = analytics.forecast(
        session, actor=actor, days=AUTO_FORECAST_DAYS, runs=AUTO_FORECAST_RUNS,
        scenarios={"no action": [Isolation()]}, seed=0, now=at, zone=zone,
    )  # fmt: skip
    needed = [float(x) for x in report.scenarios[0].bands["isolated"].median]
    return needed, (
        f"the no-action forecast ({report.runs} runs, seed 0): median isolated per day from "
        f"{report.days[0]}"
    )


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
