"""Housing everyone under isolation or quarantine: rooms, cohorts, conversions (CP-SAT).

Each person belongs to one cohort (confirmed, suspected, exposed, ...) and may already occupy a
room. Rooms have beds; some larger rooms (an auditorium) can be converted to hold beds. A plan puts
people in rooms within capacity and never mixes two cohorts in one room, unless they are of one
sharing group (``share``: the isolated women and the scientists in one larger room). Its objective
is lexicographic: house as many as possible; among those, house the cohorts with the lower index
first (confirmed before exposed); then convert as few rooms marked ``last`` (a gathering tonight)
as possible; then convert as few rooms as possible; then move as few current occupants as possible
(losing one's bed counts as a move); then fill existing beds before the beds a conversion adds.
Each aim is solved in turn with the ones before held at their optimum, starting from a greedy
plan. People of one cohort are interchangeable but for where they are now, so the model counts,
per cohort and room, how many are placed there and how many of its current occupants stay,
instead of placing individuals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from cordon.errors import EngineError

__all__ = [
    "HousingProblem",
    "HousingSolution",
    "beds_run_out",
    "cohort_capacity",
    "solve_housing",
]

Ints = NDArray[np.int64]


@dataclass(frozen=True)
class HousingProblem:
    """People (cohort, current room) and rooms (beds now, beds if converted) as flat arrays."""

    cohort: Ints
    """Per person: a cohort index, 0 and up; a lower index is housed first when beds are short."""
    current: Ints
    """Per person: the room they occupy now, or -1."""
    beds: Ints
    """Per room: beds free for the people of this plan as things stand."""
    conversion_beds: Ints
    """Per room: beds it would hold if converted (0 or at most ``beds``: not convertible)."""
    allow_conversion: bool = True
    share: Ints | None = None
    """Per cohort index: its sharing group; cohorts of one group may share a room (default:
    every cohort alone)."""
    last: NDArray[np.bool_] | None = None
    """Per room: convert it only when no other conversion does (default: none)."""

    def __post_init__(self) -> None:
        for name in ("cohort", "current", "beds", "conversion_beds"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        cohorts = int(self.cohort.max()) + 1 if len(self.cohort) else 0
        share = np.arange(cohorts) if self.share is None else self.share
        object.__setattr__(self, "share", np.asarray(share, dtype=np.int64))
        last = np.zeros(len(self.beds), dtype=bool) if self.last is None else self.last
        object.__setattr__(self, "last", np.asarray(last, dtype=bool))
        if len(self.groups) < cohorts:
            raise EngineError("share must give a group for every cohort index")
        if len(self.last_rooms) != len(self.beds):
            raise EngineError("last must have one entry per room")
        if len(self.cohort) != len(self.current):
            raise EngineError("cohort and current must have one entry per person")
        if len(self.beds) != len(self.conversion_beds):
            raise EngineError("beds and conversion_beds must have one entry per room")
        if len(self.cohort) and self.cohort.min() < 0:
            raise EngineError("cohort indices must be 0 or more")
        if len(self.current) and (self.current.min() < -1 or self.current.max() >= len(self.beds)):
            raise EngineError("current rooms must be -1 or a room index")
        if len(self.beds) and min(self.beds.min(), self.conversion_beds.min()) < 0:
            raise EngineError("beds cannot be negative")

    @property
    def groups(self) -> Ints:
        """Per cohort index: its sharing group."""
        assert self.share is not None
        return self.share

    @property
    def last_rooms(self) -> NDArray[np.bool_]:
        """Per room: whether it is converted only when nothing else does."""
        assert self.last is not None
        return self.last

    @property
    def cohorts(self) -> int:
        """How many cohorts the indices span."""
        return int(self.cohort.max()) + 1 if len(self.cohort) else 0

    @property
    def convertible(self) -> NDArray[np.bool_]:
        """Per room: whether converting it is allowed and would add beds."""
        return np.asarray(self.allow_conversion & (self.conversion_beds > self.beds), dtype=bool)


@dataclass(frozen=True)
class HousingSolution:
    """A plan: each person's room (-1: no bed), the rooms to convert, and how good it is."""

    room: Ints
    converted: NDArray[np.bool_]
    unhoused_by_cohort: Ints
    moves: int
    """Current occupants who change rooms or lose their bed."""
    status: str
    """``optimal`` (proven), or ``feasible`` (the time limit ran out first; see ``bound``)."""
    objective: float
    bound: float
    wall_s: float

    @property
    def unhoused(self) -> int:
        """How many people the plan leaves without a bed."""
        return int(self.unhoused_by_cohort.sum())

    @property
    def gap(self) -> float:
        """Relative distance between the plan and the best bound (0 when optimal)."""
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))


class _Model:
    """Counts per cohort and room: placed ``x``, current occupants who stay ``stay``, unhoused
    ``u``; a room holds one sharing group of cohorts (``z``) and may be converted (``conv``).
    Any such counts are realised by placing the stayers, then everyone else of the cohort in the
    remaining beds."""

    def __init__(self, problem: HousingProblem):
        self.m = cp_model.CpModel()
        rooms = len(problem.beds)
        convertible = problem.convertible
        self.cap = [
            int(problem.conversion_beds[r] if convertible[r] else problem.beds[r])
            for r in range(rooms)
        ]
        self.usable = [r for r in range(rooms) if self.cap[r] > 0]
        self.conv = {r: self.m.new_bool_var(f"conv{r}") for r in self.usable if convertible[r]}
        self.cohorts = sorted(set(problem.cohort.tolist()))
        self.group = {c: int(problem.groups[c]) for c in self.cohorts}
        self.groups = sorted(set(self.group.values()))
        self.last = {r for r in self.conv if bool(problem.last_rooms[r])}
        self.count = {c: int(np.sum(problem.cohort == c)) for c in self.cohorts}
        self.size: dict[tuple[int, int], int] = {}
        for c, r in zip(problem.cohort.tolist(), problem.current.tolist(), strict=True):
            if r >= 0:
                self.size[c, r] = self.size.get((c, r), 0) + 1
        self.z = {
            (g, r): self.m.new_bool_var(f"z{g}_{r}") for g in self.groups for r in self.usable
        }
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.u: dict[int, cp_model.IntVar] = {}
        for c in self.cohorts:
            for r in self.usable:
                top = min(self.count[c], self.cap[r])
                self.x[c, r] = self.m.new_int_var(0, top, f"x{c}_{r}")
                self.m.add(self.x[c, r] <= top * self.z[self.group[c], r])
            self.u[c] = self.m.new_int_var(0, self.count[c], f"u{c}")
            self.m.add(sum(self.x[c, r] for r in self.usable) + self.u[c] == self.count[c])
        self.stay = {
            (c, r): self.m.new_int_var(0, min(n, self.cap[r]), f"stay{c}_{r}")
            for (c, r), n in self.size.items()
            if r in self.usable
        }
        for key, var in self.stay.items():
            self.m.add(var <= self.x[key])
        self.added: dict[int, cp_model.IntVar] = {}
        """People in the beds a conversion adds."""
        for r in self.usable:
            self.m.add_at_most_one(self.z[g, r] for g in self.groups)
            load = sum(self.x[c, r] for c in self.cohorts)
            if r in self.conv:
                beds = int(problem.beds[r])
                self.m.add(load <= beds + (self.cap[r] - beds) * self.conv[r])
                self.added[r] = self.m.new_int_var(0, self.cap[r] - beds, f"added{r}")
                self.m.add(self.added[r] >= load - beds)
            else:
                self.m.add(load <= self.cap[r])

    def variables(self) -> list[cp_model.IntVar]:
        """Every decision variable, for hints and for reading a solution."""
        return [
            *self.x.values(),
            *self.u.values(),
            *self.stay.values(),
            *self.z.values(),
            *self.conv.values(),
            *self.added.values(),
        ]

    def hint(self, problem: HousingProblem) -> dict[cp_model.IntVar, int]:
        """A plan made greedily (occupants stay, then cohorts in order fill their rooms, empty
        rooms, converted rooms), handed to the solver as a starting point and returned."""
        owner: dict[int, int] = {}
        load = dict.fromkeys(self.usable, 0)
        room_cap = {r: int(problem.beds[r]) for r in self.usable}
        converted: set[int] = set()
        placed = dict.fromkeys(self.x, 0)
        stays = dict.fromkeys(self.stay, 0)
        left = dict(self.count)

        def put(c: int, r: int, most: int) -> int:
            take = min(most, room_cap[r] - load[r])
            if take <= 0 or owner.get(r, self.group[c]) != self.group[c]:
                return 0
            owner[r] = self.group[c]
            placed[c, r] += take
            load[r] += take
            left[c] -= take
            return take

        for (c, r), n in sorted(self.size.items()):
            if (c, r) in stays:
                stays[c, r] = put(c, r, n)
        by_size = sorted(self.usable, key=lambda r: (r in self.last, -self.cap[r]))
        for c in self.cohorts:
            for r in [r for r in by_size if owner.get(r) == self.group[c]] + by_size:
                if left[c] and r in self.conv and r not in converted and r not in owner:
                    converted.add(r)
                    room_cap[r] = self.cap[r]
                put(c, r, left[c])
        values = {var: placed[key] for key, var in self.x.items()}
        values.update({var: stays[key] for key, var in self.stay.items()})
        values.update({var: left[c] for c, var in self.u.items()})
        values.update({var: int(owner.get(r) == g) for (g, r), var in self.z.items()})
        values.update({var: int(r in converted and r in owner) for r, var in self.conv.items()})
        values.update(
            {var: max(0, load[r] - int(problem.beds[r])) for r, var in self.added.items()}
        )
        for var, value in values.items():
            self.m.add_hint(var, value)
        return values

    def aims(self, top: int, val: Callable[[cp_model.IntVar], Any]) -> list[Any]:
        """The aims in order (unhoused, neglect, conversions of rooms to convert last,
        conversions, moves, people in added beds), as solver expressions (``val`` the identity)
        or as numbers (``val`` reads a solution)."""
        u = {c: val(x) for c, x in self.u.items()}
        stayed = sum(val(v) for v in self.stay.values())
        return [
            sum(u.values()),
            sum((top - c) * n for c, n in u.items()),
            sum(val(v) for r, v in self.conv.items() if r in self.last),
            sum(val(v) for v in self.conv.values()),
            sum(self.size.values()) - stayed,
            sum(val(v) for v in self.added.values()),
        ]


def _solver(time_limit_s: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def solve_housing(
    problem: HousingProblem, *, time_limit_s: float = 10.0, workers: int = 1, seed: int = 0
) -> HousingSolution:
    """The best plan (see the module's objective): everyone housed if it can be, few changes.

    Examples
    --------
    >>> p = HousingProblem([0, 0, 1], current=[0, -1, -1], beds=[2, 1], conversion_beds=[0, 0])
    >>> s = solve_housing(p)
    >>> s.room.tolist(), s.unhoused, s.status
    ([0, 0, 1], 0, 'optimal')
    """
    started = time.perf_counter()
    model = _Model(problem)
    values = model.hint(problem)  # the plan if the solver finds none in time
    n = len(problem.cohort)
    top = problem.cohorts - 1
    w_move = n + 1
    w_conv = w_move * (n + 1)
    w_last = w_conv * (len(model.conv) + 1)
    w_neglect = w_last * (len(model.last) + 1)
    w_unhoused = w_neglect * (top * n + 1)
    weights = [w_unhoused, w_neglect, w_last, w_conv, w_move, 1]
    deadline = started + time_limit_s
    bound = 0.0
    status = "optimal"
    for expr, weight in zip(model.aims(top, lambda v: v), weights, strict=True):
        model.m.minimize(expr)
        solver = _solver(max(0.01, deadline - time.perf_counter()), workers, seed)
        code = solver.solve(model.m)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            bound += weight * max(0.0, solver.best_objective_bound)
            status = "feasible"
            break  # keep the plan of the aim before (or the greedy one)
        values = {v: int(solver.value(v)) for v in model.variables()}
        model.m.clear_hints()  # type: ignore[no-untyped-call]
        for v, x in values.items():
            model.m.add_hint(v, x)
        best = round(solver.objective_value)
        if code != cp_model.OPTIMAL:
            bound += weight * solver.best_objective_bound
            status = "feasible"
            break
        bound += weight * best
        model.m.add(expr == best)
    reached = model.aims(top, values.__getitem__)
    objective = float(sum(w * int(x) for w, x in zip(weights, reached, strict=True)))
    room = _realise(problem, model, values)
    converted = np.zeros(len(problem.beds), dtype=bool)
    for r, var in model.conv.items():
        converted[r] = bool(values[var]) and bool(np.any(room == r))
    unhoused = np.bincount(problem.cohort[room < 0], minlength=problem.cohorts)
    return HousingSolution(
        room=room,
        converted=converted,
        unhoused_by_cohort=unhoused.astype(np.int64),
        moves=int(np.sum((problem.current >= 0) & (room != problem.current))),
        status=status,
        objective=objective,
        bound=float(bound),
        wall_s=time.perf_counter() - started,
    )


def _realise(problem: HousingProblem, model: _Model, values: dict[cp_model.IntVar, int]) -> Ints:
    """Each person's room from the counts: stayers first, then the rest of each cohort (current
    occupants before newcomers, by index) in the beds left, room by room."""
    room = np.full(len(problem.cohort), -1, dtype=np.int64)
    for c in model.cohorts:
        members = np.flatnonzero(problem.cohort == c)
        free = {r: values[model.x[c, r]] for r in model.usable}
        for r in model.usable:
            if (c, r) in model.stay:
                here = members[problem.current[members] == r][: values[model.stay[c, r]]]
                room[here] = r
                free[r] -= len(here)
        rest = members[room[members] < 0]
        rest = rest[np.argsort(problem.current[rest] < 0, kind="stable")]
        slots = [r for r in model.usable for _ in range(free[r])]
        room[rest[: len(slots)]] = slots[: len(rest)]
    return room


def cohort_capacity(
    problem: HousingProblem, cohort: int, *, time_limit_s: float = 10.0, workers: int = 1
) -> int:
    """The most beds a cohort can have once the cohorts before it are housed as far as they can be.

    As in the plan, cohorts with a higher index give way. The cohort's own people are set aside:
    the answer is its total beds, current ones included, to compare with a forecast of its need.

    Examples
    --------
    >>> p = HousingProblem([0, 1], current=[0, -1], beds=[3, 2, 1], conversion_beds=[0, 0, 0])
    >>> cohort_capacity(p, 0), cohort_capacity(p, 1)
    (6, 5)
    """
    keep = problem.cohort < cohort
    others = HousingProblem(
        cohort=problem.cohort[keep],
        current=problem.current[keep],
        beds=problem.beds,
        conversion_beds=problem.conversion_beds,
        allow_conversion=problem.allow_conversion,
        share=problem.groups,
    )
    model = _Model(others)
    own = int(problem.groups[cohort]) if cohort < len(problem.groups) else -1
    held = []
    for r in model.usable:
        mine = model.m.new_bool_var(f"mine{r}")
        model.m.add(sum(model.z[g, r] for g in model.groups if g != own) + mine <= 1)
        beds = model.m.new_int_var(0, model.cap[r], f"beds{r}")
        model.m.add(beds <= model.cap[r] * mine)
        mates = sum(model.x[c, r] for c in model.cohorts if model.group[c] == own)
        if r in model.conv:
            base = int(problem.beds[r])
            model.m.add(beds + mates <= base + (model.cap[r] - base) * model.conv[r])
        else:
            model.m.add(beds + mates <= model.cap[r])
        held.append(beds)
    total = sum(model.cap) + 1
    model.m.maximize(sum(held) - total * sum(model.u.values()))
    solver = _solver(time_limit_s, workers, 0)
    code = solver.solve(model.m)
    if code != cp_model.OPTIMAL:
        raise EngineError("the capacity of the cohort could not be proven in time")
    return int(sum(solver.value(b) for b in held))


def beds_run_out(needed: NDArray[np.floating] | list[float], capacity: int) -> int | None:
    """The first day (index into ``needed``) on which more beds are needed than ``capacity``.

    Examples
    --------
    >>> beds_run_out([10, 12, 16.2, 30], 16), beds_run_out([1, 2], 16)
    (2, None)
    """
    over = np.flatnonzero(np.ceil(np.asarray(needed, dtype=float) - 1e-9) > capacity)
    return int(over[0]) if len(over) else None
