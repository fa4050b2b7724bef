"""Housing plans against a brute-force twin that tries every assignment and every conversion."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cordon.engine.plan import housing
from cordon.engine.plan.housing import HousingProblem, beds_run_out, cohort_capacity, solve_housing
from cordon.errors import EngineError


def _caps(p: HousingProblem, converted: tuple[int, ...]) -> list[int]:
    return [
        int(p.conversion_beds[r]) if r in converted else int(p.beds[r]) for r in range(len(p.beds))
    ]


def _valid(p: HousingProblem, rooms: tuple[int, ...] | list[int], caps: list[int]) -> bool:
    for r in range(len(caps)):
        inside = [i for i, x in enumerate(rooms) if x == r]
        if len(inside) > caps[r] or len({int(p.groups[p.cohort[i]]) for i in inside}) > 1:
            return False
    return True


def _conversion_sets(p: HousingProblem) -> list[tuple[int, ...]]:
    options = [r for r in range(len(p.beds)) if p.convertible[r]]
    return [c for k in range(len(options) + 1) for c in itertools.combinations(options, k)]


def brute_force(p: HousingProblem) -> tuple[int, ...]:
    """The least (unhoused, neglect, conversions of rooms to convert last, conversions, moves,
    people in added beds) of every plan."""
    n, m = len(p.cohort), len(p.beds)
    best: tuple[int, ...] | None = None
    for converted in _conversion_sets(p):
        caps = _caps(p, converted)
        for rooms in itertools.product(range(-1, m), repeat=n):
            if not _valid(p, rooms, caps):
                continue
            used = sum(1 for r in converted if r in rooms)
            late = sum(1 for r in converted if r in rooms and p.last_rooms[r])
            moves = sum(1 for i, r in enumerate(rooms) if 0 <= p.current[i] != r)
            in_converted = sum(max(0, rooms.count(r) - int(p.beds[r])) for r in converted)
            top = p.cohorts - 1
            neglect = sum(top - int(p.cohort[i]) for i, r in enumerate(rooms) if r < 0)
            key = (rooms.count(-1), neglect, late, used, moves, in_converted)
            best = key if best is None or key < best else best
    assert best is not None
    return best


def brute_capacity(p: HousingProblem, cohort: int) -> int:
    """Beds left for ``cohort`` in the rooms that the cohorts before it leave, housed first (in
    a room of its own sharing group, the beds those cohorts leave)."""
    others = [i for i in range(len(p.cohort)) if p.cohort[i] < cohort]
    best: tuple[int, int] = (-1, -1)
    for converted in _conversion_sets(p):
        caps = _caps(p, converted)
        for rooms in itertools.product(range(-1, len(caps)), repeat=len(others)):
            full = [-1] * len(p.cohort)
            for i, r in zip(others, rooms, strict=True):
                full[i] = r
            if not _valid(p, full, caps):
                continue
            own = int(p.groups[cohort]) if cohort < len(p.groups) else -1
            free = sum(
                caps[r] - rooms.count(r)
                for r in range(len(caps))
                if all(
                    int(p.groups[p.cohort[i]]) == own
                    for i, x in zip(others, rooms, strict=True)
                    if x == r
                )
            )
            best = max(best, (len(others) - rooms.count(-1), free))
    return best[1]


problems = st.integers(1, 3).flatmap(
    lambda m: st.integers(0, 5).flatmap(
        lambda n: st.builds(
            HousingProblem,
            cohort=st.lists(st.integers(0, 2), min_size=n, max_size=n),
            current=st.lists(st.integers(-1, m - 1), min_size=n, max_size=n),
            beds=st.lists(st.integers(0, 3), min_size=m, max_size=m),
            conversion_beds=st.lists(st.sampled_from([0, 0, 2, 4]), min_size=m, max_size=m),
            allow_conversion=st.booleans(),
            share=st.one_of(st.none(), st.lists(st.integers(0, 2), min_size=3, max_size=3)),
            last=st.one_of(st.none(), st.lists(st.booleans(), min_size=m, max_size=m)),
        )
    )
)


@settings(max_examples=60, deadline=None)
@given(problems)
@example(HousingProblem([0, 0], current=[0, 0], beds=[0, 0, 1], conversion_beds=[0, 2, 2]))
def test_the_plan_is_valid_and_as_good_as_the_best_of_every_assignment(p: HousingProblem) -> None:
    s = solve_housing(p)
    assert s.status == "optimal" and s.gap == 0
    caps = _caps(p, tuple(np.flatnonzero(s.converted)))
    assert _valid(p, s.room.tolist(), caps)
    assert not np.any(s.converted & ~p.convertible)
    assert s.moves == int(np.sum((p.current >= 0) & (s.room != p.current)))
    assert s.unhoused == int(np.sum(s.room < 0))
    for c in range(p.cohorts):
        assert s.unhoused_by_cohort[c] == np.sum((s.room < 0) & (p.cohort == c))
    in_converted = sum(
        max(0, int(np.sum(s.room == r)) - int(p.beds[r])) for r in np.flatnonzero(s.converted)
    )
    neglect = int(np.sum((p.cohorts - 1 - p.cohort)[s.room < 0]))
    late = int(np.sum(s.converted & p.last_rooms))
    mine = (s.unhoused, neglect, late, int(s.converted.sum()), s.moves, in_converted)
    assert mine == brute_force(p)


@settings(max_examples=40, deadline=None)
@given(problems, st.integers(0, 2))
def test_cohort_capacity_matches_brute_force(p: HousingProblem, cohort: int) -> None:
    assert cohort_capacity(p, cohort) == brute_capacity(p, cohort)


def test_cohorts_never_share_a_room_even_when_beds_are_free() -> None:
    p = HousingProblem(cohort=[0, 1], current=[-1, -1], beds=[4], conversion_beds=[0])
    s = solve_housing(p)
    assert s.unhoused == 1 and s.unhoused_by_cohort.sum() == 1


def test_current_occupants_stay_and_a_hall_is_converted_only_when_the_ward_is_full() -> None:
    ward, hall = 0, 1
    p = HousingProblem(
        cohort=[0] * 10 + [0, 0],
        current=[ward] * 10 + [-1, -1],
        beds=[12, 0],
        conversion_beds=[0, 40],
    )
    s = solve_housing(p)
    assert s.unhoused == 0 and s.moves == 0 and not s.converted.any()
    bigger = HousingProblem(
        cohort=[0] * 16, current=[ward] * 10 + [-1] * 6, beds=[12, 0], conversion_beds=[0, 40]
    )
    s = solve_housing(bigger)
    assert s.unhoused == 0 and s.converted.tolist() == [False, True] and s.moves == 0
    assert np.sum(s.room == ward) == 12 and np.sum(s.room == hall) == 4


def test_venus_sixteen_confirmed_and_six_scientists_fit_by_converting_the_auditorium() -> None:
    ward, halls = 0, [3, 4]
    confirmed, scientists = 0, 1
    p = HousingProblem(
        cohort=[confirmed] * 16 + [scientists] * 6,
        current=[ward] * 10 + [-1] * 12,
        beds=[12, 1, 1, 0, 0],
        conversion_beds=[0, 0, 0, 60, 30],
    )
    s = solve_housing(p)
    assert s.status == "optimal" and s.unhoused == 0 and s.converted[halls].sum() == 1
    for room in range(5):
        assert len(set(p.cohort[s.room == room].tolist())) <= 1
    # one conversion beats two: as in the story, the isolated women move to the larger room
    (hall,) = np.flatnonzero(s.converted)
    assert set(s.room[:16].tolist()) == {hall, 1, 2} and np.all(s.room[16:] == ward)
    assert s.moves == 10
    walled = HousingProblem(p.cohort, p.current, p.beds, p.conversion_beds, allow_conversion=False)
    s = solve_housing(walled)
    assert s.unhoused == 8
    assert s.unhoused_by_cohort.tolist() == [2, 6] and s.moves == 0
    assert cohort_capacity(walled, confirmed) == 12 + 2
    assert cohort_capacity(p, confirmed) == 12 + 2 + 60 + 30
    assert cohort_capacity(walled, scientists) == 0
    assert cohort_capacity(p, scientists) == 12 + 1 + 1 + 60  # confirmed to the theatre


def test_beds_run_out_on_the_first_day_the_forecast_needs_more_than_capacity() -> None:
    assert beds_run_out(np.array([10.0, 14.0, 14.000000001, 15.2]), 14) == 3
    assert beds_run_out([], 3) is None
    assert beds_run_out([0, 1, 4], 3) == 2


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(EngineError):
        HousingProblem(cohort=[0], current=[0, 1], beds=[1, 1], conversion_beds=[0, 0])
    with pytest.raises(EngineError):
        HousingProblem(cohort=[0], current=[3], beds=[1], conversion_beds=[0])


def test_the_examples_in_the_docstrings_hold() -> None:
    assert doctest.testmod(housing).failed == 0


def test_out_of_time_the_plan_is_still_valid_and_reports_its_gap() -> None:
    rng = np.random.default_rng(3)
    rooms, people = 40, 300
    beds = rng.integers(4, 31, rooms)
    halls = np.arange(rooms) % 5 == 4
    beds[halls] = 0
    p = HousingProblem(
        cohort=rng.choice(3, people, p=[0.5, 0.2, 0.3]),
        current=np.where(rng.random(people) < 0.4, rng.choice(np.flatnonzero(~halls), people), -1),
        beds=beds,
        conversion_beds=np.where(halls, 60, 0),
    )
    s = solve_housing(p, time_limit_s=0.05)
    caps = _caps(p, tuple(np.flatnonzero(s.converted)))
    assert _valid(p, s.room.tolist(), caps)
    assert s.bound <= s.objective + 1e-6
    assert s.status == "optimal" or s.gap > 0


def test_cohorts_of_one_sharing_group_share_a_room_and_others_do_not() -> None:
    cohort, beds = [0, 0, 1, 1, 2], [3, 2]
    p = HousingProblem(cohort, [-1] * 5, beds, [0, 0], share=[0, 1, 0])
    s = solve_housing(p)
    assert s.unhoused == 0
    assert set(s.room[[0, 1, 4]].tolist()) == {0} and set(s.room[[2, 3]].tolist()) == {1}
    alone = solve_housing(HousingProblem(cohort, [-1] * 5, beds, [0, 0]))
    assert alone.unhoused_by_cohort.tolist() == [0, 0, 1]


def test_a_room_with_a_gathering_tonight_is_converted_only_when_no_other_does() -> None:
    ward, theatre = 0, 1
    p = HousingProblem(
        cohort=[0] * 6, current=[ward] * 2 + [-1] * 4, beds=[2, 0, 0],
        conversion_beds=[0, 10, 6], last=[False, True, False],
    )  # fmt: skip
    s = solve_housing(p)
    assert s.converted.tolist() == [False, False, True] and s.unhoused == 0
    busy = HousingProblem(
        cohort=[0] * 12, current=[ward] * 2 + [-1] * 10, beds=[2, 0, 0],
        conversion_beds=[0, 10, 6], last=[False, True, False],
    )  # fmt: skip
    s = solve_housing(busy)
    assert s.converted[theatre] and s.unhoused == 0
