"""Epidemic analytics: incidence, growth, Rt and forecast ensembles under interventions.

The services read cases and exposures from the store, hand flat arrays to the engine and
return dataclasses with ``to_dict()``; ``estimate_counts`` does the same for counts an analyst
brings in a file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cordon.domain.pathogen import PathogenProfile
from cordon.domain.roles import Actor, Permission, require
from cordon.engine import forecast as fc
from cordon.engine.growth import Growth, fit_growth
from cordon.engine.incidence import DAY_S
from cordon.engine.rt import MIN_SI_SD, Refusal, discretise_si, estimate_rt
from cordon.engine.simulate.interventions import Intervention
from cordon.errors import EngineError, InvalidValue
from cordon.services.outbreak_model import Calibration, build_setup
from cordon.services.progress import NO_PROGRESS, Progress
from cordon.services.scenarios import standard_scenarios
from cordon.services.series import (
    GROWTH_DAYS,
    MAX_SERIES_DAYS,
    event_times,
    growth_window,
    midnight,
    station_series,
)
from cordon.store import epidemic, profiles

__all__ = [
    "MAX_SERIES_DAYS",
    "MIN_SI_SD",
    "EstimateReport",
    "ForecastReport",
    "IncidenceReport",
    "RtDay",
    "ScenarioForecast",
    "estimate",
    "estimate_counts",
    "forecast",
    "incidence",
    "today_start",
]


_midnight = midnight


def today_start(now: int | None, zone: tzinfo) -> int:
    """The station midnight that starts the day of ``now`` (default: the current time)."""
    return _midnight(time.time() if now is None else now, zone)


def _iso_day(epoch: int, zone: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz=zone).date().isoformat()


@dataclass(frozen=True)
class IncidenceReport:
    """Daily counts of new cases; the last day may be incomplete (still under way)."""

    by: str
    days: list[str]
    day_start: list[int]
    cases: list[int]
    complete: list[bool]

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return dict(self.__dict__)


def incidence(
    session: Session,
    *,
    actor: Actor,
    by: str = "confirmation",
    now: int | None = None,
    zone: tzinfo = UTC,
) -> IncidenceReport:
    """Daily new cases by confirmation (or onset) date in the station's days, zeros included,
    from the first case (at most ``MAX_SERIES_DAYS`` back) to today (today marked incomplete)."""
    require(actor, Permission.READ_AGGREGATES)
    now = int(time.time()) if now is None else now
    inc = station_series(event_times(session, by), now=now, zone=zone)
    return IncidenceReport(
        by=by,
        days=[_iso_day(int(d), zone) for d in inc.day_start],
        day_start=[int(d) for d in inc.day_start],
        cases=[int(c) for c in inc.cases],
        complete=[bool(c) for c in inc.complete],
    )


@dataclass(frozen=True)
class RtDay:
    """R for the window ending on ``day`` (1-based), or why there is none."""

    day: int
    window_start: int
    mean: float | None
    low: float | None
    high: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class EstimateReport:
    """Growth rate and doubling time (or why not), and R per day (or why not)."""

    cases: list[int]
    complete_days: int
    growth: Growth | None
    growth_refused: str
    rt: list[RtDay]
    rt_refused: str
    window: int
    serial_interval: list[float]
    days: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            **{k: v for k, v in self.__dict__.items() if k not in ("growth", "rt")},
            "growth": self.growth.to_dict() if self.growth is not None else None,
            "rt": [r.to_dict() for r in self.rt],
        }


def _serial_interval(
    si: np.ndarray | None, si_mean: float | None, si_sd: float | None, profile: PathogenProfile
) -> np.ndarray:
    if si is not None:
        return np.asarray(si, np.float64)
    mean = profile.serial_interval_mean_days if si_mean is None else si_mean
    sd = profile.serial_interval_sd_days if si_sd is None else si_sd
    return discretise_si(mean, sd)


def estimate_counts(
    cases: np.ndarray,
    *,
    window: int = 7,
    si_mean: float | None = None,
    si_sd: float | None = None,
    si: np.ndarray | None = None,
    complete_days: int | None = None,
    growth_days: int = GROWTH_DAYS,
    days: list[str] | None = None,
    profile: PathogenProfile | None = None,
) -> EstimateReport:
    """Growth and Rt from daily counts (day 1 first); days after ``complete_days`` are left
    out as incomplete. The serial interval is ``si`` (P(day 0), P(day 1), ...), or a discretised
    gamma of ``si_mean``/``si_sd`` days (default: the pathogen profile's)."""
    y = np.asarray(cases, dtype=np.int64)
    if y.ndim != 1 or np.any(y < 0):
        raise InvalidValue("daily cases must be a list of counts, not negative")
    n = len(y) if complete_days is None else complete_days
    w = _serial_interval(si, si_mean, si_sd, profile or PathogenProfile(name="default"))
    used = y[:n]
    growth, growth_refused = None, ""
    try:
        growth = fit_growth(used[growth_window(used, n, growth_days) :])
    except EngineError as exc:
        growth_refused = str(exc)
    rt: list[RtDay] = []
    rt_refused = ""
    try:
        est = estimate_rt(used, w, window=window)
        for k, end in enumerate(est.end_day):
            ok = est.refusal[k] == Refusal.NONE
            rt.append(
                RtDay(
                    day=int(end) + 1,
                    window_start=int(end) - window + 2,
                    mean=float(est.mean[k]) if ok else None,
                    low=float(est.low[k]) if ok else None,
                    high=float(est.high[k]) if ok else None,
                    reason="" if ok else Refusal(int(est.refusal[k])).reason,
                )
            )
    except EngineError as exc:
        rt_refused = str(exc)
    return EstimateReport(
        cases=[int(c) for c in y],
        complete_days=n,
        growth=growth,
        growth_refused=growth_refused,
        rt=rt,
        rt_refused=rt_refused,
        window=window,
        serial_interval=[float(p) for p in w],
        days=days or [],
    )


def estimate(
    session: Session,
    *,
    actor: Actor,
    window: int = 7,
    si_mean: float | None = None,
    si_sd: float | None = None,
    si: np.ndarray | None = None,
    by: str = "confirmation",
    now: int | None = None,
    zone: tzinfo = UTC,
) -> EstimateReport:
    """Growth, doubling time and Rt from the store's daily incidence (today left out)."""
    require(actor, Permission.RUN_ANALYTICS)
    inc = incidence(session, actor=actor, by=by, now=now, zone=zone)
    profile = profiles.active_profile(session)
    return estimate_counts(
        np.array(inc.cases),
        window=window,
        si_mean=si_mean,
        si_sd=si_sd,
        si=si,
        complete_days=sum(inc.complete),
        days=inc.days,
        profile=profile,
    )


@dataclass(frozen=True)
class ScenarioForecast:
    """One scenario: bands per day and its line of the comparison table."""

    name: str
    bands: dict[str, fc.Bands]
    row: fc.ScenarioRow

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return {
            "name": self.name,
            "bands": {k: b.to_dict() for k, b in self.bands.items()},
            **self.row.to_dict(),
        }


@dataclass(frozen=True)
class ForecastReport:
    """Ensembles of every scenario over ``days`` days from today's midnight."""

    model: str
    runs: int
    seed: int | None
    days: list[str]
    capacity: int | None
    known_cases: int
    scenarios: list[ScenarioForecast]
    seconds: float
    calibration: Calibration | None = None
    """How the no-action forecast matches the observed growth (target, achieved, error)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        skip = ("scenarios", "calibration")
        return {
            **{k: v for k, v in self.__dict__.items() if k not in skip},
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "scenarios": [s.to_dict() for s in self.scenarios],
        }


def forecast(
    session: Session,
    *,
    actor: Actor,
    days: int = 14,
    runs: int = 1000,
    scenarios: dict[str, list[Intervention]] | None = None,
    scheduler: str | Any | None = None,
    seed: int | None = 0,
    capacity: int | None = None,
    now: int | None = None,
    zone: tzinfo = UTC,
    progress: Progress = NO_PROGRESS,
) -> ForecastReport:
    """Ensembles of ``runs`` runs per scenario over ``days`` days from today's midnight (the
    standard five scenarios by default), with the same run seeds in every scenario; on a Dask
    cluster when ``scheduler`` is given. Capacity: the store's ward and isolation beds unless
    given."""
    require(actor, Permission.RUN_ANALYTICS)
    if days < 1 or runs < 1:
        raise InvalidValue("days and runs must be at least 1")
    began = time.perf_counter()
    now = int(time.time()) if now is None else now
    today = _midnight(now, zone)
    profile = profiles.active_profile(session)
    setup = build_setup(session, profile, t0=today, days=days, now=now, zone=zone)
    chosen = scenarios if scenarios is not None else standard_scenarios(profile, today=today)
    limit = capacity if capacity is not None else (epidemic.bed_capacity(session) or None)
    progress.phase("forecast runs", runs * len(chosen))
    results = []
    for name, items in chosen.items():
        ensemble = fc.run_ensemble(
            setup.make(items),
            runs=runs,
            seed=seed,
            scheduler=scheduler,
            on_batch=progress.advance,
        )
        results.append(
            ScenarioForecast(
                name, dict(fc.summary(ensemble)), fc.scenario_row(name, ensemble, limit)
            )
        )
    return ForecastReport(
        model=setup.kind,
        runs=runs,
        seed=seed,
        days=[_iso_day(today + k * DAY_S, zone) for k in range(days)],
        capacity=limit,
        known_cases=setup.known_cases,
        scenarios=results,
        seconds=time.perf_counter() - began,
        calibration=setup.calibration,
    )
