# mypy: allow-untyped-defs
"""Event-driven stochastic SIR/SEIR on a static weighted network, after the fast_SIR algorithm of
Kiss, Miller and Simon (Mathematics of Epidemics on Networks, 2017, ch. 6, appendix A.1).

Each infected node recovers after an exponential time (rate ``gamma``) and, once infectious,
transmits to each neighbour after an exponential delay (rate ``tau * weight``) if that comes
before its recovery or isolation; only the earliest predicted infection of each node is kept in
a binary heap, so every event costs O(log n). A moratorium stops the transmission clock inside
its windows (the hazard is zero there), so a delay that reaches a window resumes after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from cordon.engine.simulate.common import N_SERIES, daily_counts
from cordon.engine.simulate.interventions import Controls, compile_controls
from cordon.errors import EngineError

__all__ = ["StaticModel", "csr_from_edges"]


def csr_from_edges(
    n_nodes: int, u: np.ndarray, v: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected adjacency in CSR form (indptr, indices, weights) from an edge list.

    Examples
    --------
    >>> indptr, indices, w = csr_from_edges(3, np.array([0, 1]), np.array([1, 2]))
    >>> indptr.tolist(), indices.tolist()
    ([0, 1, 3, 4], [1, 0, 2, 1])
    """
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    w = np.ones(len(u)) if weight is None else np.asarray(weight, np.float64)
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_nodes):
        raise EngineError("an edge names a node outside 0..n_nodes-1")
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    ww = np.concatenate([w, w])
    order = np.lexsort((dst, src))
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n_nodes), out=indptr[1:])
    return indptr, dst[order], ww[order]


@dataclass(frozen=True)
class StaticModel:
    """SIR (``latent_s`` = 0) or SEIR with fixed latency on a static network, rates per second."""

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    tau: float
    gamma: float
    initial: np.ndarray
    """Nodes infected at time 0."""
    latent_s: float = 0.0
    controls: Controls = field(default_factory=lambda: compile_controls(()))
    days: int = 0
    """Days of daily series to return (0: final sizes only, the fastest)."""

    def simulate(self, seeds: np.ndarray) -> np.ndarray:
        """Per run: the daily series (runs x N_SERIES x days), or final sizes when days = 0."""
        if self.tau < 0 or self.gamma <= 0:
            raise EngineError("tau >= 0 and gamma > 0 are required")
        windows = _merged_windows(self.controls.moratorium)
        sizes, series = _ensemble(
            np.asarray(seeds, np.int64),
            self.indptr,
            self.indices,
            self.weights,
            self.tau,
            self.gamma,
            self.latent_s,
            np.asarray(self.initial, np.int64),
            self.controls.isolation,
            self.controls.quarantine,
            self.controls.quarantine_s,
            windows,
            self.days,
        )
        out: np.ndarray = sizes if self.days == 0 else series
        return out


def _merged_windows(moratorium: np.ndarray) -> np.ndarray:
    """Moratorium windows (all routes: a static network has one) sorted and merged."""
    rows = sorted((float(s), float(e)) for s, e, _r, _g in moratorium)
    merged: list[list[float]] = []
    for s, e in rows:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return np.array(merged, np.float64).reshape(-1, 2)


@numba.njit(cache=True)
def _push(ht, hv, size, t, v):
    i = size
    ht[i] = t
    hv[i] = v
    while i > 0:
        p = (i - 1) >> 1
        if ht[p] <= ht[i]:
            break
        ht[p], ht[i] = ht[i], ht[p]
        hv[p], hv[i] = hv[i], hv[p]
        i = p
    return size + 1


@numba.njit(cache=True)
def _pop(ht, hv, size):
    t, v = ht[0], hv[0]
    size -= 1
    ht[0], hv[0] = ht[size], hv[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        c = left
        if left + 1 < size and ht[left + 1] < ht[left]:
            c = left + 1
        if ht[i] <= ht[c]:
            break
        ht[c], ht[i] = ht[i], ht[c]
        hv[c], hv[i] = hv[i], hv[c]
        i = c
    return t, v, size


@numba.njit(cache=True)
def _exponential(rate):
    """An exponential draw by inversion (Numba's own exponential is ten times slower)."""
    return -np.log(1.0 - np.random.random()) / rate


@numba.njit(cache=True)
def _advance(start, delay, windows):
    """The time at which ``delay`` seconds of running clock have passed since ``start``."""
    cur = start
    remaining = delay
    for k in range(windows.shape[0]):
        ws, we = windows[k, 0], windows[k, 1]
        if we <= cur:
            continue
        if cur + remaining <= ws:
            break
        if cur < ws:
            remaining -= ws - cur
        cur = max(cur, we)
    return cur + remaining


@numba.njit(parallel=True, cache=True)
def _ensemble(
    seeds, indptr, indices, weights, tau, gamma, latent, initial, iso, quar, quar_s, windows, n_days
):
    runs = len(seeds)
    sizes = np.zeros(runs, np.int64)
    series = np.zeros((runs, N_SERIES, n_days), np.int32)
    for r in numba.prange(runs):
        sizes[r] = _run(
            seeds[r],
            indptr,
            indices,
            weights,
            tau,
            gamma,
            latent,
            initial,
            iso,
            quar,
            quar_s,
            windows,
            series[r],
        )
    return sizes, series


@numba.njit(cache=True)
def _run(
    seed, indptr, indices, weights, tau, gamma, latent, initial, iso, quar, quar_s, windows, out
):
    np.random.seed(seed)
    n = len(indptr) - 1
    pred = np.full(n, np.inf)
    src = np.full(n, -1, np.int64)
    t_inf = np.full(n, np.inf)
    t_rec = np.full(n, np.inf)
    found = np.full(n, np.inf)
    quarantined = np.full(n, np.inf)
    cap = len(indices) + len(initial) + 1
    ht = np.empty(cap)
    hv = np.empty(cap, np.int64)
    size = 0
    for v in initial:
        if pred[v] > 0.0:
            pred[v] = 0.0
            size = _push(ht, hv, size, 0.0, v)
    infected = 0
    isolating = iso[0] > 0
    tracing = quar[0] > 0
    while size > 0:
        t, u, size = _pop(ht, hv, size)
        if t_inf[u] < np.inf or t > pred[u]:
            continue
        infected += 1
        t_inf[u] = t
        t_is = t + latent
        rec = t_is + _exponential(gamma)
        t_rec[u] = rec
        stop = rec
        if isolating and np.random.random() < iso[0]:
            tf = t_is + iso[1]
            if iso[2] <= tf < iso[3] and tf < rec:
                found[u] = tf
                stop = tf
        if tracing and src[u] >= 0 and found[src[u]] < np.inf and np.random.random() < quar[0]:
            tq = found[src[u]] + quar[1]
            if quar[2] <= tq < quar[3] and tq < found[u]:
                quarantined[u] = tq
                stop = min(stop, tq)
        if tau <= 0:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            if t_inf[v] < np.inf:
                continue
            delay = _exponential(tau * weights[k])
            ttx = t_is + delay if windows.shape[0] == 0 else _advance(t_is, delay, windows)
            if ttx < stop and ttx < pred[v]:
                pred[v] = ttx
                src[v] = u
                size = _push(ht, hv, size, ttx, v)
    if out.shape[1] > 0:
        never = np.full(n, np.inf)
        daily_counts(out, 0.0, t_inf, t_rec, found, quarantined, never, quar_s, 0.0)
    return infected
