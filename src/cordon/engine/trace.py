"""Time-respecting tracing over contacts: who an index person could have infected, and by whom
a case could have been infected.

The model: an exposure transmits at the first moment it happens while the source is infectious
(every exposure counts, the cautious assumption for containment). A person infected at time t
is infectious over [t + latent, t + latent + infectious). Contact k between u and v over
[start_k, end_k] can pass the agent from u at ``max(start_k, infectious_from_u)`` provided that
moment is inside the contact and inside u's infectious window. Each person's earliest infection
time is then found by label setting (Dijkstra on infection times): pop the earliest-infectious
person, binary-search their time-sorted contacts for the ones inside their window, relax.
O(E log V) for E contacts and V persons, not a search over paths.

Backward tracing is the same computation with time reversed (times negated, start and end
swapped): from a case's latest possible infection time, the latest time each person could have
been infected and still start a chain that reaches the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numba as nb
import numpy as np

from cordon.engine.sorting import group_sort_order
from cordon.errors import EngineError

__all__ = ["NEVER", "ContactGraph", "Direction", "TraceResult", "build_graph", "trace_graph"]

NEVER = np.int64(1 << 62)
"""The time label of a person no chain reaches."""
_FOREVER = 1 << 60
"""Longest window the kernel accepts; ``None`` windows become this."""


class Direction(StrEnum):
    """Which way a trace runs in time."""

    FORWARD = "forward"
    BACKWARD = "backward"
    BOTH = "both"


@dataclass(frozen=True)
class _Adjacency:
    """Both directions of every contact, grouped by person and sorted by (shifted) start."""

    indptr: np.ndarray
    other: np.ndarray
    start: np.ndarray
    end: np.ndarray
    edge: np.ndarray
    longest: np.ndarray
    """Longest contact of each person, to bound the binary search from below."""


@dataclass
class ContactGraph:
    """Contacts between persons 0..n-1 (undirected), indexed for tracing in either direction.

    Build once with :func:`build_graph`, then trace as often as needed; the backward index is
    built on first use.
    """

    n: int
    a: np.ndarray
    b: np.ndarray
    start: np.ndarray
    end: np.ndarray
    _forward: _Adjacency
    _backward: _Adjacency | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.a)

    def adjacency(self, direction: Direction) -> _Adjacency:
        """The index for ``direction`` (forward or backward)."""
        if direction is Direction.FORWARD:
            return self._forward
        if self._backward is None:
            self._backward = _index(self.n, self.a, self.b, -self.end, -self.start)
        return self._backward

    def arrays(self) -> dict[str, np.ndarray]:
        """The graph as named arrays (both indexes, the backward one if built), to store."""
        out = {"n": np.array([self.n]), "a": self.a, "b": self.b, "start": self.start,
               "end": self.end}  # fmt: skip
        for prefix, index in (("fwd", self._forward), ("bwd", self._backward)):
            if index is not None:
                out.update({f"{prefix}_{k}": getattr(index, k) for k in _ADJACENCY_FIELDS})
        return out

    @staticmethod
    def from_arrays(arrays: Mapping[str, np.ndarray]) -> ContactGraph:
        """The graph stored by :meth:`arrays` (read-only arrays are fine)."""

        def index(prefix: str) -> _Adjacency | None:
            if f"{prefix}_indptr" not in arrays:
                return None
            return _Adjacency(*(arrays[f"{prefix}_{k}"] for k in _ADJACENCY_FIELDS))

        forward = index("fwd")
        assert forward is not None
        return ContactGraph(
            int(arrays["n"][0]), arrays["a"], arrays["b"], arrays["start"], arrays["end"],
            forward, index("bwd"),
        )  # fmt: skip


_ADJACENCY_FIELDS = ("indptr", "other", "start", "end", "edge", "longest")


def _index(n: int, a: np.ndarray, b: np.ndarray, start: np.ndarray, end: np.ndarray) -> _Adjacency:
    m = len(a)
    src = np.concatenate((a, b))
    ends = np.concatenate((end, end))
    starts = np.concatenate((start, start))
    order = group_sort_order(src, starts)
    counts = np.bincount(src, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    longest = np.zeros(n, dtype=np.int64)
    if m:
        np.maximum.at(longest, src, ends - starts)
    edge = np.concatenate((np.arange(m), np.arange(m)))[order]
    other = np.concatenate((b, a))[order]
    return _Adjacency(indptr, other, starts[order], ends[order], edge, longest)


def build_graph(
    a: object, b: object, start: object, end: object, *, n: int | None = None
) -> ContactGraph:
    """Index contacts (person ids a and b in 0..n-1, over [start, end]) for tracing.

    Examples
    --------
    >>> g = build_graph([0, 1], [1, 2], [10, 50], [20, 60])
    >>> g.n, len(g)
    (3, 2)
    """
    arrays = [np.ascontiguousarray(x, dtype=np.int64) for x in (a, b, start, end)]
    if len({len(x) for x in arrays}) != 1:
        raise EngineError("a, b, start and end must have the same length")
    ca, cb, cs, ce = arrays
    if len(ca) and int((ce < cs).sum()):
        raise EngineError("contacts must not end before they start")
    if len(ca) and min(int(ca.min()), int(cb.min())) < 0:
        raise EngineError("person ids must be non-negative")
    size = max(int(ca.max()) + 1, int(cb.max()) + 1) if len(ca) else 0
    n = size if n is None else n
    if n < size:
        raise EngineError(f"n={n} but person ids go up to {size - 1}")
    return ContactGraph(n, ca, cb, cs, ce, _index(max(n, 1), ca, cb, cs, ce))


@nb.njit(cache=True)
def _first_at_least(values: np.ndarray, lo: int, hi: int, x: int) -> int:  # pragma: no cover
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _sift_up(
    heap: np.ndarray, pos: np.ndarray, key: np.ndarray, i: int
) -> None:  # pragma: no cover
    node = heap[i]
    while i > 0:
        parent = (i - 1) >> 1
        if key[heap[parent]] <= key[node]:
            break
        heap[i] = heap[parent]
        pos[heap[i]] = i
        i = parent
    heap[i] = node
    pos[node] = i


@nb.njit(cache=True)
def _sift_down(
    heap: np.ndarray, pos: np.ndarray, key: np.ndarray, i: int, size: int
) -> None:  # pragma: no cover
    node = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[heap[child + 1]] < key[heap[child]]:
            child += 1
        if key[heap[child]] >= key[node]:
            break
        heap[i] = heap[child]
        pos[heap[i]] = i
        i = child
    heap[i] = node
    pos[node] = i


@nb.njit(cache=True)
def _label_setting(
    indptr: np.ndarray,
    other: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    edge: np.ndarray,
    longest: np.ndarray,
    seeds: np.ndarray,
    seed_from: np.ndarray,
    seed_span: int,
    latent: int,
    span: int,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # pragma: no cover - compiled
    n = len(indptr) - 1
    acts = np.full(n, NEVER, dtype=np.int64)  # infectious from
    exposed = np.full(n, NEVER, dtype=np.int64)  # the transmitting moment
    pred = np.full(n, -1, dtype=np.int64)
    pred_edge = np.full(n, -1, dtype=np.int64)
    generation = np.full(n, -1, dtype=np.int64)
    exposure = np.zeros(n, dtype=np.int64)
    window = np.full(n, span, dtype=np.int64)
    is_seed = np.zeros(n, dtype=np.bool_)
    heap = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)  # -1 never queued, -2 settled
    size = 0
    for k in range(len(seeds)):
        u = seeds[k]
        if seed_from[k] < acts[u]:
            acts[u] = seed_from[k]
            exposed[u] = seed_from[k]
            generation[u] = 0
            window[u] = seed_span
            is_seed[u] = True
            if pos[u] == -1:
                heap[size] = u
                pos[u] = size
                size += 1
            _sift_up(heap, pos, acts, pos[u])
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, acts, 0, size)
        pos[u] = -2
        t0 = acts[u]
        if t0 > horizon:
            break
        t1 = t0 + window[u]
        lo = _first_at_least(start, indptr[u], indptr[u + 1], t0 - longest[u])
        hi = _first_at_least(start, lo, indptr[u + 1], t1)
        for k in range(lo, hi):
            if end[k] < t0:
                continue
            t = start[k] if start[k] > t0 else t0
            v = other[k]
            stop = end[k] if end[k] < t1 else t1
            exposure[v] += stop - t
            if is_seed[v] or pos[v] == -2 or t > horizon:
                continue
            candidate = t + latent
            if candidate < acts[v]:
                acts[v] = candidate
                exposed[v] = t
                pred[v] = u
                pred_edge[v] = edge[k]
                generation[v] = generation[u] + 1
                if pos[v] == -1:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                _sift_up(heap, pos, acts, pos[v])
    return acts, exposed, pred, pred_edge, generation, exposure


@dataclass(frozen=True)
class TraceResult:
    """Per person (index = person id): whether a chain reaches them and its evidence.

    Forward: ``time`` is the earliest moment the person could have been infected (for index
    persons, the given time), ``infectious_from`` that plus the latent period. Backward: ``time``
    is the latest moment the person could have been infected and still start a chain that
    reaches the case by its time, and ``infectious_from`` the moment of the contact through which
    they would have passed it on (time + latent).
    ``predecessor`` and ``via`` (contact index) are the last step of one such chain;
    ``generation`` counts steps from the index persons (0 for them, -1 if unreached);
    ``exposure_s`` is the total contact time with reached persons inside their windows.
    """

    direction: Direction
    seeds: np.ndarray
    time: np.ndarray
    infectious_from: np.ndarray
    predecessor: np.ndarray
    via: np.ndarray
    generation: np.ndarray
    exposure_s: np.ndarray

    @property
    def reached(self) -> np.ndarray:
        """Person ids a chain reaches, index persons included, in order of time (forward:
        earliest first; backward: latest first), then generation."""
        ids = np.flatnonzero(self.generation >= 0)
        key = self.time[ids] if self.direction is Direction.FORWARD else -self.time[ids]
        return ids[np.lexsort((self.generation[ids], key))]

    def chain(self, person: int) -> list[int]:
        """Persons from an index person to ``person`` (forward) or from ``person`` to the case
        (backward), following predecessors; empty if unreached."""
        if self.generation[person] < 0:
            return []
        path = [int(person)]
        while self.predecessor[path[-1]] >= 0:
            path.append(int(self.predecessor[path[-1]]))
        return path[::-1] if self.direction is Direction.FORWARD else path

    def chain_contacts(self, person: int) -> list[int]:
        """Contact indices along :meth:`chain`, in the same order."""
        steps = []
        node = int(person)
        while self.generation[node] > 0:
            steps.append(int(self.via[node]))
            node = int(self.predecessor[node])
        return steps[::-1] if self.direction is Direction.FORWARD else steps


def _window(value: int | None) -> int:
    if value is None:
        return _FOREVER
    if value < 0:
        raise EngineError("latent and infectious periods must not be negative")
    return min(int(value), _FOREVER)


def trace_graph(
    graph: ContactGraph,
    seeds: object,
    at: object,
    *,
    direction: Direction | str = Direction.FORWARD,
    latent: int = 0,
    infectious: int | None = None,
    seed_window: int | None = None,
    horizon: int | None = None,
) -> TraceResult:
    """Trace from ``seeds`` (person ids) at times ``at`` (one time or one per seed).

    Forward: the seeds are infectious over [at, at + seed_window) (default: the infectious
    period) and every reached person over [t + latent, t + latent + infectious) from their
    earliest infection t. Backward: the seeds were infected at the latest at ``at``, by a contact
    within the ``seed_window`` before it (default: latent + infectious). ``infectious=None`` is
    an unbounded window. ``horizon`` stops a forward trace at that time (backward: before it).

    Examples
    --------
    >>> g = build_graph([0, 1, 2], [1, 2, 3], [10, 50, 200], [20, 60, 300])
    >>> r = trace_graph(g, [0], 0, latent=30, infectious=100)
    >>> r.reached.tolist(), r.time.tolist(), r.generation.tolist()
    ([0, 1, 2], [0, 10, 50, 4611686018427387904], [0, 1, 2, -1])
    >>> r.chain(2), trace_graph(g, [3], 400, direction="backward", latent=30).chain(0)
    ([0, 1, 2], [0, 1, 2, 3])
    """
    direction = Direction(direction)
    if direction is Direction.BOTH:
        raise EngineError("trace one direction at a time (run forward and backward)")
    seed_ids = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    seed_at = np.broadcast_to(np.asarray(at, dtype=np.int64), seed_ids.shape).copy()
    if len(seed_ids) and (seed_ids.min() < 0 or seed_ids.max() >= graph.n):
        raise EngineError(f"index persons must be ids in 0..{graph.n - 1}")
    lat, span = _window(latent), _window(infectious)
    if seed_window is None:
        seed_window = span if direction is Direction.FORWARD else min(lat + span, _FOREVER)
    seed_span = _window(seed_window)
    forward = direction is Direction.FORWARD
    adj = graph.adjacency(direction)
    limit = _FOREVER if horizon is None else (int(horizon) if forward else -int(horizon))
    acts, exposed, pred, pred_edge, generation, exposure = _label_setting(
        adj.indptr, adj.other, adj.start, adj.end, adj.edge, adj.longest, seed_ids,
        seed_at if forward else -seed_at, seed_span, lat, span, limit,
    )  # fmt: skip
    n = graph.n
    acts, exposed = acts[:n], exposed[:n]
    reached = generation[:n] >= 0
    if forward:
        time, infectious_from = exposed, acts
    else:
        time = np.where(reached, -acts, NEVER)
        infectious_from = np.where(reached, -exposed, NEVER)
    return TraceResult(
        direction, seed_ids, time, infectious_from, pred[:n], pred_edge[:n], generation[:n],
        exposure[:n],
    )  # fmt: skip
