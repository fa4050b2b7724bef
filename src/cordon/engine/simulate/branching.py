# mypy: allow-untyped-defs
"""A branching process for when no contact network is known: each case infects a negative
binomial number of others (mean R, dispersion k) at times spread uniformly over its infectious
period, in a population of N that depletes. Interventions act as on the networks: isolation and
quarantine end a case's infectious period, and a moratorium removes the share of transmission
that goes by the routes it suspends (``route_share``) within its window."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from cordon.engine.simulate.common import N_SERIES, NaturalHistory, Seeds, course, daily_counts
from cordon.engine.simulate.interventions import Controls
from cordon.engine.simulate.static import _pop, _push
from cordon.errors import EngineError

__all__ = ["BranchingModel"]


@dataclass(frozen=True)
class BranchingModel:
    """Offspring mean ``r``, dispersion ``k`` (0: Poisson), population ``population``."""

    r: float
    history: NaturalHistory
    controls: Controls
    seeds: Seeds
    population: int
    t0: float
    days: int
    k: float = 0.0
    route_share: np.ndarray | None = None
    """Share of transmission by each route code (default: all by route 0)."""
    gathering_share: float = 0.0
    """Share of transmission at gatherings."""

    def simulate(self, seeds: np.ndarray) -> np.ndarray:
        """Daily series (runs x N_SERIES x days) for each run seed."""
        if self.r < 0 or self.k < 0 or self.population < 1:
            raise EngineError("R >= 0, k >= 0 and a population of at least 1 are required")
        share = np.array([1.0]) if self.route_share is None else np.asarray(self.route_share)
        _, infected_at, found_at, departed_at = self.seeds.arrays()
        h, c = self.history, self.controls
        out: np.ndarray = _ensemble(
            np.asarray(seeds, np.int64),
            self.r,
            self.k,
            self.population,
            self.t0,
            self.days,
            infected_at,
            found_at,
            departed_at,
            h.latent_s,
            h.infectious_s,
            h.shape,
            h.egress_probability,
            h.clearance_s,
            c.isolation,
            c.quarantine,
            c.quarantine_s,
            c.moratorium,
            c.hold,
            share.astype(np.float64),
            float(self.gathering_share),
        )
        return out


@numba.njit(parallel=True, cache=True)
def _ensemble(
    seeds,
    r,
    k,
    population,
    t0,
    n_days,
    s_time,
    s_found,
    s_left,
    lat,
    inf,
    shape,
    egress_p,
    clear_s,
    iso,
    quar,
    quar_s,
    mor,
    hold,
    share,
    g_share,
):
    out = np.zeros((len(seeds), N_SERIES, n_days), np.int32)
    for i in numba.prange(len(seeds)):
        out[i] = _run(
            seeds[i],
            r,
            k,
            population,
            t0,
            n_days,
            s_time,
            s_found,
            s_left,
            lat,
            inf,
            shape,
            egress_p,
            clear_s,
            iso,
            quar,
            quar_s,
            mor,
            hold,
            share,
            g_share,
        )
    return out


@numba.njit(cache=True)
def _kept(t, mor, share, g_share):
    """Whether a transmission at ``t`` survives the moratoria in force then."""
    suspended = 0.0
    for m in range(mor.shape[0]):
        if mor[m, 0] <= t < mor[m, 1]:
            part = (
                1.0 if mor[m, 2] < 0 else (share[int(mor[m, 2])] if mor[m, 2] < len(share) else 0.0)
            )
            if mor[m, 3] > 0:
                part *= g_share
            suspended += part
    return np.random.random() >= min(suspended, 1.0)


@numba.njit(cache=True)
def _run(
    seed,
    r,
    k,
    population,
    t0,
    n_days,
    s_time,
    s_found,
    s_left,
    lat,
    inf,
    shape,
    egress_p,
    clear_s,
    iso,
    quar,
    quar_s,
    mor,
    hold,
    share,
    g_share,
):
    np.random.seed(seed)
    n = population
    room = min(n, 256 + 4 * len(s_time))
    people = np.full((5, room), np.inf)  # infected, recovered, found, quarantined, left
    cap = 1024 + len(s_time)
    ht = np.empty(cap)
    hv = np.empty(cap, np.int64)
    queue_parent = np.full(cap, -1, np.int64)
    size = 0
    count = 0
    n_events = 0
    for i in range(min(len(s_time), n)):
        size = _push(ht, hv, size, s_time[i], -1 - i)
    horizon = t0 + n_days * 86_400.0
    while size > 0 and count < n:
        t, tag, size = _pop(ht, hv, size)
        if t >= horizon:
            break
        if tag < 0:
            parent = -1
            seed_i = -1 - tag
        else:
            parent = queue_parent[tag]
            seed_i = -1
            if np.random.random() >= (n - count) / n:
                continue
        j = count
        count += 1
        if j >= people.shape[1]:
            bigger = np.full((5, min(n, 2 * people.shape[1])), np.inf)
            bigger[:, : people.shape[1]] = people
            people = bigger
        t_inf, t_ie, found = people[0], people[1], people[2]
        quarantined, left = people[3], people[4]
        from_found = found[parent] if parent >= 0 else np.inf
        d_lat, d_inf = _durations(lat, inf, shape)
        t_is, t_ie[j], found[j], quarantined[j], left[j] = course(
            t,
            d_lat,
            d_inf,
            np.random.random(),
            np.random.random(),
            np.random.random(),
            np.random.random(),
            from_found,
            egress_p,
            iso,
            quar,
            hold,
        )
        t_inf[j] = t
        if seed_i >= 0:
            if not np.isnan(s_found[seed_i]):
                found[j] = s_found[seed_i]
            if not np.isnan(s_left[seed_i]):
                left[j] = s_left[seed_i]
        stop = min(t_ie[j], found[j], quarantined[j], left[j])
        nu = r if k <= 0 else np.random.gamma(k, r / k)
        for _ in range(np.random.poisson(nu)):
            tc = t_is + np.random.random() * d_inf
            if tc < t0 or tc >= stop or not _kept(tc, mor, share, g_share):
                continue
            if size >= len(ht) or n_events >= len(queue_parent):
                ht = _grown(ht)
                hv = _grown(hv)
                queue_parent = _grown(queue_parent)
            queue_parent[n_events] = j
            size = _push(ht, hv, size, tc, n_events)
            n_events += 1
    out = np.zeros((N_SERIES, n_days), np.int32)
    daily_counts(
        out,
        t0,
        people[0, :count],
        people[1, :count],
        people[2, :count],
        people[3, :count],
        people[4, :count],
        quar_s,
        clear_s,
    )
    return out


@numba.njit(cache=True)
def _durations(lat, inf, shape):
    if shape <= 0:
        return lat, inf
    d_lat = np.random.gamma(shape, lat / shape) if lat > 0 else 0.0
    return d_lat, np.random.gamma(shape, inf / shape)


@numba.njit(cache=True)
def _grown(a):
    bigger = np.empty(2 * len(a), a.dtype)
    bigger[: len(a)] = a
    return bigger
