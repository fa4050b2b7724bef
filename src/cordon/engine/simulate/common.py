"""What the simulation kernels share: natural history, seeds, the per-person course of infection
and the daily counts every kernel returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from cordon.errors import EngineError

__all__ = [
    "N_SERIES",
    "SERIES",
    "NaturalHistory",
    "Seeds",
    "course",
    "daily_counts",
    "draw_person",
    "run_seeds",
]

DAY = 86_400.0
SERIES = ("infected", "confirmed", "isolated", "quarantined", "departed")
"""The rows of every kernel's output: new infections, new confirmations, isolated at day end,
quarantined at day end, new departures from the facility."""
N_SERIES = len(SERIES)


@dataclass(frozen=True)
class NaturalHistory:
    """Latent and infectious periods (gamma with ``shape``, fixed when 0), the per-exposure
    transmission probability of each route code, and the chance a free case leaves the facility."""

    latent_s: float = 2 * DAY
    infectious_s: float = 7 * DAY
    shape: float = 4.0
    transmission: np.ndarray = field(default_factory=lambda: np.array([0.5, 0.05, 0.01]))
    egress_probability: float = 0.0
    clearance_s: float = 0.0
    """How long an isolated case keeps its bed after recovering (until cleared by tests)."""

    def __post_init__(self) -> None:
        if self.latent_s < 0 or self.infectious_s <= 0 or self.shape < 0:
            raise EngineError("latent >= 0, infectious > 0 and shape >= 0 are required")
        p = np.asarray(self.transmission, dtype=np.float64)
        if np.any(p < 0) or np.any(p > 1):
            raise EngineError("transmission probabilities must be in [0, 1]")
        if not 0 <= self.egress_probability <= 1:
            raise EngineError("the egress probability must be in [0, 1]")


@dataclass(frozen=True)
class Seeds:
    """Who is infected when the simulation starts: node, infection time, and when they were
    found (isolated) and departed, NaN where the simulation should draw it, inf for never."""

    node: np.ndarray
    infected_at: np.ndarray
    found_at: np.ndarray | None = None
    departed_at: np.ndarray | None = None
    chance: np.ndarray | None = None
    """Probability that each seed is infected at all (exposed contacts); None: all are."""

    def chances(self) -> np.ndarray:
        """The chance of each seed, 1 where not given."""
        if self.chance is None:
            return np.ones(len(self.node))
        chance = np.asarray(self.chance, np.float64)
        if len(chance) != len(self.node) or np.any((chance < 0) | (chance > 1)):
            raise EngineError("seed chances must be probabilities, one per seed")
        return chance

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The four arrays, with NaN filled in where not given."""
        n = len(self.node)
        nan = np.full(n, np.nan)
        found = nan if self.found_at is None else np.asarray(self.found_at, np.float64)
        gone = nan if self.departed_at is None else np.asarray(self.departed_at, np.float64)
        if not (len(self.infected_at) == len(found) == len(gone) == n):
            raise EngineError("seed arrays must have the same length")
        return (
            np.asarray(self.node, np.int64),
            np.asarray(self.infected_at, np.float64),
            found,
            gone,
        )


def run_seeds(seed: int | None, runs: int) -> np.ndarray:
    """One distinct 32-bit seed per run, derived from one ``SeedSequence``.

    Examples
    --------
    >>> run_seeds(1, 3).tolist() == run_seeds(1, 3).tolist()
    True
    """
    children = np.random.SeedSequence(seed).spawn(runs)
    return np.array([c.generate_state(1, np.uint32)[0] for c in children], dtype=np.int64)


@numba.njit(cache=True)
def draw_person(mean_latent: float, mean_infectious: float, shape: float) -> tuple[float, float]:
    """Latent and infectious durations of one person."""
    if shape <= 0:
        return mean_latent, mean_infectious
    lat = np.random.gamma(shape, mean_latent / shape) if mean_latent > 0 else 0.0
    return lat, np.random.gamma(shape, mean_infectious / shape)


@numba.njit(cache=True)
def _in_hold(t: float, hold: np.ndarray) -> bool:
    inside = False
    for h in range(hold.shape[0]):
        inside = inside or hold[h, 0] <= t < hold[h, 1]
    return inside


@numba.njit(cache=True)
def course(
    t: float,
    d_lat: float,
    d_inf: float,
    r_found: float,
    r_leave: float,
    f_leave: float,
    r_trace: float,
    infector_found: float,
    egress_p: float,
    iso: np.ndarray,
    quar: np.ndarray,
    hold: np.ndarray,
) -> tuple[float, float, float, float, float]:
    """Infectious start and end, isolation, quarantine and departure times of a person infected
    at ``t`` (inf for what does not happen), given their random draws and their infector's
    isolation time."""
    t_is = t + d_lat
    t_ie = t_is + d_inf
    found = np.inf
    if r_found < iso[0]:
        tf = t_is + iso[1]
        if iso[2] <= tf < iso[3] and tf < t_ie:
            found = tf
    quarantined = np.inf
    if infector_found < np.inf and r_trace < quar[0]:
        tq = infector_found + quar[1]
        if quar[2] <= tq < quar[3] and tq < found:
            quarantined = tq
    left = np.inf
    if r_leave < egress_p:
        td = t + f_leave * (d_lat + d_inf)
        if td < found and td < quarantined and not _in_hold(td, hold):
            left = td
    return t_is, t_ie, found, quarantined, left


@numba.njit(cache=True)
def daily_counts(
    out: np.ndarray,
    t0: float,
    t_inf: np.ndarray,
    t_ie: np.ndarray,
    found: np.ndarray,
    quarantined: np.ndarray,
    left: np.ndarray,
    quarantine_s: float,
    clearance_s: float,
) -> None:
    """Fill ``out`` (N_SERIES x days) from per-person times; occupancy is counted at day end."""
    n_days = out.shape[1]
    for u in range(len(t_inf)):
        if t_inf[u] == np.inf and quarantined[u] == np.inf:
            continue
        for row, t in ((0, t_inf[u]), (1, found[u]), (4, left[u])):
            if t < np.inf:
                d = int(np.floor((t - t0) / DAY))
                if 0 <= d < n_days:
                    out[row, d] += 1
        for d in range(n_days):
            end = t0 + (d + 1) * DAY
            if found[u] <= end < max(t_ie[u], found[u]) + clearance_s:
                out[2, d] += 1
            elif quarantined[u] <= end < min(found[u], quarantined[u] + quarantine_s):
                out[3, d] += 1
