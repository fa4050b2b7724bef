"""Rt for a fleet: 1000 series of 365 days at once, against the closed form day by day.

Run: ``.venv/bin/python -m bench rt_batch``. The batch runs ``estimate_rt`` (Cori et al. 2013,
7-day windows, gamma prior mean 5 sd 5, serial interval mean 4.7 sd 2.9 days); the peer is the
closed form evaluated with ``scipy.stats.gamma`` for every series and day. Reports the batch time
(best of 5, wall and CPU) and the largest relative difference of means and 2.5%/97.5% quantiles.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import stats

from cordon.engine.rt import discretise_si, estimate_rt


def main() -> None:
    """Print the timing and the agreement."""
    rng = np.random.default_rng(2013)
    days = np.arange(365)
    level = rng.uniform(5, 200, size=(1000, 1)) * (
        1.5 + np.sin(days / rng.uniform(20, 60, (1000, 1)))
    )
    incidence = rng.poisson(level)
    si = discretise_si(4.7, 2.9)
    estimate_rt(incidence[:2], si)  # compile
    walls, cpus = [], []
    for _ in range(5):
        w0, c0 = time.perf_counter(), time.process_time()
        est = estimate_rt(incidence, si, window=7, prior_mean=5, prior_sd=5, cv_posterior=None)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    began = time.perf_counter()
    pressure = np.zeros(incidence.shape)
    for s in range(1, len(si)):
        pressure[:, s:] += si[s] * incidence[:, :-s]
    shape = np.empty(est.shape.shape)
    rate = np.empty(est.shape.shape)
    for k, end in enumerate(est.end_day):
        shape[:, k] = 1 + incidence[:, end - 6 : end + 1].sum(axis=1)
        rate[:, k] = 1 / 5 + pressure[:, end - 6 : end + 1].sum(axis=1)
    mean = shape / rate
    low = stats.gamma.ppf(0.025, shape, scale=1 / rate)
    high = stats.gamma.ppf(0.975, shape, scale=1 / rate)
    peer = time.perf_counter() - began

    def worst(ours: np.ndarray, theirs: np.ndarray) -> float:
        return float(np.max(np.abs(ours - theirs) / np.abs(theirs)))

    print(f"1000 series x 365 days, window 7, serial interval of {len(si)} days")
    print(f"cordon batch: {min(walls) * 1e3:.1f} ms wall (best of 5), {min(cpus) * 1e3:.1f} ms CPU")
    print(
        f"closed form with scipy.stats.gamma, series by day: {peer * 1e3:.0f} ms "
        f"({peer / min(walls):.0f}x)"
    )
    print(
        f"largest relative difference: mean {worst(est.mean, mean):.1e}, "
        f"2.5% {worst(est.low, low):.1e}, 97.5% {worst(est.high, high):.1e}"
    )
