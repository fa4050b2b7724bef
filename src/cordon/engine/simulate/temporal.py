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
(``resample=True``), each day's contacts shifted to the simulated day. A replayed contact whose
``b`` side belongs to a partner pool (``pool >= 0``) meets a partner drawn afresh from that pool
(for example: a visiting crew member's intimate contact with a performer meets another performer
tomorrow), so replayed days keep who mixes with which group without repeating the same pairs.
Seeds may be infected only with a chance (an exposed contact of a case): each run draws them.
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
    pool: np.ndarray
    """Per contact: the partner pool its ``b`` side is redrawn from on replayed days (-1: none)."""
    pool_ptr: np.ndarray
    """Members of pool p are ``pool_nodes[pool_ptr[p]:pool_ptr[p + 1]]``."""
    pool_nodes: np.ndarray

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
        pool: np.ndarray | None = None,
        pools: list[np.ndarray] | None = None,
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
        pool = np.full(n, -1, np.int64) if pool is None else np.asarray(pool, np.int64)
        members = [np.asarray(m, np.int64) for m in pools or []]
        if len(pool) and (pool.max() >= len(members) or any(len(m) == 0 for m in members)):
            raise EngineError("a contact names a partner pool that is missing or empty")
        pool_ptr = np.zeros(len(members) + 1, np.int64)
        np.cumsum([len(m) for m in members], out=pool_ptr[1:])
        pool_nodes = np.concatenate(members) if members else np.zeros(0, np.int64)
        if not all(len(x) == n for x in (b, start, end, weight, route, gathering, pool)):
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
            pool[order],
            pool_ptr,
            pool_nodes,
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
    replays: int = 1
    """Observed days replayed per simulated day when resampling: contact intensity (the service
    calibrates it to the observed growth when the record holds fewer contacts than happened)."""
    scheduled: TemporalContacts | None = None
    """Contacts already planned inside the horizon (scheduled gatherings): visited on their own
    day in every run, besides the replayed ones."""

    def _combined(self) -> tuple[TemporalContacts, np.ndarray]:
        """The replayed contacts followed by the scheduled ones, and per simulated day the rows
        of its scheduled contacts (``sched_ptr[k]:sched_ptr[k + 1]``)."""
        c, extra = self.contacts, self.scheduled
        n = len(c.a)
        if extra is None or len(extra.a) == 0:
            return c, np.full(self.days + 1, n, np.int64)
        day = np.floor((extra.start - self.t0) / DAY).astype(np.int64)
        keep = (day >= 0) & (day < self.days)
        ptr = np.zeros(self.days + 1, np.int64)
        np.cumsum(np.bincount(day[keep], minlength=self.days), out=ptr[1:])
        order = np.flatnonzero(keep)[np.argsort(day[keep], kind="stable")]
        if extra.n_nodes > c.n_nodes:
            raise EngineError("a scheduled contact names a node beyond the network")

        def join(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.concatenate([x, y[order]])

        both = TemporalContacts(
            join(c.a, extra.a),
            join(c.b, extra.b),
            join(c.start, extra.start),
            join(c.end, extra.end),
            join(c.weight, extra.weight),
            join(c.route, extra.route),
            join(c.gathering, extra.gathering),
            c.day_ptr,
            c.origin,
            c.n_nodes,
            np.concatenate([c.pool, np.full(len(order), -1, np.int64)]),
            c.pool_ptr,
            c.pool_nodes,
        )
        return both, n + ptr

    def simulate(self, seeds: np.ndarray) -> np.ndarray:
        """Daily series (runs x N_SERIES x days) for each run seed, runs in parallel."""
        c, sched_ptr = self._combined()
        h, k = self.history, self.controls
        if self.contacts.n_days == 0 and len(self.contacts.a):
            raise EngineError("no contact days to replay")
        p = np.asarray(h.transmission, np.float64)
        if len(c.route) and (c.route.max() >= len(p) or c.route.min() < 0):
            raise EngineError("a contact has a route code without a transmission probability")
        prob = 1.0 - (1.0 - p[c.route]) ** c.weight
        node, infected_at, found_at, departed_at = self.seeds.arrays()
        chance = self.seeds.chances()
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
            c.pool,
            c.pool_ptr,
            c.pool_nodes,
            sched_ptr,
            int(self.replays),
            c.origin,
            float(self.t0),
            int(self.days),
            self.resample,
            node,
            infected_at,
            found_at,
            departed_at,
            chance,
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
    pool,
    pool_ptr,
    pool_nodes,
    sched_ptr,
    replays,
    origin,
    t0,
    n_days,
    resample,
    s_node,
    s_time,
    s_found,
    s_left,
    s_chance,
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
            pool,
            pool_ptr,
            pool_nodes,
            sched_ptr,
            replays,
            origin,
            t0,
            n_days,
            resample,
            s_node,
            s_time,
            s_found,
            s_left,
            s_chance,
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
    pool,
    pool_ptr,
    pool_nodes,
    sched_ptr,
    replays,
    origin,
    t0,
    n_days,
    resample,
    s_node,
    s_time,
    s_found,
    s_left,
    s_chance,
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
        if s_chance[i] < 1.0 and np.random.random() >= s_chance[i]:
            continue
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
        for rep in range(replays + 1):
            lo, hi, shift, redraw = sched_ptr[k], sched_ptr[k + 1], 0.0, False
            if rep < replays and resample:
                if n_src == 0:
                    continue
                src = np.random.randint(0, n_src)
                lo, hi, redraw = day_ptr[src], day_ptr[src + 1], True
                shift = (first_day + k - src) * DAY
            elif rep < replays:
                if rep > 0 or not 0 <= first_day + k < n_src:
                    continue
                lo, hi = day_ptr[first_day + k], day_ptr[first_day + k + 1]
            _visit_day(
                lo, hi, shift, redraw, t0, ca, cb, cs, ce, cp, cr, cg, pool, pool_ptr,
                pool_nodes, mor, quar, quar_s, tracing, traced, draws, lat, inf, shape,
                egress_p, iso, hold, t_inf, t_is, t_ie, found, quarantined, left, blocked,
            )  # fmt: skip
    out = np.zeros((N_SERIES, n_days), np.int32)
    quarantined = np.minimum(quarantined, traced)
    daily_counts(out, t0, t_inf, t_ie, found, quarantined, left, quar_s, clear_s)
    return out


@numba.njit(cache=True)
def _visit_day(
    lo, hi, shift, redraw, t0, ca, cb, cs, ce, cp, cr, cg, pool, pool_ptr, pool_nodes, mor,
    quar, quar_s, tracing, traced, draws, lat, inf, shape, egress_p, iso, hold, t_inf, t_is,
    t_ie, found, quarantined, left, blocked,
):  # fmt: skip
    """Visit contacts ``lo:hi`` shifted by ``shift`` (partners redrawn when ``redraw``)."""
    for c in range(lo, hi):
        s = cs[c] + shift
        e = ce[c] + shift
        if s < t0 or _suspended(s, cr[c], cg[c], mor):
            continue
        partner = cb[c]
        if redraw and pool[c] >= 0:
            first, last = pool_ptr[pool[c]], pool_ptr[pool[c] + 1]
            partner = pool_nodes[first + np.random.randint(0, last - first)]
            if partner == ca[c]:
                continue
        for direction in range(2):
            v = ca[c] if direction == 0 else partner
            u = partner if direction == 0 else ca[c]
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
                    u, t, found[v], draws, lat, inf, shape, egress_p, iso, quar, hold, t_inf,
                    t_is, t_ie, found, quarantined, left, blocked,
                )  # fmt: skip


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
