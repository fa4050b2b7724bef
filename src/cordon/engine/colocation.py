"""Co-location contacts: every pair of persons whose presence in one place overlaps long enough.

An overlap of at least ``d`` seconds between [s1, e1) and [s2, e2) is exactly an overlap of the
intervals shrunk to [s, e - d] (those shorter than d dropped): ``s2 <= e1 - d`` and
``s1 <= e2 - d``. After a sort by (place, start), interval i meets exactly the later intervals j
of its place with ``start_j <= end_i - d``: a contiguous band found by one binary search. The join
is a band scan, O(n log n + k) for n intervals and k contacts: a counting pass (searchsorted and a
prefix sum) gives every output offset, and a compiled pass, parallel over the cores, writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numba as nb
import numpy as np

from cordon.engine.sorting import dense_ids, group_sort_order
from cordon.errors import EngineError

__all__ = [
    "ContactArrays",
    "DataQuality",
    "PairDays",
    "colocation_contacts",
    "iter_colocation_contacts",
    "merge_own_overlaps",
    "merged_presence",
    "pair_days",
]

DEFAULT_MIN_OVERLAP = 300
_PLACE_SHIFT = 40
"""Bits of the time axis in the folded (place, time) sort key: 2^40 s is 34,000 years."""


@dataclass(frozen=True)
class ContactArrays:
    """Contacts as parallel int64 arrays; ``a < b`` in every row; overlap is [start, end)."""

    a: np.ndarray
    b: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    @property
    def duration(self) -> np.ndarray:
        """Seconds of overlap of each contact."""
        seconds: np.ndarray = self.end - self.start
        return seconds

    @staticmethod
    def empty() -> ContactArrays:
        """No contacts."""
        z = np.zeros(0, dtype=np.int64)
        return ContactArrays(z, z, z, z, z)

    @staticmethod
    def concat(parts: list[ContactArrays]) -> ContactArrays:
        """Chunks joined in order."""
        if not parts:
            return ContactArrays.empty()
        if len(parts) == 1:
            return parts[0]
        return ContactArrays(*(np.concatenate([getattr(p, n) for p in parts]) for n in _FIELDS))


_FIELDS = ("a", "b", "place", "start", "end")


@dataclass(frozen=True)
class DataQuality:
    """What was wrong with the presence log, and what was done about it (nothing dropped silently).

    ``merged`` intervals overlapped another interval of the same person in the same place (a badge
    read twice, a missed exit) and were merged into ``merged_into`` intervals; ``persons`` lists
    whose they were. ``zero_length`` intervals (start == end) and ``too_short`` ones (shorter than
    the minimum overlap) can meet nobody; ``excluded`` were in places left out of the join.
    """

    intervals: int
    merged: int
    merged_into: int
    persons: np.ndarray
    zero_length: int
    too_short: int
    excluded: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "intervals": self.intervals,
            "merged": self.merged,
            "merged_into": self.merged_into,
            "persons_with_overlapping_intervals": len(self.persons),
            "zero_length": self.zero_length,
            "too_short": self.too_short,
            "excluded": self.excluded,
        }


def _as_int64(name: str, values: object) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.int64)
    if array.ndim != 1:
        raise EngineError(f"{name} must be one-dimensional")
    return array


def _check(
    person: object, place: object, start: object, end: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p, q, s, e = (
        _as_int64("person", person),
        _as_int64("place", place),
        _as_int64("start", start),
        _as_int64("end", end),
    )
    if not len(p) == len(q) == len(s) == len(e):
        raise EngineError("person, place, start and end must have the same length")
    if len(s) and int((e < s).sum()):
        raise EngineError(f"{int((e < s).sum())} presence intervals end before they start")
    if len(q) and (q.min() < 0 or p.min() < 0):
        raise EngineError("person and place ids must be non-negative")
    return p, q, s, e


def merge_own_overlaps(
    person: np.ndarray, place: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], int, int, np.ndarray]:
    """Sort by (place, start) and merge each person's overlapping intervals in one place.

    Returns the merged (person, place, start, end) sorted by (place, start), how many input
    intervals took part in a merge, how many intervals they became, and the persons concerned.
    Touching intervals ([0, 5) and [5, 9)) are separate visits and stay apart.

    Examples
    --------
    >>> (p, q, s, e), merged, into, who = merge_own_overlaps(
    ...     np.array([1, 1, 2]), np.array([0, 0, 0]), np.array([0, 5, 0]), np.array([10, 20, 5]))
    >>> s.tolist(), e.tolist(), merged, into, who.tolist()
    ([0, 0], [20, 5], 2, 1, [1])
    """
    n = len(person)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return (z, z, z, z), 0, 0, z
    order = group_sort_order(dense_ids(place), start)
    p, q, s, e = person[order], place[order], start[order], end[order]
    dense_person = dense_ids(p)
    keep, new_end, absorbed = _merge_runs(dense_person, q, s, e, int(dense_person.max()) + 1)
    merged_into = int(absorbed.sum())
    if merged_into == 0:
        return (p, q, s, e), 0, 0, np.zeros(0, dtype=np.int64)
    persons = np.unique(p[~keep | absorbed])
    merged = int((~keep).sum()) + merged_into
    return (p[keep], q[keep], s[keep], new_end[keep]), merged, merged_into, persons


@nb.njit(cache=True)
def _merge_runs(
    person: np.ndarray, place: np.ndarray, start: np.ndarray, end: np.ndarray, n_persons: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """In (place, start) order: drop every interval that overlaps the same person's open run in
    the same place, extending that run's end instead."""
    n = len(person)
    keep = np.ones(n, dtype=np.bool_)
    absorbed = np.zeros(n, dtype=np.bool_)
    new_end = end.copy()
    head = np.full(n_persons, -1, dtype=np.int64)
    for i in range(n):
        h = head[person[i]]
        if h >= 0 and place[h] == place[i] and start[i] < new_end[h]:
            absorbed[h] = True
            keep[i] = False
            if end[i] > new_end[h]:
                new_end[h] = end[i]
        else:
            head[person[i]] = i
    return keep, new_end, absorbed


@nb.njit(parallel=True, cache=True)
def _write(
    bounds: np.ndarray,
    offsets: np.ndarray,
    upper: np.ndarray,
    person: np.ndarray,
    place: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    out_a: np.ndarray,
    out_b: np.ndarray,
    out_place: np.ndarray,
    out_start: np.ndarray,
    out_end: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Write the contacts of rows bounds[0]..bounds[-1]; part p covers rows bounds[p] to
    bounds[p + 1], each part about the same number of contacts, the parts in parallel."""
    base = offsets[bounds[0]]
    for part in nb.prange(len(bounds) - 1):
        for i in range(bounds[part], bounds[part + 1]):
            k = offsets[i] - base
            pi = person[i]
            ei = end[i]
            for j in range(i + 1, upper[i]):
                pj = person[j]
                if pi < pj:
                    out_a[k] = pi
                    out_b[k] = pj
                else:
                    out_a[k] = pj
                    out_b[k] = pi
                out_place[k] = place[i]
                out_start[k] = start[j]
                out_end[k] = ei if ei < end[j] else end[j]
                k += 1


@nb.njit(cache=True)
def _merge_and_filter(
    order: np.ndarray,
    dense_person: np.ndarray,
    person: np.ndarray,
    place: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    d: int,
    n_persons: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # pragma: no cover - compiled
    """In (place, start) order: merge each person's overlapping intervals in one place, then
    keep the intervals at least ``d`` long. Returns them, (merged, merged_into, too_short) and
    the persons whose intervals were merged."""
    n = len(order)
    P = np.empty(n, dtype=np.int64)
    Q = np.empty(n, dtype=np.int64)
    S = np.empty(n, dtype=np.int64)
    E = np.empty(n, dtype=np.int64)
    absorbed = np.zeros(n, dtype=np.bool_)
    head = np.full(n_persons, -1, dtype=np.int64)
    flagged = np.zeros(n_persons, dtype=np.bool_)
    original = np.zeros(n_persons, dtype=np.int64)
    m = 0
    merged = 0
    merged_into = 0
    for r in range(n):
        i = order[r]
        who = dense_person[i]
        h = head[who]
        if h >= 0 and Q[h] == place[i] and start[i] < E[h]:
            if not absorbed[h]:
                absorbed[h] = True
                merged_into += 1
                merged += 1
            merged += 1
            flagged[who] = True
            original[who] = person[i]
            if end[i] > E[h]:
                E[h] = end[i]
        else:
            P[m] = person[i]
            Q[m] = place[i]
            S[m] = start[i]
            E[m] = end[i]
            head[who] = m
            m += 1
    w = 0
    too_short = 0
    for r in range(m):
        if E[r] - S[r] >= d:
            P[w] = P[r]
            Q[w] = Q[r]
            S[w] = S[r]
            E[w] = E[r]
            w += 1
        else:
            too_short += 1
    stats = np.array([merged, merged_into, too_short], dtype=np.int64)
    return P[:w], Q[:w], S[:w], E[:w], stats, original[flagged]


@nb.njit(parallel=True, cache=True)
def _band_ends(
    place: np.ndarray, start: np.ndarray, end: np.ndarray, d: int, t0: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """For each interval (sorted by place, start), one past the last later interval of its
    place starting at or before end - d (a binary search), and the prefix sum of the counts."""
    n = len(place)
    key = np.empty(n, dtype=np.int64)
    for i in nb.prange(n):
        key[i] = (place[i] << 40) + (start[i] - t0)
    upper = np.empty(n, dtype=np.int64)
    for i in nb.prange(n):
        target = (place[i] << 40) + (end[i] - d - t0)
        lo = i + 1
        hi = n
        while lo < hi:
            mid = (lo + hi) >> 1
            if key[mid] <= target:
                lo = mid + 1
            else:
                hi = mid
        upper[i] = lo
    offsets = np.empty(n + 1, dtype=np.int64)
    offsets[0] = 0
    for i in range(n):
        offsets[i + 1] = offsets[i] + upper[i] - i - 1
    return upper, offsets


@dataclass(frozen=True)
class _Band:
    """Intervals ready for the band scan, the band end of each, and output offsets."""

    person: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray
    upper: np.ndarray
    offsets: np.ndarray
    quality: DataQuality


def merged_presence(
    person: object,
    place: object,
    start: object,
    end: object,
    *,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    exclude_places: object | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], DataQuality]:
    """The intervals the join works on: excluded places and zero-length intervals left out, each
    person's overlapping intervals in a place merged, those shorter than ``min_overlap`` dropped;
    sorted by (place, start), with the data-quality report. (A partitioned run merges first, by
    person and place, then joins by place and day.)"""
    p, q, s, e = _check(person, place, start, end)
    n_in = len(p)
    excluded = 0
    if exclude_places is not None and n_in:
        drop = np.isin(q, _as_int64("exclude_places", exclude_places))
        excluded = int(drop.sum())
        p, q, s, e = p[~drop], q[~drop], s[~drop], e[~drop]
    empty = e == s
    zero_length = int(empty.sum())
    if zero_length:
        p, q, s, e = p[~empty], q[~empty], s[~empty], e[~empty]
    d = max(int(min_overlap), 1)
    if len(p) == 0:
        z = np.zeros(0, dtype=np.int64)
        return (z, z, z, z), DataQuality(n_in, 0, 0, z, zero_length, 0, excluded)
    order = group_sort_order(dense_ids(q), s)
    dense_person = dense_ids(p)
    n_persons = int(dense_person.max()) + 1
    p, q, s, e, stats, flagged = _merge_and_filter(order, dense_person, p, q, s, e, d, n_persons)
    merged, merged_into, too_short = (int(x) for x in stats)
    quality = DataQuality(
        n_in, merged, merged_into, np.sort(flagged), zero_length, too_short, excluded
    )
    return (p, q, s, e), quality


def _prepare(
    person: object,
    place: object,
    start: object,
    end: object,
    min_overlap: int,
    exclude_places: object | None,
) -> _Band:
    (p, q, s, e), quality = merged_presence(
        person, place, start, end, min_overlap=min_overlap, exclude_places=exclude_places
    )
    d = max(int(min_overlap), 1)
    if len(p) == 0:
        z = np.zeros(0, dtype=np.int64)
        return _Band(z, z, z, z, z, np.zeros(1, dtype=np.int64), quality)
    t0 = int(s.min())
    if int(e.max()) - t0 >= 1 << _PLACE_SHIFT or int(q.max()) >= 1 << (62 - _PLACE_SHIFT):
        raise EngineError("times span more than 2^40 s or place ids exceed 2^22: split the input")
    upper, offsets = _band_ends(q, s, e, d, t0)
    return _Band(p, q, s, e, upper, offsets, quality)


def _chunk(band: _Band, lo: int, hi: int) -> ContactArrays:
    k = int(band.offsets[hi] - band.offsets[lo])
    out = [np.empty(k, dtype=np.int64) for _ in _FIELDS]
    if k:
        parts = 8 * max(nb.get_num_threads(), 1)
        targets = np.linspace(band.offsets[lo], band.offsets[hi], parts + 1)
        bounds = np.searchsorted(band.offsets, targets, side="left").astype(np.int64)
        bounds = np.unique(np.clip(bounds, lo, hi))
        bounds[0], bounds[-1] = lo, hi
        with nb.parallel_chunksize(1):  # parts handed out one at a time: a busy core waits less
            _write(bounds, band.offsets, band.upper, band.person, band.place, band.start,
                   band.end, *out)  # fmt: skip
    return ContactArrays(*out)


def iter_colocation_contacts(
    person: object,
    place: object,
    start: object,
    end: object,
    *,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    exclude_places: object | None = None,
    chunk: int = 20_000_000,
) -> tuple[DataQuality, int, Iterator[ContactArrays]]:
    """The contacts in chunks of about ``chunk`` rows, for outputs too large to hold at once.

    Returns the data-quality report, the exact number of contacts, and an iterator of chunks
    (each chunk's rows in (place, start of the earlier interval) order).
    """
    band = _prepare(person, place, start, end, min_overlap, exclude_places)
    total = int(band.offsets[-1])

    def chunks() -> Iterator[ContactArrays]:
        n = len(band.person)
        lo = 0
        while lo < n:
            target = band.offsets[lo] + max(chunk, 1)
            hi = int(np.searchsorted(band.offsets, target, side="right")) - 1
            hi = min(max(hi, lo + 1), n)
            yield _chunk(band, lo, hi)
            lo = hi

    return band.quality, total, chunks()


def colocation_contacts(
    person: object,
    place: object,
    start: object,
    end: object,
    *,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    exclude_places: object | None = None,
) -> tuple[ContactArrays, DataQuality]:
    """Every pair of persons in one place whose presence overlaps for at least ``min_overlap`` s.

    Presence intervals are [start, end) in integer seconds; a person's own overlapping intervals
    in one place are merged first (and reported). ``min_overlap`` of 0 means any overlap of at
    least one second: touching intervals never meet.

    Examples
    --------
    >>> c, q = colocation_contacts([1, 2, 3], [7, 7, 7], [0, 100, 900], [600, 1000, 1200])
    >>> c.a.tolist(), c.b.tolist(), c.start.tolist(), c.end.tolist(), c.duration.tolist()
    ([1], [2], [100], [600], [500])
    >>> len(colocation_contacts([1, 2], [7, 7], [0, 100], [600, 1000], min_overlap=600)[0])
    0
    """
    band = _prepare(person, place, start, end, min_overlap, exclude_places)
    return _chunk(band, 0, len(band.person)), band.quality


@dataclass(frozen=True)
class PairDays:
    """Contacts summed per unordered pair and day: how many, total and weighted seconds."""

    a: np.ndarray
    b: np.ndarray
    day: np.ndarray
    count: np.ndarray
    duration: np.ndarray
    weighted: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def pair_days(
    contacts: ContactArrays,
    *,
    day_start: int = 0,
    day: int = 86_400,
    place_weight: dict[int, float] | None = None,
) -> PairDays:
    """Aggregate contacts per pair and day (a contact counts on the day its overlap starts);
    ``place_weight`` scales each place's seconds in ``weighted`` (absent places weigh 1).

    Examples
    --------
    >>> c = ContactArrays(*(np.array(v) for v in ([1, 1], [2, 2], [5, 6], [0, 50], [10, 80])))
    >>> agg = pair_days(c, place_weight={6: 0.5})
    >>> agg.count.tolist(), agg.duration.tolist(), agg.weighted.tolist()
    ([2], [40], [25.0])
    """
    if len(contacts) == 0:
        z = np.zeros(0, dtype=np.int64)
        return PairDays(z, z, z, z, z, np.zeros(0))
    days = (contacts.start - day_start) // day
    order = np.lexsort((days, contacts.b, contacts.a))
    a, b, dd = contacts.a[order], contacts.b[order], days[order]
    dur = contacts.duration[order]
    weight = np.ones(len(a))
    if place_weight:
        places = contacts.place[order]
        for place_id, w in place_weight.items():
            weight[places == place_id] = w
    new = np.ones(len(a), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (dd[1:] != dd[:-1])
    first = np.flatnonzero(new)
    count = np.diff(np.append(first, len(a)))
    return PairDays(
        a[first],
        b[first],
        dd[first] * day + day_start,
        count.astype(np.int64),
        np.add.reduceat(dur, first),
        np.add.reduceat(dur * weight, first),
    )
