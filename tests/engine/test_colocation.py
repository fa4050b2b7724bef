"""Co-location contacts against a brute-force twin, and the edge cases of the issue."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cordon.engine.colocation import (
    ContactArrays,
    colocation_contacts,
    iter_colocation_contacts,
    merge_own_overlaps,
    pair_days,
)
from cordon.errors import EngineError


def brute_merge(rows: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Union of each person's overlapping intervals per place, by repeated pairwise merging
    (zero-length intervals are no presence at all)."""
    out: list[list[int] | None] = [list(r) for r in rows if r[3] > r[2]]
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(len(out)):
                if i == j or out[i] is None or out[j] is None:
                    continue
                pi, qi, si, ei = out[i]
                pj, qj, sj, ej = out[j]
                if pi == pj and qi == qj and si <= sj and sj < ei:
                    out[i] = [pi, qi, si, max(ei, ej)]
                    out[j] = None
                    changed = True
    return sorted(tuple(r) for r in out if r is not None)


def brute_contacts(rows: list[tuple[int, int, int, int]], d: int) -> list[tuple[int, ...]]:
    """Every pair of merged intervals in one place overlapping at least max(d, 1) seconds."""
    merged = brute_merge(rows)
    d = max(d, 1)
    found = []
    for i in range(len(merged)):
        for j in range(i + 1, len(merged)):
            pi, qi, si, ei = merged[i]
            pj, qj, sj, ej = merged[j]
            if qi != qj:
                continue
            lo, hi = max(si, sj), min(ei, ej)
            if hi - lo >= d:
                found.append((min(pi, pj), max(pi, pj), qi, lo, hi))
    return sorted(found)


def as_rows(c: ContactArrays) -> list[tuple[int, ...]]:
    return sorted(zip(*(x.tolist() for x in (c.a, c.b, c.place, c.start, c.end)), strict=True))


interval = st.tuples(
    st.integers(0, 6), st.integers(0, 2), st.integers(0, 60), st.integers(0, 40)
).map(lambda r: (r[0], r[1], r[2], r[2] + r[3]))


@settings(max_examples=300, deadline=None)
@given(st.lists(interval, max_size=30), st.integers(0, 30))
def test_same_contacts_as_brute_force(rows: list[tuple[int, int, int, int]], d: int) -> None:
    columns = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)] if rows else [[]] * 4
    contacts, quality = colocation_contacts(*columns, min_overlap=d)
    assert as_rows(contacts) == brute_contacts(rows, d)
    assert (contacts.a < contacts.b).all()
    assert (contacts.duration >= max(d, 1)).all()
    merged = brute_merge(rows)
    assert quality.intervals == len(rows)
    non_empty = sum(1 for r in rows if r[3] > r[2])
    assert quality.merged - quality.merged_into == non_empty - len(merged)


@settings(max_examples=100, deadline=None)
@given(st.lists(interval, max_size=40), st.integers(1, 5))
def test_chunks_add_up_to_the_whole(rows: list[tuple[int, int, int, int]], chunk: int) -> None:
    columns = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)] if rows else [[]] * 4
    whole, _ = colocation_contacts(*columns, min_overlap=3)
    _, total, parts = iter_colocation_contacts(*columns, min_overlap=3, chunk=chunk)
    joined = ContactArrays.concat(list(parts))
    assert total == len(whole) == len(joined)
    assert as_rows(joined) == as_rows(whole)


def test_zero_length_and_touching_intervals_meet_nobody() -> None:
    c, q = colocation_contacts([1, 2, 3], [0, 0, 0], [0, 10, 5], [10, 20, 5], min_overlap=0)
    assert len(c) == 0
    assert q.zero_length == 1


def test_identical_timestamps() -> None:
    c, _ = colocation_contacts([1, 2, 3], [4, 4, 4], [0, 0, 0], [600, 600, 600])
    assert as_rows(c) == [(1, 2, 4, 0, 600), (1, 3, 4, 0, 600), (2, 3, 4, 0, 600)]


def test_one_person_and_empty_input() -> None:
    assert len(colocation_contacts([1, 1], [0, 0], [0, 700], [600, 1300])[0]) == 0
    c, q = colocation_contacts([], [], [], [])
    assert len(c) == 0 and q.intervals == 0
    assert len(pair_days(c)) == 0


def test_own_overlaps_are_merged_and_reported_not_dropped() -> None:
    (p, _, s, e), merged, into, who = merge_own_overlaps(
        np.array([1, 1, 1, 2]), np.array([0, 0, 0, 0]), np.array([0, 5, 30, 0]),
        np.array([10, 20, 40, 9]),
    )  # fmt: skip
    assert sorted(zip(p.tolist(), s.tolist(), e.tolist(), strict=True)) == [
        (1, 0, 20), (1, 30, 40), (2, 0, 9),
    ]  # fmt: skip
    assert (merged, into, who.tolist()) == (2, 1, [1])
    # merged, person 1 is in the place 0-20, so meets person 3 there for 20 s (not twice)
    c, q = colocation_contacts([1, 1, 3], [0, 0, 0], [0, 5, 0], [10, 20, 20], min_overlap=1)
    assert as_rows(c) == [(1, 3, 0, 0, 20)]
    assert q.merged == 2 and q.to_dict()["persons_with_overlapping_intervals"] == 1


def test_excluded_places_and_weights() -> None:
    c, q = colocation_contacts(
        [1, 2, 1, 2], [0, 0, 9, 9], [0, 0, 0, 0], [900, 900, 900, 900], exclude_places=[9]
    )
    assert as_rows(c) == [(1, 2, 0, 0, 900)] and q.excluded == 2
    agg = pair_days(c, place_weight={0: 2.0})
    assert agg.weighted.tolist() == [1800.0]


def test_a_million_people_with_few_contacts() -> None:
    n = 1_000_000
    person = np.arange(n)
    place = person // 2  # pairs of people share a place
    start = np.zeros(n, dtype=np.int64)
    end = np.where(person % 4 < 2, 600, 100)  # half the pairs long enough
    c, q = colocation_contacts(person, place, start, end)
    assert len(c) == n // 4
    assert q.too_short == n // 2
    assert (c.b - c.a == 1).all()


def test_bad_input_is_refused() -> None:
    with pytest.raises(EngineError, match="end before"):
        colocation_contacts([1], [0], [10], [5])
    with pytest.raises(EngineError, match="same length"):
        colocation_contacts([1, 2], [0], [10], [5])
