"""The one daily incidence series: cases per station day, zeros kept, today marked incomplete.

``cordon incidence``, ``estimate``, ``forecast``, the overview and the report all count cases
with ``station_series`` and fit growth with ``observed_growth``, so they agree on every figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
from sqlalchemy.orm import Session

from cordon.engine.growth import Growth, fit_growth
from cordon.engine.incidence import DAY_S, daily_incidence
from cordon.errors import EngineError, InvalidValue
from cordon.store import epidemic

__all__ = [
    "GROWTH_DAYS",
    "MAX_SERIES_DAYS",
    "DailySeries",
    "event_times",
    "growth_window",
    "midnight",
    "observed_growth",
    "station_series",
]

MAX_SERIES_DAYS = 3660
"""The longest daily series reported, ten years back from today: an outbreak is not longer, a
mistyped year on one case must not stretch it, and a "now" far in the future would otherwise
have a request build millions of days (found by schemathesis)."""
GROWTH_DAYS = 21
"""Growth is fitted on at most the last three weeks of complete days."""


def midnight(epoch: float, zone: tzinfo) -> int:
    """The station midnight that starts the day of ``epoch``."""
    local = datetime.fromtimestamp(epoch, tz=zone)
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


@dataclass(frozen=True)
class DailySeries:
    """Cases per station day from the first case's day; ``complete[k]`` is False for today."""

    day_start: np.ndarray
    cases: np.ndarray
    complete: np.ndarray

    @property
    def complete_days(self) -> int:
        """How many leading days are over."""
        return int(self.complete.sum())


def event_times(session: Session, by: str) -> np.ndarray:
    """Confirmation (or onset, else confirmation) times of the store's cases, NaN dropped."""
    cases = epidemic.case_times(session)
    if by == "onset":
        times = np.where(np.isnan(cases.onset), cases.confirmed, cases.onset)
    elif by == "confirmation":
        times = cases.confirmed
    else:
        raise InvalidValue(f"incidence by {by!r}: use confirmation or onset")
    out: np.ndarray = times[~np.isnan(times)].astype(np.int64)
    return out


def station_series(times: np.ndarray, *, now: int, zone: tzinfo) -> DailySeries:
    """Count ``times`` per station day from the first one's day (at most ``MAX_SERIES_DAYS``
    back) to today, today marked incomplete; events after ``now`` are not counted."""
    times = np.asarray(times, np.int64)
    times = times[times <= now]
    if len(times) == 0:
        raise EngineError("no confirmed cases in the store: there is no incidence to report")
    earliest = midnight(now - (MAX_SERIES_DAYS - 1) * DAY_S, zone)
    origin = max(midnight(float(times.min()), zone), earliest)
    inc = daily_incidence(times[times >= origin], origin=origin, now=now)
    return DailySeries(inc.day_start, inc.cases, inc.complete)


def growth_window(cases: np.ndarray, complete_days: int, days: int = GROWTH_DAYS) -> int:
    """Index of the first day the growth fit uses: the first day with a case, at most ``days``
    complete days back."""
    used = np.asarray(cases)[:complete_days]
    nonzero = np.flatnonzero(used)
    if len(nonzero) == 0:
        raise EngineError("no cases on the complete days")
    return max(int(nonzero[0]), complete_days - days)


def observed_growth(series: DailySeries) -> tuple[Growth, float]:
    """The growth of the complete days and the fitted count of the last complete day (the
    Poisson fit's level: the total of the fitted counts equals the total observed)."""
    n = series.complete_days
    first = growth_window(series.cases, n)
    used = series.cases[first:n].astype(np.float64)
    growth = fit_growth(used)
    t = np.arange(len(used), dtype=np.float64)
    level = float(used.sum() / np.exp(growth.rate * t).sum())
    return growth, level * float(np.exp(growth.rate * t[-1]))
