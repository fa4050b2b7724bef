"""Daily incidence: counts of events (onsets or confirmations) per station day, zero days kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cordon.errors import EngineError

__all__ = ["DAY_S", "Incidence", "daily_incidence"]

DAY_S = 86_400


@dataclass(frozen=True)
class Incidence:
    """Counts per day from ``day_start[0]``; ``complete[k]`` is False for a day not yet over."""

    day_start: np.ndarray
    """Epoch seconds at which each day starts (station midnight)."""
    cases: np.ndarray
    complete: np.ndarray

    def __len__(self) -> int:
        return len(self.cases)

    @property
    def complete_cases(self) -> np.ndarray:
        """The counts of the days that are over (the last, incomplete day left out)."""
        out: np.ndarray = self.cases[self.complete]
        return out


def daily_incidence(
    times: np.ndarray,
    *,
    origin: int,
    now: int | None = None,
    days: int | None = None,
) -> Incidence:
    """Count ``times`` per day of 24 h starting at ``origin`` (a station midnight).

    Days without events count zero. The day containing ``now`` is marked incomplete: its count
    is what is known so far, not a day's worth, and estimators leave it out. Events before
    ``origin`` are refused; events after ``now`` are ignored (recorded in the future).

    Examples
    --------
    >>> inc = daily_incidence(np.array([10, 20, 2 * 86400 + 5]), origin=0, now=2 * 86400 + 60)
    >>> inc.cases.tolist(), inc.complete.tolist()
    ([2, 0, 1], [True, True, False])
    """
    t = np.asarray(times, dtype=np.int64)
    if len(t) and int(t.min()) < origin:
        raise EngineError(f"an event at {int(t.min())} is before the origin {origin}")
    if now is not None:
        t = t[t <= now]
    if days is None:
        last = now if now is not None else (int(t.max()) if len(t) else origin)
        days = (last - origin) // DAY_S + 1
    if days < 0:
        raise EngineError("the incidence cannot end before its origin")
    index = (t - origin) // DAY_S
    cases = np.bincount(index[index < days], minlength=days).astype(np.int64)
    starts = origin + DAY_S * np.arange(days, dtype=np.int64)
    complete = np.ones(days, dtype=bool)
    if now is not None:
        complete = starts + DAY_S <= now
    return Incidence(starts, cases, complete)
