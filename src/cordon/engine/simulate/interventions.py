"""Interventions as small plug-in objects, each active in a time window, compiled into masks.

Every intervention says when it applies (``start`` to ``end``, epoch seconds or simulation
seconds, the same clock as the contacts). The kernels never see these objects: ``compile_controls``
turns a list of them into flat arrays (``Controls``) that the compiled code reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cordon.errors import EngineError

__all__ = [
    "ALL_ROUTES",
    "FOREVER",
    "Controls",
    "EgressHold",
    "Intervention",
    "Isolation",
    "Moratorium",
    "Quarantine",
    "compile_controls",
]

FOREVER = math.inf
ALL_ROUTES = -1
DAY = 86_400


@dataclass(frozen=True, slots=True)
class Isolation:
    """Cases found ``delay_s`` after they become infectious are isolated (no more contacts)."""

    probability: float = 0.9
    delay_s: float = DAY
    start: float = -FOREVER
    end: float = FOREVER


@dataclass(frozen=True, slots=True)
class Quarantine:
    """Each contact of an isolated case in the ``lookback_s`` before isolation (and whoever the
    case infected) is traced with ``probability`` and quarantined ``delay_s`` after the case's
    isolation for ``duration_s`` (tracing needs isolation to find the index cases)."""

    probability: float = 0.8
    delay_s: float = DAY
    start: float = -FOREVER
    end: float = FOREVER
    duration_s: float = 14 * DAY
    lookback_s: float = 7 * DAY


@dataclass(frozen=True, slots=True)
class Moratorium:
    """No contact on ``routes`` (codes; empty means every route), or only at gatherings, that
    starts within [start, end)."""

    start: float
    end: float = FOREVER
    routes: tuple[int, ...] = ()
    gatherings_only: bool = False

    @classmethod
    def just_for_today(
        cls, day_start: float, *, routes: tuple[int, ...] = (), gatherings_only: bool = False
    ) -> Moratorium:
        """A moratorium that lapses at the end of the day starting at ``day_start``."""
        return cls(day_start, day_start + DAY, routes, gatherings_only)


@dataclass(frozen=True, slots=True)
class EgressHold:
    """Nobody leaves the facility within [start, end): would-be departures stay aboard."""

    start: float
    end: float = FOREVER


Intervention = Isolation | Quarantine | Moratorium | EgressHold


@dataclass(frozen=True)
class Controls:
    """Interventions as arrays for the kernels: isolation and quarantine as (probability, delay,
    start, end), probability 0 when off, and the tracing look-back last for quarantine; moratoria
    and holds as windows."""

    isolation: np.ndarray
    quarantine: np.ndarray
    quarantine_s: float
    moratorium: np.ndarray
    """Rows of (start, end, route code or -1 for all, 1 if gatherings only)."""
    hold: np.ndarray
    """Rows of (start, end)."""


def compile_controls(interventions: Iterable[Intervention]) -> Controls:
    """Flatten interventions into ``Controls``; at most one isolation and one quarantine policy.

    Examples
    --------
    >>> c = compile_controls([Isolation(1.0, 3600), Moratorium.just_for_today(0, routes=(0,))])
    >>> c.isolation.tolist(), c.moratorium.tolist()
    ([1.0, 3600.0, -inf, inf], [[0.0, 86400.0, 0.0, 0.0]])
    """
    isolation = np.array([0.0, 0.0, -FOREVER, FOREVER])
    quarantine = np.array([0.0, 0.0, -FOREVER, FOREVER, 0.0])
    quarantine_s = 14.0 * DAY
    moratoria: list[tuple[float, float, float, float]] = []
    holds: list[tuple[float, float]] = []
    seen: set[type] = set()
    for item in interventions:
        if not item.start < item.end:
            raise EngineError(f"{type(item).__name__}: the window must end after it starts")
        if isinstance(item, Isolation | Quarantine):
            if type(item) in seen:
                raise EngineError(f"only one {type(item).__name__} policy at a time")
            seen.add(type(item))
            if not 0 <= item.probability <= 1 or item.delay_s < 0:
                raise EngineError(f"{type(item).__name__}: probability in [0, 1], delay >= 0")
            row = [item.probability, item.delay_s, item.start, item.end]
            if isinstance(item, Isolation):
                isolation = np.array(row, np.float64)
            else:
                quarantine = np.array([*row, item.lookback_s], np.float64)
                quarantine_s = float(item.duration_s)
        elif isinstance(item, Moratorium):
            for route in item.routes or (ALL_ROUTES,):
                moratoria.append((item.start, item.end, route, float(item.gatherings_only)))
        elif isinstance(item, EgressHold):
            holds.append((item.start, item.end))
        else:  # pragma: no cover - the union above is closed
            raise EngineError(f"unknown intervention {item!r}")
    if quarantine[0] > 0 and isolation[0] == 0:
        raise EngineError("quarantine of traced contacts needs isolation to find the index cases")
    return Controls(
        isolation=isolation,
        quarantine=quarantine,
        quarantine_s=quarantine_s,
        moratorium=np.array(moratoria, dtype=np.float64).reshape(-1, 4),
        hold=np.array(holds, dtype=np.float64).reshape(-1, 2),
    )
