# mypy: allow-untyped-defs
"""Event-driven stochastic SEIR on a temporal contact network, with interventions as masks.

Contacts are parallel arrays ``a, b, start, end, weight, route`` (and optionally ``gathering``):
the contacts cordon derived or recorded. A contact passes infection from an infectious person
v to a susceptible u at ``t = max(start, v's infectious start)`` if ``t`` falls before the
contact ends, before v recovers and before v is isolated, quarantined or gone, with probability
``1 - (1 - p_route) ** weight``. With quarantine on, each contact of a case in the look-back
before its isolation is traced (the partner quarantined unless already), and nobody transmits or
is infected while quarantined. Contacts are visited in time order once each; an earlier infection
replaces a later one, which makes the result exact when every contact is shorter than the latent
period (contacts are minutes to hours, latency is days).

Beyond the observed days the network is extended by replaying observed days drawn at random
(``resample=True``), each day's contacts shifted to the simulated day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from cordon.engine.simulate.common import (
    DAY,
    N_SERIES,
    NaturalHistory,
    Seeds,
    course,
    daily_counts,
    draw_person,
)
from cordon.engine.simulate.interventions import Controls
from cordon.errors import EngineError

__all__ = ["TemporalContacts", "TemporalModel", "moratorium_mask"]


@dataclass(frozen=True)
class TemporalContacts:
    """Contacts between nodes 0..n_nodes-1 over time (seconds), grouped by day from ``origin``."""

    a: np.ndarray
    b: np.ndarray
    start: np.ndarray
    end: np.ndarray
    weight: np.ndarray
    route: np.ndarray
    gathering: np.ndarray
    day_ptr: np.ndarray
    """Contacts of day d (from ``origin``) are rows ``day_ptr[d]:day_ptr[d + 1]``."""
    origin: float
    n_nodes: int

    @classmethod
    def build(
        cls,
        a: np.ndarray,
        b: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        *,
        weight: np.ndarray | None = None,
        route: np.ndarray | None = None,
        gathering: np.ndarray | None = None,
        origin: float | None = None,
        n_nodes: int | None = None,
    ) -> TemporalContacts:
        """Validate and sort contacts by start, grouped by day (``origin``: the first midnight)."""
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        start = np.asarray(start, np.float64)
        end = np.asarray(end, np.float64)
        n = len(a)
        weight = np.ones(n) if weight is None else np.asarray(weight, np.float64)
        route = np.zeros(n, np.int64) if route is None else np.asarray(route, np.int64)
        gathering = np.zeros(n, np.bool_) if gathering is None else np.asarray(gathering, bool)
        if not all(len(x) == n for x in (b, start, end, weight, route, gathering)):
            raise EngineError("contact arrays must have the same length")
        if n and (np.any(end < start) or a.min() < 0 or b.min() < 0 or np.any(weight < 0)):
            raise EngineError("contacts need end >= start, ids >= 0 and weights >= 0")
        if n_nodes is None:
            n_nodes = int(max(a.max(), b.max())) + 1 if n else 0
        if n and max(a.max(), b.max()) >= n_nodes:
            raise EngineError("a contact names a node beyond n_nodes")
        if origin is None:
            origin = float(np.floor(start.min() / DAY) * DAY) if n else 0.0
        if n and start.min() < origin:
            raise EngineError("a contact starts before the origin")
        order = np.argsort(start, kind="stable")
        day = ((start[order] - origin) // DAY).astype(np.int64)
        n_days = int(day.max()) + 1 if n else 0
        day_ptr = np.zeros(n_days + 1, np.int64)
        np.cumsum(np.bincount(day, minlength=n_days), out=day_ptr[1:])
        return cls(
            a[order],
            b[order],
            start[order],
            end[order],
            weight[order],
            route[order],
            gathering[order],
            day_ptr,
            float(origin),
            int(n_nodes),
        )

    @property
    def n_days(self) -> int:
        """Observed days (the last may be partial)."""
        return len(self.day_ptr) - 1


@dataclass(frozen=True)
class TemporalModel:
    """One simulation set-up: contacts, natural history, interventions, seeds and horizon."""

    contacts: TemporalContacts
    history: NaturalHistory
    controls: Controls
    seeds: Seeds
    t0: float
    days: int
    resample: bool = True
    """Replay observed days drawn at random (True) or the observed days in order (False)."""

    def simulate(self, seeds: np.ndarray) -> np.ndarray:
        """Daily series (runs x N_SERIES x days) for each run seed, runs in parallel."""
        c, h, k = self.contacts, self.history, self.controls
        if c.n_days == 0 and len(c.a):
            raise EngineError("no contact days to replay")
        p = np.asarray(h.transmission, np.float64)
        if len(c.route) and (c.route.max() >= len(p) or c.route.min() < 0):
            raise EngineError("a contact has a route code without a transmission probability")
        prob = 1.0 - (1.0 - p[c.route]) ** c.weight
        node, infected_at, found_at, departed_at = self.seeds.arrays()
        if len(node) and (node.min() < 0 or node.max() >= c.n_nodes):
            raise EngineError("a seed names a node that is not in the contact network")
        out: np.ndarray = _ensemble(
            np.asarray(seeds, np.int64),
            c.n_nodes,
            c.a,
            c.b,
            c.start,
            c.end,
            prob,
            c.route,
            c.gathering,
            c.day_ptr,
            c.origin,
            float(self.t0),
            int(self.days),
            self.resample,
            node,
            infected_at,
            found_at,
            departed_at,
            h.latent_s,
            h.infectious_s,
            h.shape,
            h.egress_probability,
            h.clearance_s,
            k.isolation,
            k.quarantine,
            k.quarantine_s,
            k.moratorium,
            k.hold,
        )
        return out


def moratorium_mask(contacts: TemporalContacts, moratorium: np.ndarray) -> np.ndarray:
    """Which contacts (in the stored order) the moratorium rows suspend: the kernels' rule."""
    return np.array(
        [
            _suspended(contacts.start[i], contacts.route[i], contacts.gathering[i], moratorium)
            for i in range(len(contacts.a))
        ],
        dtype=bool,
    )


@numba.njit(cache=True)
def _suspended(s: float, route: int, gathering: bool, mor: np.ndarray) -> bool:
    for m in range(mor.shape[0]):
        in_window = mor[m, 0] <= s < mor[m, 1]
        if in_window and (mor[m, 2] < 0 or mor[m, 2] == route) and (mor[m, 3] == 0 or gathering):
            return True
    return False


@numba.njit(parallel=True, cache=True)
def _ensemble(
    seeds,
    n,
    ca,
    cb,
    cs,
    ce,
    cp,
    cr,
    cg,
    day_ptr,
    origin,
    t0,
    n_days,
    resample,
    s_node,
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
):
    out = np.zeros((len(seeds), N_SERIES, n_days), np.int32)
    for r in numba.prange(len(seeds)):
        out[r] = _run(
            seeds[r],
            n,
            ca,
            cb,
            cs,
            ce,
            cp,
            cr,
            cg,
            day_ptr,
            origin,
            t0,
            n_days,
            resample,
            s_node,
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
        )
    return out


@numba.njit(cache=True)
def _run(
    seed,
    n,
    ca,
    cb,
    cs,
    ce,
    cp,
    cr,
    cg,
    day_ptr,
    origin,
    t0,
    n_days,
    resample,
    s_node,
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
):
    np.random.seed(seed)
    t_inf = np.full(n, np.inf)
    t_is = np.full(n, np.inf)
    t_ie = np.full(n, np.inf)
    found = np.full(n, np.inf)
    quarantined = np.full(n, np.inf)
    left = np.full(n, np.inf)
    blocked = np.full(n, np.inf)
    draws = np.full((n, 6), np.nan)
    for i in range(len(s_node)):
        u = s_node[i]
        _infect(
            u,
            s_time[i],
            np.inf,
            draws,
            lat,
            inf,
            shape,
            egress_p,
            iso,
            quar,
            hold,
            t_inf,
            t_is,
            t_ie,
            found,
            quarantined,
            left,
            blocked,
        )
        if not np.isnan(s_found[i]):
            found[u] = s_found[i]
        if not np.isnan(s_left[i]):
            left[u] = s_left[i]
        blocked[u] = min(found[u], quarantined[u], left[u])
    traced = np.full(n, np.inf)
    tracing = quar[0] > 0
    n_src = len(day_ptr) - 1
    first_day = int(np.floor((t0 - origin) / DAY))
    for k in range(n_days):
        if resample:
            src = np.random.randint(0, n_src) if n_src > 0 else 0
        else:
            src = first_day + k
            if src < 0 or src >= n_src:
                continue
        shift = (first_day + k - src) * DAY if resample else 0.0
        if n_src == 0:
            continue
        for c in range(day_ptr[src], day_ptr[src + 1]):
            s = cs[c] + shift
            e = ce[c] + shift
            if s < t0 or _suspended(s, cr[c], cg[c], mor):
                continue
            for direction in range(2):
                v = ca[c] if direction == 0 else cb[c]
                u = cb[c] if direction == 0 else ca[c]
                if t_inf[v] == np.inf:
                    continue
                if tracing and found[v] - quar[4] <= s < found[v]:
                    tq = found[v] + quar[1]
                    if quar[2] <= tq < quar[3] and tq < traced[u] and np.random.random() < quar[0]:
                        traced[u] = tq
                t = max(s, t_is[v])
                open_ = t < e and t < t_ie[v] and t < blocked[v] and t < t_inf[u]
                open_ = open_ and not (traced[v] <= t < traced[v] + quar_s)
                open_ = open_ and not (traced[u] <= t < traced[u] + quar_s)
                if open_ and np.random.random() < cp[c]:
                    _infect(
                        u,
                        t,
                        found[v],
                        draws,
                        lat,
                        inf,
                        shape,
                        egress_p,
                        iso,
                        quar,
                        hold,
                        t_inf,
                        t_is,
                        t_ie,
                        found,
                        quarantined,
                        left,
                        blocked,
                    )
    out = np.zeros((N_SERIES, n_days), np.int32)
    quarantined = np.minimum(quarantined, traced)
    daily_counts(out, t0, t_inf, t_ie, found, quarantined, left, quar_s, clear_s)
    return out


@numba.njit(cache=True)
def _infect(
    u,
    t,
    infector_found,
    draws,
    lat,
    inf,
    shape,
    egress_p,
    iso,
    quar,
    hold,
    t_inf,
    t_is,
    t_ie,
    found,
    quarantined,
    left,
    blocked,
):
    if np.isnan(draws[u, 0]):
        d_lat, d_inf = draw_person(lat, inf, shape)
        draws[u, 0] = d_lat
        draws[u, 1] = d_inf
        for j in range(2, 6):
            draws[u, j] = np.random.random()
    t_inf[u] = t
    t_is[u], t_ie[u], found[u], quarantined[u], left[u] = course(
        t,
        draws[u, 0],
        draws[u, 1],
        draws[u, 2],
        draws[u, 3],
        draws[u, 4],
        draws[u, 5],
        infector_found,
        egress_p,
        iso,
        quar,
        hold,
    )
    blocked[u] = min(found[u], quarantined[u], left[u])
