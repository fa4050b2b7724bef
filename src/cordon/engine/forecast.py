"""Forecast ensembles: many seeded runs of a model, summarised as medians and bands.

A model is anything with ``simulate(run_seeds) -> (runs x N_SERIES x days)`` (the temporal,
static and branching models). Runs get distinct seeds from one ``SeedSequence``, so an
ensemble is the same whether it runs here in one call (Numba threads), in batches with progress,
or as batches on a Dask cluster.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from cordon.engine.simulate.common import SERIES, run_seeds
from cordon.errors import EngineError

__all__ = [
    "Bands",
    "Capacity",
    "Model",
    "ScenarioRow",
    "bands",
    "capacity",
    "run_ensemble",
    "scenario_row",
]

BATCH_SECONDS = 0.2
"""Target duration of one batch: well above the 100 ms where scheduling costs vanish."""


class Model(Protocol):
    """What the ensemble runs."""

    def simulate(self, seeds: np.ndarray) -> np.ndarray:
        """Daily series for each run seed."""


def _simulate(model: Model, seeds: np.ndarray) -> np.ndarray:
    return model.simulate(seeds)


def run_ensemble(
    model: Model,
    *,
    runs: int = 1000,
    seed: int | None = 0,
    scheduler: str | Any | None = None,
    batch: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """``runs`` runs of ``model`` (runs x N_SERIES x days), run ``r`` seeded by ``run_seeds``.

    ``scheduler`` is a Dask scheduler address (or a ``distributed.Client``): batches of runs go
    to the cluster. ``batch`` runs per batch; by default sized from a pilot batch to take about
    0.2 s. ``on_batch`` hears how many runs each finished batch held.
    """
    if runs < 1:
        raise EngineError("an ensemble needs at least 1 run")
    seeds = run_seeds(seed, runs)
    if batch is None:
        pilot = min(runs, 16)
        began = time.perf_counter()
        first = model.simulate(seeds[:pilot])
        per_run = max((time.perf_counter() - began) / pilot, 1e-6)
        if on_batch is not None:
            on_batch(pilot)
        size = max(1, math.ceil(BATCH_SECONDS / per_run))
        if scheduler is not None:
            size = max(size, math.ceil((runs - pilot) / 64))
        rest = _run_batches(model, seeds[pilot:], size, scheduler, on_batch)
        return np.concatenate([first, rest]) if len(rest) else first
    if batch < 1:
        raise EngineError("a batch holds at least 1 run")
    return _run_batches(model, seeds, batch, scheduler, on_batch)


def _run_batches(
    model: Model,
    seeds: np.ndarray,
    size: int,
    scheduler: str | Any | None,
    on_batch: Callable[[int], None] | None,
) -> np.ndarray:
    if len(seeds) == 0:
        return np.zeros((0, 0, 0), np.int32)
    parts = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    if scheduler is None:
        results = []
        for part in parts:
            results.append(model.simulate(part))
            if on_batch is not None:
                on_batch(len(part))
        return np.concatenate(results)
    import distributed

    Client: Any = distributed.Client
    as_completed: Any = distributed.as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        remote = client.scatter(model, broadcast=True)
        futures = [client.submit(_simulate, remote, part, pure=False) for part in parts]
        index = {f.key: i for i, f in enumerate(futures)}
        done: list[np.ndarray | None] = [None] * len(parts)
        for future in as_completed(futures):
            done[index[future.key]] = future.result()
            if on_batch is not None:
                on_batch(len(parts[index[future.key]]))
        return np.concatenate([d for d in done if d is not None])
    finally:
        if client is not scheduler:
            client.close()


@dataclass(frozen=True)
class Bands:
    """Median and the 50% and 90% bands of one daily quantity across runs."""

    median: np.ndarray
    low50: np.ndarray
    high50: np.ndarray
    low90: np.ndarray
    high90: np.ndarray

    def to_dict(self) -> dict[str, list[float]]:
        """Lists of floats per day."""
        return {k: [float(x) for x in v] for k, v in self.__dict__.items()}


def bands(values: np.ndarray) -> Bands:
    """Bands of ``values`` (runs x days) per day.

    Examples
    --------
    >>> b = bands(np.arange(101, dtype=float).reshape(101, 1))
    >>> b.median.tolist(), b.low90.tolist(), b.high50.tolist()
    ([50.0], [5.0], [75.0])
    """
    q = np.quantile(values, [0.5, 0.25, 0.75, 0.05, 0.95], axis=0)
    return Bands(*q)


def series(ensemble: np.ndarray, name: str) -> np.ndarray:
    """One named daily series of every run (runs x days)."""
    out: np.ndarray = ensemble[:, SERIES.index(name), :]
    return out


def beds(ensemble: np.ndarray) -> np.ndarray:
    """Beds needed per run and day: everyone isolated or quarantined at the day's end."""
    out: np.ndarray = series(ensemble, "isolated") + series(ensemble, "quarantined")
    return out


@dataclass(frozen=True)
class Capacity:
    """When the beds run out: the first day on which at least half the runs exceed capacity
    (None if that never happens within the horizon), the share of runs that exceed it on that day,
    and the share of runs that exceed it on some day of the horizon."""

    capacity: int
    first_day: int | None
    probability: float
    ever: float

    def to_dict(self) -> dict[str, int | float | None]:
        """Plain values."""
        return dict(self.__dict__)


def capacity(needed: np.ndarray, limit: int) -> Capacity:
    """Capacity exceedance from beds needed (runs x days).

    Examples
    --------
    >>> capacity(np.array([[1, 5, 9], [1, 2, 9], [1, 1, 1]]), 4)
    Capacity(capacity=4, first_day=2, probability=0.6666666666666666, ever=0.6666666666666666)
    """
    over = needed > limit
    share = over.mean(axis=0)
    hits = np.flatnonzero(share >= 0.5)
    first = int(hits[0]) if len(hits) else None
    return Capacity(
        capacity=int(limit),
        first_day=first,
        probability=float(share[first]) if first is not None else float(share.max(initial=0)),
        ever=float(over.any(axis=1).mean()),
    )


@dataclass(frozen=True)
class ScenarioRow:
    """One line of the scenario comparison."""

    scenario: str
    infections_median: float
    infections_low90: float
    infections_high90: float
    peak_beds_median: float
    capacity: Capacity | None

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        cap = self.capacity.to_dict() if self.capacity is not None else None
        return {**{k: v for k, v in self.__dict__.items() if k != "capacity"}, "capacity": cap}


def scenario_row(name: str, ensemble: np.ndarray, limit: int | None) -> ScenarioRow:
    """Summarise one scenario's ensemble: new infections over the horizon and peak beds."""
    total = series(ensemble, "infected").sum(axis=1)
    needed = beds(ensemble)
    lo, med, hi = np.quantile(total, [0.05, 0.5, 0.95])
    return ScenarioRow(
        scenario=name,
        infections_median=float(med),
        infections_low90=float(lo),
        infections_high90=float(hi),
        peak_beds_median=float(np.median(needed.max(axis=1))) if needed.shape[1] else 0.0,
        capacity=capacity(needed, limit) if limit is not None else None,
    )


def summary(ensemble: np.ndarray) -> Mapping[str, Bands]:
    """Bands of cumulative confirmed cases, isolated and beds needed per day."""
    return {
        "cases": bands(np.cumsum(series(ensemble, "confirmed"), axis=1)),
        "infections": bands(np.cumsum(series(ensemble, "infected"), axis=1)),
        "isolated": bands(series(ensemble, "isolated")),
        "beds": bands(beds(ensemble)),
    }
