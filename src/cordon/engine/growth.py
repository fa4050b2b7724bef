"""Exponential growth rate and doubling time by Poisson regression of daily counts on time.

Fits ``log E[cases_t] = a + r t`` by maximum likelihood (Newton-Raphson on the Poisson
log-likelihood), with a Wald interval for ``r`` widened by the Pearson dispersion when the counts
are more variable than Poisson (quasi-Poisson). The doubling time is ``log 2 / r``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cordon.errors import EngineError

__all__ = ["Growth", "fit_growth"]

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Growth:
    """Growth rate per day with its 95% interval, and the doubling time it implies (days)."""

    rate: float
    rate_low: float
    rate_high: float
    doubling: float
    """Days to double; infinite when not growing, negative when shrinking (halving time)."""
    doubling_low: float
    doubling_high: float
    """Infinite when the interval of the rate reaches zero or below (no evidence of growth)."""
    dispersion: float
    """Pearson chi-square over degrees of freedom (1 means Poisson; above widens the interval)."""
    days: int
    cases: int

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain values for JSON (infinities as None)."""
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in self.__dict__.items()
        }


def _doubling(rate: float) -> float:
    return math.inf if rate == 0 else math.log(2) / rate


def fit_growth(cases: np.ndarray, *, days: np.ndarray | None = None) -> Growth:
    """Poisson regression of ``cases`` on ``days`` (0, 1, ... by default).

    Examples
    --------
    >>> g = fit_growth(np.array([1, 1, 2, 4, 8]))
    >>> round(g.rate, 2), g.doubling_low < 1 < g.doubling_high
    (0.61, True)
    """
    y = np.asarray(cases, dtype=np.float64)
    t = np.arange(len(y), dtype=np.float64) if days is None else np.asarray(days, np.float64)
    if len(y) != len(t):
        raise EngineError("cases and days must have the same length")
    if len(y) < 3:
        raise EngineError(f"a growth rate needs at least 3 days of counts, got {len(y)}")
    if np.any(y < 0) or not np.all(np.isfinite(y)):
        raise EngineError("counts must be finite and not negative")
    if np.count_nonzero(y) < 2:
        raise EngineError("a growth rate needs cases on at least 2 different days")
    tc = t - t.mean()
    r, a = 0.0, math.log(y.mean())
    for _ in range(100):
        mu = np.exp(a + r * tc)
        g0, g1 = float(np.sum(y - mu)), float(np.sum((y - mu) * tc))
        h00, h01, h11 = float(mu.sum()), float((mu * tc).sum()), float((mu * tc * tc).sum())
        det = h00 * h11 - h01 * h01
        da, dr = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
        step = max(abs(da), abs(dr))
        if step > 5:  # keep early steps in range when the counts jump
            da, dr = da * 5 / step, dr * 5 / step
        a, r = a + da, r + dr
        if step < 1e-12:
            break
    mu = np.exp(a + r * tc)
    h00, h01, h11 = float(mu.sum()), float((mu * tc).sum()), float((mu * tc * tc).sum())
    var_r = h00 / (h00 * h11 - h01 * h01)
    dof = len(y) - 2
    dispersion = float(np.sum((y - mu) ** 2 / mu)) / dof if dof > 0 else 1.0
    se = math.sqrt(var_r * max(1.0, dispersion))
    low, high = r - Z95 * se, r + Z95 * se
    if low > 0:
        d_low, d_high = _doubling(high), _doubling(low)
    elif high < 0:
        d_low, d_high = _doubling(low), _doubling(high)
    else:
        d_low, d_high = _doubling(high) if high > 0 else -math.inf, math.inf
    return Growth(
        rate=r,
        rate_low=low,
        rate_high=high,
        doubling=_doubling(r),
        doubling_low=d_low,
        doubling_high=d_high,
        dispersion=dispersion,
        days=len(y),
        cases=int(y.sum()),
    )
