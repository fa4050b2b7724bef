"""Guard rosters: every post covered around the clock by the guards on hand (CP-SAT).

Time is cut into shifts ("slots") of equal length. Each post needs one guard in every slot. A guard
holds at most one post at a time, rests at least ``rest_slots`` slots after each shift, and works at
most ``max_shifts_window`` shifts in any ``window_slots`` consecutive slots (the weekly hours cap,
over every rolling week). Guards are interchangeable and so are posts, so the model only decides
who works in which slot; posts are handed out afterwards, keeping each guard on the post they held
before where they can, and covering posts in the order given when guards are short. Objective,
lexicographic, solved in two phases: fewest uncovered post-slots, then fewest posts uncovered at
any one time; then the smallest spread of shifts between the busiest and the idlest guard. When
posts stay uncovered, the fewest guards that cover them all are found from a lower bound and
re-solves.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from cordon.errors import EngineError

__all__ = [
    "RosterProblem",
    "RosterSolution",
    "greedy_roster",
    "guards_lower_bound",
    "roster_problem",
    "solve_roster",
]

HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class RosterProblem:
    """A roster to fill, in slots: posts, guards and the working-time rules."""

    posts: int
    guards: int
    slots: int
    shift_hours: int
    rest_slots: int
    """Slots a guard must stay off after each shift."""
    window_slots: int
    """The length of the rolling window that ``max_shifts_window`` caps (a week)."""
    max_shifts_window: int

    def __post_init__(self) -> None:
        if min(self.posts, self.guards, self.slots, self.rest_slots) < 0:
            raise EngineError("posts, guards, slots and rest cannot be negative")
        if self.shift_hours <= 0 or self.window_slots <= 0:
            raise EngineError("the shift and the window must be positive")
        if self.max_shifts_window < 1 and self.posts and self.slots:
            raise EngineError("the weekly hours cap is shorter than one shift: no guard can work")


def roster_problem(
    *,
    posts: int,
    guards: int,
    days: int,
    shift_hours: int = 8,
    min_rest_hours: float = 11,
    max_hours_week: float = 48,
) -> RosterProblem:
    """The slot problem for ``days`` days of shifts of ``shift_hours`` (a divisor of 24).

    The weekly cap holds over every 7 consecutive days (over the whole roster when it is shorter);
    the roster starts fresh: shifts worked before its start are not counted.

    Examples
    --------
    >>> p = roster_problem(posts=8, guards=48, days=7)
    >>> p.slots, p.rest_slots, p.window_slots, p.max_shifts_window
    (21, 2, 21, 6)
    """
    if shift_hours <= 0 or HOURS_PER_DAY % shift_hours:
        raise EngineError(f"shift length must divide 24 hours, not {shift_hours}")
    if days <= 0:
        raise EngineError("the roster needs at least one day")
    if min_rest_hours < 0 or max_hours_week <= 0:
        raise EngineError("rest cannot be negative and the weekly cap must be positive")
    per_day = HOURS_PER_DAY // shift_hours
    return RosterProblem(
        posts=posts,
        guards=guards,
        slots=days * per_day,
        shift_hours=shift_hours,
        rest_slots=math.ceil(min_rest_hours / shift_hours),
        window_slots=DAYS_PER_WEEK * per_day,
        max_shifts_window=int(max_hours_week // shift_hours),
    )


@dataclass(frozen=True)
class RosterSolution:
    """A roster: each guard's post in each slot (-1: off), and what stays uncovered."""

    post: NDArray[np.int64]
    """Shape (guards, slots)."""
    uncovered: NDArray[np.bool_]
    """Shape (posts, slots): True where nobody holds the post."""
    status: str
    """``optimal`` (proven) or ``feasible`` (time ran out first; see ``bound``)."""
    objective: float
    bound: float
    wall_s: float
    guards_lower_bound: int
    """No roster covers every post with fewer guards than this."""
    guards_needed: int | None
    """Guards that cover every post: the guards on hand when they do, else the fewest found to
    (None: not found within the time limit)."""

    @property
    def shifts(self) -> NDArray[np.int64]:
        """Shifts per guard."""
        return np.asarray((self.post >= 0).sum(axis=1), dtype=np.int64)

    @property
    def spread(self) -> int:
        """Shifts of the busiest guard minus shifts of the idlest."""
        s = self.shifts
        return int(s.max() - s.min()) if len(s) else 0

    @property
    def gap(self) -> float:
        """Relative distance between this roster and the best bound (0 when optimal)."""
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))


def guards_lower_bound(p: RosterProblem) -> int:
    """Guards that any full cover needs: in a window of L slots a guard works at most
    ``min(ceil(L / (rest + 1)), cap)`` shifts while the posts need ``posts * L``.

    Examples
    --------
    >>> guards_lower_bound(roster_problem(posts=8, guards=0, days=7))
    28
    """
    if p.posts == 0 or p.slots == 0:
        return 0
    best = 0
    for length in {min(p.rest_slots + 1, p.slots), min(p.window_slots, p.slots)}:
        per_guard = math.ceil(length / (p.rest_slots + 1))
        if length <= p.window_slots:
            per_guard = min(per_guard, p.max_shifts_window)
        best = max(best, math.ceil(p.posts * length / per_guard))
    return best


def _windows(p: RosterProblem) -> list[range]:
    width = min(p.window_slots, p.slots)
    return [range(s, s + width) for s in range(p.slots - width + 1)]


def _model(
    p: RosterProblem, guards: int, *, full_cover: bool
) -> tuple[cp_model.CpModel, list[list[cp_model.IntVar]], list[cp_model.IntVar]]:
    """Working variables w[g][s], the uncovered count per slot, and the rules as constraints."""
    m = cp_model.CpModel()
    w = [[m.new_bool_var(f"w{g}_{s}") for s in range(p.slots)] for g in range(guards)]
    short = [m.new_int_var(0, 0 if full_cover else p.posts, f"short{s}") for s in range(p.slots)]
    for s in range(p.slots):
        m.add(sum(w[g][s] for g in range(guards)) + short[s] == p.posts)
    for g in range(guards):
        for s in range(max(1, p.slots - p.rest_slots) if p.rest_slots else 0):
            m.add_at_most_one(w[g][s : s + p.rest_slots + 1])
        for window in _windows(p):
            if len(window) > p.max_shifts_window:
                m.add(sum(w[g][s] for s in window) <= p.max_shifts_window)
    totals = [sum(row) for row in w]
    for g in range(guards - 1):
        m.add(totals[g] >= totals[g + 1])  # guards are interchangeable: order them by load
    return m, w, short


def _solver(time_limit_s: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def greedy_roster(p: RosterProblem, guards: int) -> NDArray[np.bool_]:
    """Who works when, shift by shift: the posts go to the guards free to work (rested, under
    the weekly cap) with the fewest shifts so far, the longest rested first. A starting point
    for the solver, rows sorted by load as the model orders them.

    Examples
    --------
    >>> greedy_roster(roster_problem(posts=1, guards=2, days=1, shift_hours=12), 2).astype(int)
    array([[1, 0],
           [0, 1]])
    """
    width = min(p.window_slots, p.slots)
    worked = np.zeros((guards, p.slots), dtype=bool)
    last = np.full(guards, -(10**9), dtype=np.int64)
    for s in range(p.slots):
        start = min(max(0, s - width + 1), p.slots - width)
        recent = worked[:, start:s].sum(axis=1)
        free = np.flatnonzero((s - last > p.rest_slots) & (recent < p.max_shifts_window))
        order = np.lexsort((last[free], worked[free].sum(axis=1)))
        chosen = free[order[: p.posts]]
        worked[chosen, s] = True
        last[chosen] = s
    return worked[np.argsort(-worked.sum(axis=1), kind="stable")]


def _read(
    solver: cp_model.CpSolver, w: list[list[cp_model.IntVar]], p: RosterProblem
) -> NDArray[np.bool_]:
    values = [[bool(solver.value(x)) for x in row] for row in w]
    return np.array(values, dtype=bool).reshape(p.guards, p.slots)


def _hint(m: cp_model.CpModel, w: list[list[cp_model.IntVar]], worked: NDArray[np.bool_]) -> None:
    for row, values in zip(w, worked.tolist(), strict=True):
        for x, v in zip(row, values, strict=True):
            m.add_hint(x, v)


def _covers(p: RosterProblem, guards: int, time_limit_s: float, workers: int) -> bool | None:
    """Whether ``guards`` guards can cover every post (None: not decided in time)."""
    if guards < guards_lower_bound(p):
        return False
    start = greedy_roster(p, guards)
    if start.sum() == p.posts * p.slots:
        return True
    m, w, _ = _model(p, guards, full_cover=True)
    _hint(m, w, start)
    code = _solver(time_limit_s, workers, 0).solve(m)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return False if code == cp_model.INFEASIBLE else None


def _guards_needed(
    p: RosterProblem, start: int, deadline: float, workers: int
) -> tuple[int | None, int]:
    """The fewest guards from ``start`` up that cover everything, and the proven lower bound."""
    low = max(start, guards_lower_bound(p))
    step, known_bad, found = 0, low - 1, None
    while found is None and time.perf_counter() < deadline:
        trial = low + step
        verdict = _covers(p, trial, deadline - time.perf_counter(), workers)
        if verdict:
            found = trial
        elif verdict is False:
            known_bad = trial
        else:
            break
        step = 1 if step == 0 else step * 2
    if found is None:
        return None, known_bad + 1
    while found - known_bad > 1 and time.perf_counter() < deadline:
        mid = (found + known_bad) // 2
        verdict = _covers(p, mid, deadline - time.perf_counter(), workers)
        if verdict:
            found = mid
        elif verdict is False:
            known_bad = mid
        else:
            break
    return found, known_bad + 1


def _hand_out_posts(working: NDArray[np.bool_], posts: int) -> NDArray[np.int64]:
    """Posts for the guards on duty in each slot: the first posts first, each guard kept on the
    post they last held where it is still to be covered."""
    guards, slots = working.shape
    post = np.full((guards, slots), -1, dtype=np.int64)
    last = np.full(guards, -1, dtype=np.int64)
    for s in range(slots):
        on = np.flatnonzero(working[:, s]).tolist()
        wanted = set(range(min(len(on), posts)))
        waiting = []
        for g in on:
            if last[g] in wanted:
                post[g, s] = last[g]
                wanted.discard(int(last[g]))
            else:
                waiting.append(g)
        for g, q in zip(waiting, sorted(wanted), strict=True):
            post[g, s] = q
        last[on] = post[on, s]
    return post


def solve_roster(
    p: RosterProblem, *, time_limit_s: float = 10.0, workers: int = 2, seed: int = 0
) -> RosterSolution:
    """The best roster within ``time_limit_s`` (half for coverage, the rest for fairness), and if
    posts stay uncovered, how many guards would cover them (searched within another
    ``time_limit_s``). ``objective`` and ``bound`` weigh the three aims lexicographically.

    Examples
    --------
    >>> p = roster_problem(posts=1, guards=2, days=1, shift_hours=12, min_rest_hours=12)
    >>> s = solve_roster(p)
    >>> int(s.uncovered.sum()), s.spread, s.guards_needed
    (0, 0, 2)
    """
    started = time.perf_counter()
    deadline = started + time_limit_s
    done = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    m, w, short = _model(p, p.guards, full_cover=False)
    worst = m.new_int_var(0, p.posts, "worst")
    for x in short:
        m.add(worst >= x)
    working = greedy_roster(p, p.guards)  # the roster if the solver finds none in time
    _hint(m, w, working)
    # phase 1: coverage (fewest uncovered, then fewest at once)
    m.minimize((p.posts + 1) * sum(short) + worst)
    solver = _solver(time_limit_s / 2, workers, seed)
    first = solver.solve(m)
    cover_bound = max(0.0, solver.best_objective_bound)
    second, fair_bound = cp_model.UNKNOWN, 0.0
    if first in done:
        working = _read(solver, w, p)
        gaps, at_once = int(solver.value(sum(short))), int(solver.value(worst))
        m.clear_hints()  # type: ignore[no-untyped-call]
        _hint(m, w, working)
        # phase 2: fairness, with coverage held at what phase 1 reached
        m.add(sum(short) <= gaps)
        m.add(worst <= at_once)
        totals = [sum(row) for row in w]
        spread = m.new_int_var(0, p.slots, "spread")
        if p.guards:
            m.add(spread >= totals[0] - totals[-1])  # the model orders guards by load
            if first == cp_model.OPTIMAL:
                m.add(sum(short) == gaps)
                work = p.posts * p.slots - gaps
                m.add(totals[0] >= -(-work // p.guards))
                m.add(totals[-1] <= work // p.guards)
        m.minimize(spread)
        solver = _solver(max(0.01, deadline - time.perf_counter()), workers, seed)
        second = solver.solve(m)
        if second in done:
            working = _read(solver, w, p)
            fair_bound = solver.best_objective_bound if first == cp_model.OPTIMAL else 0.0
    tier = p.slots + 1  # spread <= slots
    optimal = first == second == cp_model.OPTIMAL
    on_duty = working.sum(axis=0)
    loads = working.sum(axis=1)
    objective = tier * ((p.posts + 1) * int((p.posts - on_duty).sum()))
    objective += tier * int((p.posts - on_duty).max(initial=0))
    objective += int(loads.max() - loads.min()) if p.guards else 0
    bound = tier * cover_bound + fair_bound
    post = _hand_out_posts(working, p.posts)
    uncovered = np.ones((p.posts, p.slots), dtype=bool)
    for g, s in zip(*np.nonzero(post >= 0), strict=True):
        uncovered[post[g, s], s] = False
    missing = int(uncovered.sum())
    if missing == 0:
        needed: int | None = p.guards
        lower = guards_lower_bound(p)
    else:
        proven = first == cp_model.OPTIMAL or cover_bound >= p.posts + 1
        start = p.guards + 1 if proven else p.guards
        needed, lower = _guards_needed(p, start, time.perf_counter() + time_limit_s, workers)
    return RosterSolution(
        post=post,
        uncovered=uncovered,
        status="optimal" if optimal else "feasible",
        objective=float(objective),
        bound=float(bound),
        wall_s=time.perf_counter() - started,
        guards_lower_bound=lower,
        guards_needed=needed,
    )
