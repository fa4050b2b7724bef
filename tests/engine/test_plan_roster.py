"""Guard rosters against brute-force twins: every post choice of every guard, and a cover search."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cordon.engine.plan import roster
from cordon.engine.plan.roster import (
    RosterProblem,
    guards_lower_bound,
    roster_problem,
    solve_roster,
)
from cordon.errors import EngineError


def _fits_rules(p: RosterProblem, worked: list[int]) -> bool:
    """Whether one guard's shifts (slot numbers, sorted) keep the rest and the weekly cap."""
    if any(b - a <= p.rest_slots for a, b in itertools.pairwise(worked)):
        return False
    width = min(p.window_slots, p.slots)
    return all(
        sum(1 for s in worked if start <= s < start + width) <= p.max_shifts_window
        for start in range(p.slots - width + 1)
    )


def brute_force(p: RosterProblem) -> tuple[int, int, int]:
    """The least (uncovered post-slots, most uncovered at once, spread of shifts) over every post
    choice of every guard."""
    best: tuple[int, int, int] | None = None
    cells = p.guards * p.slots
    for choice in itertools.product(range(-1, p.posts), repeat=cells):
        grid = np.array(choice, dtype=np.int64).reshape(p.guards, p.slots)
        held = [(grid[g, s], s) for g in range(p.guards) for s in range(p.slots) if grid[g, s] >= 0]
        if len(held) != len(set(held)):
            continue  # two guards on one post
        if not all(_fits_rules(p, np.flatnonzero(row >= 0).tolist()) for row in grid):
            continue
        shifts = (grid >= 0).sum(axis=1)
        spread = int(shifts.max() - shifts.min()) if p.guards else 0
        on_duty = (grid >= 0).sum(axis=0)
        key = (p.posts * p.slots - len(held), int((p.posts - on_duty).max()), spread)
        best = key if best is None or key < best else best
    assert best is not None
    return best


def cover_search(p: RosterProblem) -> tuple[int, int]:
    """(Least uncovered post-slots with the guards on hand, fewest guards covering everything),
    from the coverage vectors that k guards with legal patterns can reach."""
    patterns = [
        np.isin(np.arange(p.slots), worked).astype(np.int64)
        for k in range(p.slots + 1)
        for worked in itertools.combinations(range(p.slots), k)
        if _fits_rules(p, list(worked))
    ]
    full = (p.posts,) * p.slots
    reach = {(0,) * p.slots}
    least_uncovered, needed, k = None, None, 0
    while needed is None or least_uncovered is None:
        if k == p.guards:
            least_uncovered = min(p.posts * p.slots - sum(v) for v in reach)
        if full in reach and needed is None:
            needed = max(k, p.guards)
        reach = {tuple(np.minimum(np.add(v, q), p.posts)) for v in reach for q in patterns}
        k += 1
    return least_uncovered, needed


def _valid(p: RosterProblem, post: np.ndarray, uncovered: np.ndarray) -> None:
    assert post.shape == (p.guards, p.slots) and uncovered.shape == (p.posts, p.slots)
    for s in range(p.slots):
        on = post[:, s][post[:, s] >= 0].tolist()
        assert len(on) == len(set(on))
        assert sorted(on) == [q for q in range(p.posts) if not uncovered[q, s]]
    for row in post:
        assert _fits_rules(p, np.flatnonzero(row >= 0).tolist())


small = st.builds(
    RosterProblem,
    posts=st.integers(0, 2),
    guards=st.integers(0, 3),
    slots=st.integers(1, 5),
    shift_hours=st.just(8),
    rest_slots=st.integers(0, 2),
    window_slots=st.integers(1, 5),
    max_shifts_window=st.integers(1, 3),
)


@settings(max_examples=40, deadline=None)
@given(small.filter(lambda p: (p.posts + 1) ** (p.guards * p.slots) <= 20_000))
def test_the_roster_is_as_good_as_every_post_choice_of_every_guard(p: RosterProblem) -> None:
    s = solve_roster(p, workers=1)
    _valid(p, s.post, s.uncovered)
    assert s.status == "optimal"
    worst = int(s.uncovered.sum(axis=0).max())
    assert (int(s.uncovered.sum()), worst, s.spread) == brute_force(p)


@settings(max_examples=60, deadline=None)
@given(small.map(lambda p: RosterProblem(p.posts, p.guards, p.slots + 2, 8, *astuple_tail(p))))
def test_uncovered_and_guards_needed_match_a_cover_search(p: RosterProblem) -> None:
    s = solve_roster(p, workers=1)
    _valid(p, s.post, s.uncovered)
    least, needed = cover_search(p)
    assert int(s.uncovered.sum()) == least
    assert s.guards_needed == needed
    assert guards_lower_bound(p) <= needed and s.guards_lower_bound <= needed


def astuple_tail(p: RosterProblem) -> tuple[int, int, int]:
    return p.rest_slots, p.window_slots, p.max_shifts_window


def test_venus_eight_airlocks_a_week_with_48_guards_are_covered_fairly_in_seconds() -> None:
    p = roster_problem(posts=8, guards=48, days=7, shift_hours=8, min_rest_hours=11)
    s = solve_roster(p, time_limit_s=10)
    _valid(p, s.post, s.uncovered)
    assert not s.uncovered.any() and s.guards_needed == 48
    assert s.spread <= 1 and s.shifts.sum() == 8 * 21 and s.wall_s < 10
    hours = s.shifts * p.shift_hours
    assert hours.max() <= 48


def test_too_few_guards_leave_post_hours_uncovered_and_say_how_many_more_are_needed() -> None:
    p = roster_problem(posts=8, guards=20, days=7, max_hours_week=48)
    s = solve_roster(p, time_limit_s=10)
    _valid(p, s.post, s.uncovered)
    assert s.status == "optimal"
    assert int(s.uncovered.sum()) * p.shift_hours == 8 * 7 * 24 - 20 * 48
    assert s.guards_lower_bound == s.guards_needed == 28
    assert s.uncovered[0].sum() <= s.uncovered[-1].sum()  # the first posts are covered first


def test_guards_stay_on_their_post_from_shift_to_shift() -> None:
    p = roster_problem(posts=2, guards=4, days=3, shift_hours=12, min_rest_hours=12)
    s = solve_roster(p)
    assert not s.uncovered.any()
    for row in s.post:
        held = row[row >= 0]
        assert len(set(held.tolist())) == 1


def test_hours_become_slots() -> None:
    p = roster_problem(posts=3, guards=9, days=2, shift_hours=12, min_rest_hours=12.5)
    assert (p.slots, p.rest_slots, p.window_slots, p.max_shifts_window) == (4, 2, 14, 4)
    with pytest.raises(EngineError):
        roster_problem(posts=1, guards=1, days=1, shift_hours=7)
    with pytest.raises(EngineError):
        roster_problem(posts=1, guards=1, days=1, max_hours_week=6)


def test_the_examples_in_the_docstrings_hold() -> None:
    assert doctest.testmod(roster).failed == 0


def test_out_of_time_the_roster_is_still_valid_and_reports_its_gap() -> None:
    p = roster_problem(posts=8, guards=20, days=7)
    s = solve_roster(p, time_limit_s=0.02)
    _valid(p, s.post, s.uncovered)
    assert s.bound <= s.objective + 1e-6
    assert s.status == "optimal" or s.gap > 0
