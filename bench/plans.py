"""The plans against their first formulations and another solver, on the same instances.

Run: ``.venv/bin/python -m bench plans``. Roster: cordon's model (who works when; guards and
posts interchangeable; coverage then fairness) against (a) CP-SAT on the direct model with a
variable per guard, post and shift, and (b) HiGHS (``scipy.optimize.milp``) on cordon's model as
one weighted MILP. Housing: cordon's counts per cohort and room against CP-SAT with a variable
per person and room (its time includes building the model). Each solve has the same time
limit; the table prints seconds, the objective and bound reached, and the time over cordon's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from cordon.engine.plan import HousingProblem, roster_problem, solve_housing, solve_roster
from cordon.engine.plan.roster import RosterProblem

LIMIT = float(os.environ.get("BENCH_LIMIT", "30"))


def _weights(p: RosterProblem) -> tuple[int, int]:
    tier = p.slots + 1
    return tier * (p.posts + 1), tier


def direct_cpsat(p: RosterProblem) -> tuple[float, float, str]:
    """A variable per guard, post and shift; one weighted objective; no symmetry breaking."""
    m = cp_model.CpModel()
    G, P, S = p.guards, p.posts, p.slots
    x = {(g, q, s): m.new_bool_var("") for g in range(G) for q in range(P) for s in range(S)}
    w = [[m.new_bool_var("") for s in range(S)] for g in range(G)]
    u = {(q, s): m.new_bool_var("") for q in range(P) for s in range(S)}
    for q in range(P):
        for s in range(S):
            m.add(sum(x[g, q, s] for g in range(G)) + u[q, s] == 1)
    for g in range(G):
        for s in range(S):
            m.add(sum(x[g, q, s] for q in range(P)) == w[g][s])
        for s in range(max(1, S - p.rest_slots)):
            m.add_at_most_one(w[g][s : s + p.rest_slots + 1])
        width = min(p.window_slots, S)
        for s in range(S - width + 1):
            m.add(sum(w[g][s : s + width]) <= p.max_shifts_window)
    totals = [sum(row) for row in w]
    hi, lo, worst = m.new_int_var(0, S, ""), m.new_int_var(0, S, ""), m.new_int_var(0, P, "")
    for t in totals:
        m.add(hi >= t)
        m.add(lo <= t)
    for s in range(S):
        m.add(worst >= sum(u[q, s] for q in range(P)))
    a, b = _weights(p)
    m.minimize(a * sum(u.values()) + b * worst + hi - lo)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = LIMIT
    solver.parameters.num_workers = 2
    code = solver.solve(m)
    return solver.objective_value, solver.best_objective_bound, solver.status_name(code).lower()


def highs_milp(p: RosterProblem) -> tuple[float, float, str]:
    """cordon's model (who works when) as one weighted MILP for HiGHS."""
    G, S, P = p.guards, p.slots, p.posts
    n_w = G * S
    i_short, i_worst, i_hi, i_lo = n_w, n_w + S, n_w + S + 1, n_w + S + 2
    n = n_w + S + 3
    rows: list[tuple[dict[int, float], float, float]] = []
    for s in range(S):
        coef = {g * S + s: 1.0 for g in range(G)}
        coef[i_short + s] = 1.0
        rows.append((coef, P, P))
        rows.append(({i_worst: 1.0, i_short + s: -1.0}, 0, np.inf))
    width = min(p.window_slots, S)
    for g in range(G):
        if p.rest_slots:
            for s in range(max(1, S - p.rest_slots)):
                span = range(s, min(S, s + p.rest_slots + 1))
                rows.append(({g * S + k: 1.0 for k in span}, -np.inf, 1))
        for s in range(S - width + 1):
            rows.append(
                ({g * S + k: 1.0 for k in range(s, s + width)}, -np.inf, p.max_shifts_window)
            )
        mine = {g * S + k: 1.0 for k in range(S)}
        rows.append(({**{k: -v for k, v in mine.items()}, i_hi: 1.0}, 0, np.inf))
        rows.append(({**mine, i_lo: -1.0}, 0, np.inf))
    matrix = sparse.lil_matrix((len(rows), n))
    lower, upper = np.empty(len(rows)), np.empty(len(rows))
    for r, (coef, lo, hi) in enumerate(rows):
        for k, v in coef.items():
            matrix[r, k] = v
        lower[r], upper[r] = lo, hi
    a, b = _weights(p)
    c = np.zeros(n)
    c[i_short : i_short + S] = a
    c[i_worst], c[i_hi], c[i_lo] = b, 1.0, -1.0
    ub = np.concatenate([np.ones(n_w), np.full(S, P), [P, S, S]])
    result = milp(
        c,
        constraints=LinearConstraint(matrix.tocsr(), lower, upper),
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), ub),
        options={"time_limit": LIMIT, "disp": False},
    )
    bound = getattr(result, "mip_dual_bound", float("nan"))
    status = "optimal" if result.status == 0 else f"status {result.status}"
    return float(result.fun) if result.x is not None else float("nan"), float(bound), status


def per_person_housing(p: HousingProblem) -> tuple[float, float, str]:
    """CP-SAT with a variable per person and room, the same objective as cordon's."""
    m = cp_model.CpModel()
    n, rooms = len(p.cohort), len(p.beds)
    cohorts = p.cohorts
    convertible = p.convertible
    cap = [int(p.conversion_beds[r] if convertible[r] else p.beds[r]) for r in range(rooms)]
    x = {(i, r): m.new_bool_var("") for i in range(n) for r in range(rooms) if cap[r] > 0}
    z = {(c, r): m.new_bool_var("") for c in range(cohorts) for r in range(rooms)}
    conv = {r: m.new_bool_var("") for r in range(rooms) if convertible[r]}
    unhoused = []
    for i in range(n):
        mine = [x[i, r] for r in range(rooms) if (i, r) in x]
        m.add(sum(mine) <= 1)
        unhoused.append(1 - sum(mine))
        for r in range(rooms):
            if (i, r) in x:
                m.add_implication(x[i, r], z[int(p.cohort[i]), r])
    for r in range(rooms):
        m.add_at_most_one(z[c, r] for c in range(cohorts))
        load = sum(x[i, r] for i in range(n) if (i, r) in x)
        beds = int(p.beds[r])
        m.add(load <= (beds + (cap[r] - beds) * conv[r]) if r in conv else load <= cap[r])
    top = cohorts - 1
    moves = sum(
        1 - x[i, int(p.current[i])] if (i, int(p.current[i])) in x else 1
        for i in range(n)
        if p.current[i] >= 0
    )
    in_conv = sum(x[i, r] for (i, r) in x if r in conv)
    w_move = n + 1
    w_conv = w_move * (n + 1)
    w_neg = w_conv * (len(conv) + 1)
    w_un = w_neg * (top * n + 1)
    neglect = sum((top - int(p.cohort[i])) * unhoused[i] for i in range(n))
    m.minimize(
        w_un * sum(unhoused)
        + w_neg * neglect
        + w_conv * sum(conv.values())
        + w_move * moves
        + in_conv
    )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = LIMIT
    solver.parameters.num_workers = 1
    code = solver.solve(m)
    return solver.objective_value, solver.best_objective_bound, solver.status_name(code).lower()


def housing_instance(people: int, rooms: int, seed: int = 3) -> HousingProblem:
    """Wards of 4 to 30 beds (every fifth room a hall), people in 3 cohorts, 40% already in."""
    rng = np.random.default_rng(seed)
    beds = rng.integers(4, 31, rooms)
    halls = np.arange(rooms) % 5 == 4
    conversion = np.where(halls, rng.integers(40, 80, rooms), 0)
    beds[halls] = 0
    cohort = rng.choice(3, people, p=[0.5, 0.2, 0.3])
    current = np.where(rng.random(people) < 0.4, rng.choice(np.flatnonzero(~halls), people), -1)
    return HousingProblem(cohort, current, beds, conversion)


def _timed(run: Callable[[], tuple[float, float, str]]) -> tuple[float, float, float, str]:
    started = time.perf_counter()
    objective, bound, status = run()
    if status not in ("optimal", "feasible"):
        objective = bound = float("nan")  # no solution: the solver's numbers mean nothing
    return time.perf_counter() - started, objective, bound, status


def main() -> None:
    """Print one line per instance and solver, with the ratio of seconds to cordon's."""
    print(f"time limit {LIMIT:g} s per solve, 2 workers (housing: 1)")
    print(f"{'instance':34} {'solver':16} {'s':>7} {'objective':>10} {'bound':>10} status  ratio")
    cases = [(8, 48, 7), (8, 20, 7), (16, 96, 14)]
    for posts, guards, days in cases:
        p = roster_problem(posts=posts, guards=guards, days=days)
        name = f"roster {posts} exits x {days} d, {guards} guards"

        def ours(p: RosterProblem = p) -> tuple[float, float, str]:
            s = solve_roster(p, time_limit_s=LIMIT)
            return s.objective, s.bound, s.status

        base = _timed(ours)
        for label, run in (
            ("cordon", ours),
            ("cp-sat direct", lambda p=p: direct_cpsat(p)),
            ("highs milp", lambda p=p: highs_milp(p)),
        ):
            t, obj, bound, status = base if label == "cordon" else _timed(run)
            print(
                f"{name:34} {label:16} {t:7.2f} {obj:10.0f} {bound:10.0f} {status:7} "
                f"{t / base[0]:5.1f}x",
                flush=True,
            )
    for people, rooms in ((25, 5), (300, 40), (2000, 200)):
        h = housing_instance(people, rooms)
        name = f"housing {people} people, {rooms} rooms"

        def ours_h(h: HousingProblem = h) -> tuple[float, float, str]:
            s = solve_housing(h, time_limit_s=LIMIT)
            return s.objective, s.bound, s.status

        base = _timed(ours_h)
        for label, run in (
            ("cordon", ours_h),
            ("cp-sat per person", lambda h=h: per_person_housing(h)),
        ):
            t, obj, bound, status = base if label == "cordon" else _timed(run)
            print(
                f"{name:34} {label:16} {t:7.2f} {obj:10.0f} {bound:10.0f} {status:7} "
                f"{t / base[0]:5.1f}x",
                flush=True,
            )
