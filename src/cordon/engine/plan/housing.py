"""Housing everyone under isolation or quarantine: rooms, cohorts, conversions (CP-SAT).

Each person belongs to one cohort (confirmed, suspected, exposed, ...) and may already occupy a
room. Rooms have beds; some larger rooms (an auditorium) can be converted to hold beds. A plan puts
people in rooms within capacity and never mixes two cohorts in one room. Its objective is
lexicographic: house as many as possible; among those, house the cohorts with the lower index
first (confirmed before exposed); then convert as few rooms as possible; then move as few current
occupants as possible (losing one's bed counts as a move); then fill existing beds before
converted ones. People of one cohort in one current room are interchangeable, so
the model counts how many of each such group go to each room instead of placing individuals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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

    def __post_init__(self) -> None:
        for name in ("cohort", "current", "beds", "conversion_beds"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
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


def _groups(problem: HousingProblem) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """People grouped by (cohort, current room), groups and members in index order."""
    members: dict[tuple[int, int], list[int]] = {}
    for i, (c, r) in enumerate(zip(problem.cohort.tolist(), problem.current.tolist(), strict=True)):
        members.setdefault((c, r), []).append(i)
    keys = sorted(members)
    return keys, [members[k] for k in keys]


class _Model:
    """The CP-SAT model shared by the plan and the capacity question."""

    def __init__(self, problem: HousingProblem, keys: list[tuple[int, int]], sizes: list[int]):
        self.m = cp_model.CpModel()
        rooms = len(problem.beds)
        convertible = problem.convertible
        self.cap = [
            int(problem.conversion_beds[r] if convertible[r] else problem.beds[r])
            for r in range(rooms)
        ]
        self.usable = [r for r in range(rooms) if self.cap[r] > 0]
        self.conv = {r: self.m.new_bool_var(f"conv{r}") for r in self.usable if convertible[r]}
        cohorts = sorted({c for c, _ in keys})
        self.z = {(c, r): self.m.new_bool_var(f"z{c}_{r}") for c in cohorts for r in self.usable}
        self.y: dict[tuple[int, int], cp_model.IntVar] = {}
        self.u: list[cp_model.IntVar] = []
        for g, ((c, _), size) in enumerate(zip(keys, sizes, strict=True)):
            for r in self.usable:
                var = self.m.new_int_var(0, min(size, self.cap[r]), f"y{g}_{r}")
                self.m.add(var <= min(size, self.cap[r]) * self.z[c, r])
                self.y[g, r] = var
            self.u.append(self.m.new_int_var(0, size, f"u{g}"))
            self.m.add(sum(self.y[g, r] for r in self.usable) + self.u[g] == size)
        for r in self.usable:
            self.m.add_at_most_one(self.z[c, r] for c in cohorts)
            load = sum(self.y[g, r] for g in range(len(keys)))
            if r in self.conv:
                beds = int(problem.beds[r])
                self.m.add(load <= beds + (self.cap[r] - beds) * self.conv[r])
            else:
                self.m.add(load <= self.cap[r])


def _solver(time_limit_s: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def _status(solver: cp_model.CpSolver, code: object) -> str:
    if code == cp_model.OPTIMAL:
        return "optimal"
    if code == cp_model.FEASIBLE:
        return "feasible"
    raise EngineError(f"the solver found no plan in time ({solver.status_name()})")


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
    keys, members = _groups(problem)
    sizes = [len(m) for m in members]
    model = _Model(problem, keys, sizes)
    n = len(problem.cohort)
    conversions = sum(model.conv.values())
    moves = sum(
        model.y[g, r]
        for g, (_, cur) in enumerate(keys)
        if cur >= 0
        for r in model.usable
        if r != cur
    ) + sum(model.u[g] for g, (_, cur) in enumerate(keys) if cur >= 0)
    in_converted = sum(model.y[g, r] for g in range(len(keys)) for r in model.conv)
    top = problem.cohorts - 1
    neglect = sum((top - c) * model.u[g] for g, (c, _) in enumerate(keys))
    w_move = n + 1
    w_conv = w_move * (n + 1)
    w_neglect = w_conv * (len(model.conv) + 1)
    w_unhoused = w_neglect * (top * n + 1)
    model.m.minimize(
        w_unhoused * sum(model.u)
        + w_neglect * neglect
        + w_conv * conversions
        + w_move * moves
        + in_converted
    )
    solver = _solver(time_limit_s, workers, seed)
    status = _status(solver, solver.solve(model.m))

    room = np.full(n, -1, dtype=np.int64)
    unhoused = np.zeros(problem.cohorts, dtype=np.int64)
    move_count = 0
    for g, ((c, cur), people) in enumerate(zip(keys, members, strict=True)):
        counts = {r: int(solver.value(model.y[g, r])) for r in model.usable}
        order = ([cur] if cur in counts else []) + [r for r in model.usable if r != cur]
        queue = iter(people)
        for r in order:
            for _ in range(counts[r]):
                room[next(queue)] = r
                move_count += int(cur >= 0 and r != cur)
        left = int(solver.value(model.u[g]))
        unhoused[c] += left
        move_count += left if cur >= 0 else 0
    converted = np.zeros(len(problem.beds), dtype=bool)
    for r, var in model.conv.items():
        converted[r] = bool(solver.value(var)) and bool(np.any(room == r))
    return HousingSolution(
        room=room,
        converted=converted,
        unhoused_by_cohort=unhoused,
        moves=move_count,
        status=status,
        objective=float(solver.objective_value),
        bound=float(solver.best_objective_bound),
        wall_s=time.perf_counter() - started,
    )


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
    )
    keys, members = _groups(others)
    model = _Model(others, keys, [len(m) for m in members])
    held = []
    for r in model.usable:
        z = model.m.new_bool_var(f"mine{r}")
        model.m.add(sum(model.z[c, r] for c in {k[0] for k in keys}) + z <= 1)
        beds = model.m.new_int_var(0, model.cap[r], f"beds{r}")
        model.m.add(beds <= model.cap[r] * z)
        if r in model.conv:
            base = int(problem.beds[r])
            model.m.add(beds <= base + (model.cap[r] - base) * model.conv[r])
        held.append(beds)
    total = sum(model.cap) + 1
    model.m.maximize(sum(held) - total * sum(model.u))
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
