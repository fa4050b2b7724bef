"""Time-varying reproduction number by the method of Cori et al. (2013), for one series or many.

For a window of ``tau`` days ending on day t, with incidence I and the discrete serial-interval
distribution w (w_0 = 0), the infectious pressure is Lambda_s = sum_k I_{s-k} w_k and, with a
gamma prior (shape a, scale b), the posterior of R is gamma with

    shape = a + sum_{s in window} I_s,    rate = 1/b + sum_{s in window} Lambda_s.

Quantiles are exact: the gamma quantile is ``gammaincinv(shape, p) / rate`` and the shapes are
integers plus a, so one inverse per distinct shape serves every series and day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numba
import numpy as np
from scipy.special import gammaincinv
from scipy.stats import gamma

from cordon.errors import EngineError

__all__ = [
    "CV_POSTERIOR",
    "MIN_SI_SD",
    "Refusal",
    "RtEstimate",
    "discretise_si",
    "estimate_rt",
    "min_cases",
]

CV_POSTERIOR = 0.3
"""The largest posterior coefficient of variation reported (EpiEstim's ``cv_posterior``)."""
MIN_SI_SD = 0.01
"""The narrowest serial interval taken, in days (a quarter of an hour): narrower ones are no
epidemiological figure, and the gamma shape ((mean - 1) / sd)^2 overflows long before zero."""


def min_cases(prior_mean: float = 5.0, prior_sd: float = 5.0, cv: float = CV_POSTERIOR) -> int:
    """Cases a window needs for a posterior CV of at most ``cv``: the posterior shape is
    a + (cases in the window) and CV = 1/sqrt(shape), so ceil(1/cv^2 - a), as in EpiEstim.

    >>> min_cases()
    11
    """
    return max(0, math.ceil(1 / cv**2 - (prior_mean / prior_sd) ** 2))


class Refusal(IntEnum):
    """Why a day has no estimate (0: it has one)."""

    NONE = 0
    TOO_FEW_CASES = 1
    """Too few cases in the window for the posterior CV (see ``min_cases``)."""
    NO_PRESSURE = 2
    """No infectious pressure in the window (nobody earlier could have infected anyone)."""

    @property
    def reason(self) -> str:
        """A sentence a person can act on."""
        return _REASONS[self]


_REASONS = {
    Refusal.NONE: "",
    Refusal.TOO_FEW_CASES: (
        f"too few cases in the window for a posterior CV under {CV_POSTERIOR} "
        "(Cori et al. 2013): widen the window"
    ),
    Refusal.NO_PRESSURE: "no infectious cases before or in the window",
}


@dataclass(frozen=True)
class RtEstimate:
    """Posterior of R per series and window end day; NaN and a refusal code where refused."""

    end_day: np.ndarray
    """Index of the last day of each window."""
    mean: np.ndarray
    sd: np.ndarray
    low: np.ndarray
    """2.5% quantile."""
    high: np.ndarray
    """97.5% quantile."""
    shape: np.ndarray
    rate: np.ndarray
    refusal: np.ndarray

    @property
    def median(self) -> np.ndarray:
        """Posterior median (computed on demand: the batch needs only the interval)."""
        ok = self.refusal == Refusal.NONE
        q = _gamma_quantiles(np.asarray(self.shape), (0.5,))[0]
        out: np.ndarray = np.where(ok, q / self.rate, np.nan)
        return out


def discretise_si(mean: float, sd: float, *, max_days: int | None = None) -> np.ndarray:
    """The discrete serial-interval distribution of Cori et al. (2013), web appendix 11.

    A gamma distribution of mean ``mean - 1`` and sd ``sd``, shifted by one day and integrated
    against a triangular kernel, so that w_0 = 0; the same as EpiEstim's ``discr_si``.

    Examples
    --------
    >>> w = discretise_si(2.6, 1.5)
    >>> float(w[0]), round(float(w.sum()), 6)
    (0.0, 1.0)
    """
    if not mean > 1:
        raise EngineError(f"the serial interval mean must be above 1 day, got {mean}")
    if not sd >= MIN_SI_SD:
        raise EngineError(f"the serial interval sd must be at least {MIN_SI_SD} days, got {sd}")
    if max_days is None:
        max_days = int(np.ceil(mean + 10 * sd)) + 1
    a = ((mean - 1) / sd) ** 2
    b = sd**2 / (mean - 1)
    k = np.arange(max_days + 1, dtype=np.float64)

    def cdf(x: np.ndarray, shape: float) -> np.ndarray:
        return np.asarray(gamma.cdf(np.maximum(x, 0), shape, scale=b)) * (x > 0)

    w = k * cdf(k, a) + (k - 2) * cdf(k - 2, a) - 2 * (k - 1) * cdf(k - 1, a)
    w += a * b * (2 * cdf(k - 1, a + 1) - cdf(k - 2, a + 1) - cdf(k, a + 1))
    w = np.maximum(w, 0)
    w[0] = 0
    out: np.ndarray = w / w.sum()
    return out


def _check_si(si: np.ndarray) -> np.ndarray:
    w = np.asarray(si, dtype=np.float64)
    if w.ndim != 1 or len(w) < 2 or np.any(w < 0) or not np.isfinite(w).all():
        raise EngineError("the serial interval must be a list of probabilities for days 0, 1, ...")
    if w[0] != 0:
        raise EngineError("the serial interval must give probability 0 to day 0 (Cori et al.)")
    if abs(w.sum() - 1) > 1e-3:
        raise EngineError(f"the serial interval probabilities sum to {w.sum():.4f}, not 1")
    out: np.ndarray = w / w.sum()
    return out


def estimate_rt(
    incidence: np.ndarray,
    si: np.ndarray,
    *,
    window: int = 7,
    prior_mean: float = 5.0,
    prior_sd: float = 5.0,
    cv_posterior: float | None = CV_POSTERIOR,
) -> RtEstimate:
    """Cori et al. R for each window of ``window`` days ending on day t = window .. T-1.

    ``incidence`` is one series (days) or a batch (series x days); the result has the same
    leading shape. The first window starts on day 1, as in EpiEstim's default. Windows with
    fewer cases than ``min_cases(prior_mean, prior_sd, cv_posterior)`` are refused (None: none).

    Examples
    --------
    >>> est = estimate_rt(np.array([5, 10, 20, 40, 80, 160]), np.array([0, 1.0]), window=2,
    ...                   cv_posterior=None)
    >>> est.mean.round(2).tolist()
    [2.04, 2.02, 2.01, 2.0]
    """
    inc = np.asarray(incidence, dtype=np.float64)
    if inc.ndim not in (1, 2) or inc.shape[-1] < 2:
        raise EngineError("incidence must be a series of at least 2 days (or a batch of them)")
    if np.any(inc < 0) or not np.isfinite(inc).all():
        raise EngineError("incidence must be finite counts, not negative")
    if window < 1:
        raise EngineError("the window must be at least 1 day")
    if not (prior_mean > 0 and prior_sd > 0):
        raise EngineError("the prior mean and sd must be positive")
    w = _check_si(si)
    single = inc.ndim == 1
    series = inc[None, :] if single else inc
    n_days = series.shape[1]
    if window >= n_days:
        raise EngineError(f"a {window}-day window needs more than {window} days of incidence")
    end = np.arange(window, n_days)
    sum_i, sum_l = _window_sums(np.ascontiguousarray(series), w, window)
    a0 = (prior_mean / prior_sd) ** 2
    scale0 = prior_sd**2 / prior_mean
    shape = a0 + sum_i
    rate = 1 / scale0 + sum_l
    refusal = np.zeros(shape.shape, dtype=np.int8)
    if cv_posterior is not None:
        refusal[sum_i < min_cases(prior_mean, prior_sd, cv_posterior)] = Refusal.TOO_FEW_CASES
    refusal[sum_l <= 0] = Refusal.NO_PRESSURE
    quantiles = _gamma_quantiles(shape, (0.025, 0.975))
    ok = refusal == 0
    nan = np.full(shape.shape, np.nan)
    out = {
        "mean": np.where(ok, shape / rate, nan),
        "sd": np.where(ok, np.sqrt(shape) / rate, nan),
        "low": np.where(ok, quantiles[0] / rate, nan),
        "high": np.where(ok, quantiles[1] / rate, nan),
    }
    if single:
        out = {k: v[0] for k, v in out.items()}
        shape, rate, refusal = shape[0], rate[0], refusal[0]
    return RtEstimate(end_day=end, shape=shape, rate=rate, refusal=refusal, **out)


@numba.njit(parallel=True, cache=True)
def _window_sums(series: np.ndarray, w: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Per series and window end: cases in the window and the infectious pressure in it."""
    n_series, n_days = series.shape
    n_out = n_days - window
    sum_i = np.zeros((n_series, n_out))
    sum_l = np.zeros((n_series, n_out))
    for s in numba.prange(n_series):
        x = series[s]
        pressure = np.zeros(n_days)
        for k in range(1, min(len(w), n_days)):
            wk = w[k]
            if wk != 0.0:
                for t in range(k, n_days):
                    pressure[t] += wk * x[t - k]
        for t in range(window, n_days):
            win_i = 0.0
            win_l = 0.0
            for u in range(t - window + 1, t + 1):
                win_i += x[u]
                win_l += pressure[u]
            sum_i[s, t - window] = win_i
            sum_l[s, t - window] = win_l
    return sum_i, sum_l


def _gamma_quantiles(shape: np.ndarray, probabilities: tuple[float, ...]) -> list[np.ndarray]:
    """Standard gamma quantiles of each shape, one inverse per distinct shape.

    Shapes are the prior shape plus whole case counts, so a table indexed by the count serves
    every series and day; other shapes fall back to ``np.unique``.
    """
    base = float(shape.min()) if shape.size else 0.0
    counts = shape - base
    k = counts.astype(np.int64)
    if shape.size and k.max() < 10 * shape.size + 1000 and np.array_equal(k, counts):
        present = np.zeros(int(k.max()) + 1, dtype=bool)
        present[k.ravel()] = True
        distinct = np.flatnonzero(present)
        tables = []
        for p in probabilities:
            table = np.empty(len(present))
            table[distinct] = gammaincinv(base + distinct, p)
            tables.append(table[k])
        return tables
    values, inverse = np.unique(shape, return_inverse=True)
    return [gammaincinv(values, p)[inverse].reshape(shape.shape) for p in probabilities]
