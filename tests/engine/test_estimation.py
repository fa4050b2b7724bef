"""Incidence, growth rate and Cori et al. Rt: brute-force twins and the 1918 Baltimore data."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cordon.engine import growth, incidence, rt
from cordon.engine.growth import fit_growth
from cordon.engine.incidence import DAY_S, daily_incidence
from cordon.engine.rt import Refusal, discretise_si, estimate_rt
from cordon.errors import EngineError


@pytest.mark.parametrize("module", [incidence, growth, rt])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


# -- incidence -------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 20 * DAY_S), max_size=60), st.integers(0, 25 * DAY_S))
def test_incidence_matches_brute_force(times: list[int], now: int) -> None:
    inc = daily_incidence(np.array(times, dtype=np.int64), origin=0, now=now)
    n_days = now // DAY_S + 1
    assert len(inc) == n_days
    for day in range(n_days):
        expected = sum(1 for t in times if day * DAY_S <= t < (day + 1) * DAY_S and t <= now)
        assert inc.cases[day] == expected
        assert inc.complete[day] == ((day + 1) * DAY_S <= now)
    assert inc.complete_cases.sum() == sum(
        1 for t in times if t < n_days * DAY_S and t < (now // DAY_S) * DAY_S
    )


def test_incidence_keeps_zero_days_and_marks_the_last_day() -> None:
    inc = daily_incidence(np.array([5, 3 * DAY_S + 1]), origin=0, now=3 * DAY_S + 100)
    assert inc.cases.tolist() == [1, 0, 0, 1]
    assert inc.complete.tolist() == [True, True, True, False]
    assert inc.day_start.tolist() == [0, DAY_S, 2 * DAY_S, 3 * DAY_S]
    with pytest.raises(EngineError, match="before the origin"):
        daily_incidence(np.array([-1]), origin=0)


# -- growth ----------------------------------------------------------------------------------


def test_venus_doubles_in_about_a_day() -> None:
    g = fit_growth(np.array([1, 1, 2, 4, 8]))
    assert g.cases == 16
    assert 0.8 < g.doubling < 1.5
    assert g.doubling_low < 1 < g.doubling_high


def test_growth_matches_a_brute_force_likelihood_maximum() -> None:
    y = np.array([3, 2, 6, 5, 9, 14, 13, 22])
    t = np.arange(len(y))
    g = fit_growth(y)
    grid = np.linspace(g.rate - 0.05, g.rate + 0.05, 2001)

    def profile(r: float) -> float:
        a = math.log(y.sum() / np.exp(r * t).sum())  # the intercept that maximises for this r
        return float(np.sum(y * (a + r * t) - np.exp(a + r * t)))

    best = grid[int(np.argmax([profile(r) for r in grid]))]
    assert abs(best - g.rate) < 1e-4


def test_growth_intervals_cover_the_truth_in_at_least_90_percent() -> None:
    rng = np.random.default_rng(20261126)
    covered = 0
    reps = 400
    for rep in range(reps):
        r_true = [0.3, 0.1, -0.1, 0.2][rep % 4]
        days = np.arange(14)
        y = rng.poisson(8 * np.exp(r_true * days))
        g = fit_growth(y)
        covered += g.rate_low <= r_true <= g.rate_high
    assert covered / reps >= 0.90


def test_growth_refuses_too_little_data() -> None:
    with pytest.raises(EngineError, match="at least 3 days"):
        fit_growth(np.array([1, 2]))
    with pytest.raises(EngineError, match="2 different days"):
        fit_growth(np.array([0, 0, 5]))


def test_no_growth_gives_an_open_doubling_interval() -> None:
    g = fit_growth(np.array([10, 12, 9, 11, 10, 10]))
    assert g.rate_low < 0 < g.rate_high
    assert math.isinf(g.doubling_high)
    assert g.to_dict()["doubling_high"] is None


# -- Rt --------------------------------------------------------------------------------------


def _flu(shared: Path) -> tuple[np.ndarray, np.ndarray]:
    folder = shared / "data" / "epiestim"
    inc = np.loadtxt(folder / "flu1918_incidence.csv", delimiter=",", skiprows=1)
    si = np.loadtxt(folder / "flu1918_serial_interval.csv", delimiter=",", skiprows=1)
    return inc[:, 1], si[:, 1]


def test_rt_on_baltimore_1918_matches_the_closed_form(shared: Path) -> None:
    cases, si = _flu(shared)
    est = estimate_rt(cases, si, window=7, prior_mean=5, prior_sd=5, cv_posterior=None)
    n_days = len(cases)
    # closed form written out independently: EpiEstim windows t_start = 2..T-6 (1-based days)
    for k, t_end in enumerate(range(8, n_days + 1)):
        days = range(t_end - 6, t_end + 1)
        total_i = sum(cases[d - 1] for d in days)
        total_l = 0.0
        for d in days:
            total_l += sum(cases[d - 1 - s] * si[s] for s in range(1, len(si)) if d - 1 - s >= 0)
        shape, scale = 1 + total_i, 1 / (1 / 5 + total_l)  # prior mean 5 sd 5: shape 1 scale 5
        assert est.mean[k] == pytest.approx(shape * scale, rel=1e-9)
        assert est.sd[k] == pytest.approx(math.sqrt(shape) * scale, rel=1e-9)
        assert est.low[k] == pytest.approx(stats.gamma.ppf(0.025, shape, scale=scale), rel=1e-9)
        assert est.high[k] == pytest.approx(stats.gamma.ppf(0.975, shape, scale=scale), rel=1e-9)
        assert est.median[k] == pytest.approx(stats.gamma.median(shape, scale=scale), rel=1e-9)
    peak = int(np.nanargmax(est.mean))
    assert est.mean[peak] > 1.5 and est.mean[-1] < 1  # grows, then subsides


def test_rt_refuses_where_there_are_too_few_cases(shared: Path) -> None:
    cases, si = _flu(shared)
    est = estimate_rt(cases, si, window=7)
    in_window = np.array([cases[e - 6 : e + 1].sum() for e in est.end_day])
    refused = est.refusal == Refusal.TOO_FEW_CASES
    # EpiEstim: ceil(1 / cv_posterior^2 - a_prior) = ceil(1 / 0.09 - 1) = 11 cases in the window
    assert np.array_equal(refused, in_window < 11)
    venus = estimate_rt(np.array([1, 1, 2, 4, 8]), si, window=3)
    assert venus.refusal.tolist() == [Refusal.TOO_FEW_CASES, Refusal.NONE]  # 7 cases, then 14
    assert venus.mean[1] > 1
    assert np.isnan(est.mean[refused]).all() and not np.isnan(est.mean[~refused]).any()
    assert "too few" in Refusal.TOO_FEW_CASES.reason
    quiet = estimate_rt(np.array([0, 0, 0, 0, 3, 0, 0, 0, 0]), si, window=3, cv_posterior=None)
    assert Refusal.NO_PRESSURE in quiet.refusal.tolist()


def test_discretised_si_matches_the_flu_distribution(shared: Path) -> None:
    _, si = _flu(shared)
    w = discretise_si(2.6, 1.5, max_days=len(si) - 1)
    assert np.allclose(w, si, atol=6e-4)  # the file rounds to 3 decimals


@settings(max_examples=200, deadline=None)
@given(
    st.floats(1.0, 100.0, exclude_min=True),
    st.floats(rt.MIN_SI_SD, 100.0),
)
def test_a_discretised_si_is_a_distribution_with_the_given_mean(mean: float, sd: float) -> None:
    w = discretise_si(mean, sd)
    assert np.isfinite(w).all() and (w >= 0).all() and w[0] == 0
    assert math.isclose(w.sum(), 1.0, rel_tol=1e-9)
    if sd <= mean - 1:  # a gamma shape of 1 or more: the tail cut at mean + 10 sd is negligible
        # the construction keeps the continuous mean (Cori et al. 2013, web appendix 11)
        assert math.isclose(float(np.arange(len(w)) @ w), mean, rel_tol=1e-3)


@pytest.mark.parametrize("sd", [0.0, -1.0, rt.MIN_SI_SD / 2, 5.8e-236, math.nan])
def test_a_serial_interval_narrower_than_a_quarter_hour_is_refused(sd: float) -> None:
    with pytest.raises(EngineError, match="sd must be at least"):
        discretise_si(51.4, sd)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(10, 40))
def test_batch_equals_series_one_by_one(seed: int, window: int, n_days: int) -> None:
    rng = np.random.default_rng(seed)
    batch = rng.poisson(rng.uniform(0, 30, size=(5, 1)), size=(5, n_days))
    w = discretise_si(4.0, 2.0)
    together = estimate_rt(batch, w, window=window)
    for s in range(5):
        alone = estimate_rt(batch[s], w, window=window)
        np.testing.assert_allclose(together.mean[s], alone.mean, rtol=1e-12)
        np.testing.assert_allclose(together.high[s], alone.high, rtol=1e-12)
        np.testing.assert_array_equal(together.refusal[s], alone.refusal)
