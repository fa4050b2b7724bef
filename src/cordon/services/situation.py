"""The situation at a glance: counts by state, the epidemic curve, and the registered analyses.

Everything here is an aggregate (no names), so every reading role, the observer included, may see
it. Later analyses (doubling time, Rt, forecast fan chart, isolation capacity) plug in through
``ANALYSES`` without touching the dashboard or the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.cases import STORED_CONTAINMENT, Clinical, Containment
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import EngineError
from cordon.services.series import event_times, midnight, station_series
from cordon.services.transaction import unit_of_work
from cordon.store import audit, cases, epidemic, listings
from cordon.store.models import AlertRow, OrderRow, PersonRow, PlaceRow

__all__ = [
    "ANALYSES",
    "Analysis",
    "Beds",
    "Curve",
    "Figure",
    "RunOut",
    "Situation",
    "note_report",
    "register_analysis",
    "situation",
]


@dataclass(frozen=True)
class Curve:
    """Daily counts by station day (epoch seconds of the day's start), one series per name;
    ``complete[k]`` is False for today (still under way)."""

    days: list[int]
    series: dict[str, list[int]]
    complete: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    """A labelled number with its interval, as typed values (the API) and as text (the pages):
    ``value`` None when it could not be estimated, ``note`` then saying why."""

    key: str
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    interval: str = ""
    """What ``low``/``high`` are, e.g. "95%"."""
    note: str = ""

    def text(self) -> str:
        """The figure as a person reads it: ``1.1 days (95% 0.7 to 3.8)``."""
        if self.value is None:
            return f"not estimated: {self.note}" if self.note else "not estimated"
        unit = f" {self.unit}" if self.unit else ""
        out = f"{_num(self.value)}{unit}"
        if self.low is not None and self.high is not None:
            label = f"{self.interval} " if self.interval else ""
            out += f" ({label}{_num(self.low)} to {_num(self.high)})"
        if self.note:
            out += f"; {self.note}"
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain values (kept in a job's result)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _num(x: float) -> str:
    if x == int(x):
        return f"{int(x):,}"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:,.0f}"


@dataclass(frozen=True)
class RunOut:
    """When the beds run out under one scenario: the first station day (ISO date) on which the
    median of the runs needs more beds than there are, and the 90% band of that day (the first
    day the 95th percentile exceeds them, the first day the 5th does); None: not within the
    forecast's days."""

    scenario: str
    capacity: int
    median: str | None
    earliest: str | None
    latest: str | None
    horizon: str
    """The forecast's last day."""
    probability: float
    """Share of runs that exceed the beds on some day of the forecast."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values (kept in a job's result)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Analysis:
    """One registered analysis result for the overview and the report.

    ``figures`` are labelled numbers with their intervals; ``chart`` is an optional Plotly figure
    dict ({"data": [...], "layout": {...}}) drawn by the dashboard as it is; ``status`` is
    ``ready``, ``computing`` (nothing to show yet: the page refreshes itself when it is ready),
    ``updating`` (an older result while a new one runs) or ``refused`` (``note`` says why).
    """

    title: str
    figures: list[Figure] = field(default_factory=list)
    chart: dict[str, Any] | None = None
    note: str = ""
    key: str = ""
    status: str = "ready"
    run_out: RunOut | None = None


AnalysisHook = Callable[[Session, Actor, int], Analysis | None]
"""Called with the session, the reader and the station clock (epoch seconds)."""
ANALYSES: list[AnalysisHook] = []
"""HOOK (issue 4 and later): functions adding an Analysis to the overview and the report, e.g.
growth and doubling time, Rt, a forecast fan chart with scenarios, isolation capacity over time.
A hook returns None when it has nothing to show (no data yet); it is then left out entirely."""


def register_analysis(hook: AnalysisHook) -> AnalysisHook:
    """Add an analysis to the overview (usable as a decorator)."""
    if hook not in ANALYSES:
        ANALYSES.append(hook)
    return hook


@dataclass(frozen=True)
class Beds:
    """Isolation beds now: how many there are, how many the isolated cases hold, how many are
    left, and (from the forecast, when one is ready) when they run out."""

    capacity: int
    isolated: int
    left: int
    run_out: RunOut | None = None


@dataclass(frozen=True)
class Situation:
    """What the overview page and the report show."""

    at: int
    people: int
    places: int
    clinical: dict[str, int]
    containment: dict[str, int]
    active_orders: dict[str, int]
    open_alerts: int
    curve: Curve
    analyses: list[Analysis]
    beds: Beds


def _curve(session: Session, at: int, zone: tzinfo) -> Curve:
    """The confirmed cases are the series ``cordon incidence`` counts (station days, today
    incomplete); exposures and first positive specimens are laid on the same days."""
    try:
        confirmed = station_series(event_times(session, "confirmation"), now=at, zone=zone)
    except EngineError:
        confirmed = None
    series_by_day: dict[str, dict[int, int]] = {
        "exposed": listings.daily_counts(session, "exposed_at"),
        "first positive specimen": listings.lab_daily(session),
    }
    if confirmed is not None:
        series_by_day = {
            "confirmed": {
                int(d): int(c) for d, c in zip(confirmed.day_start, confirmed.cases, strict=True)
            },
            **series_by_day,
        }
    if not any(series_by_day.values()):
        return Curve([], {})
    first = midnight(min(min(s) for s in series_by_day.values() if s), zone)
    last = max(max(s) for s in series_by_day.values() if s)
    days = [first]
    while days[-1] + 86400 <= last:
        days.append(midnight(days[-1] + 36 * 3600, zone))  # the next station day, DST or not
    rows = {
        name: [sum(n for d, n in counts.items() if day <= d < nxt) for day, nxt in _spans(days)]
        for name, counts in series_by_day.items()
        if counts
    }
    return Curve(days, rows, [nxt <= at for _, nxt in _spans(days)])


def _spans(days: list[int]) -> list[tuple[int, int]]:
    return [(d, days[k + 1] if k + 1 < len(days) else d + 86400) for k, d in enumerate(days)]


def situation(
    session: Session, *, actor: Actor, at: int | None = None, zone: tzinfo = UTC
) -> Situation:
    """The overview at ``at`` (the station clock; default: the wall clock): counts by state,
    active orders by kind, open alerts, the epidemic curve and the registered analyses."""
    require(actor, Permission.READ_AGGREGATES)
    at = int(time.time()) if at is None else at
    clinical = {c.value: 0 for c in Clinical}
    containment = {k.value: 0 for k in STORED_CONTAINMENT}
    for (c, k), n in cases.count_by_state(session).items():
        if c is not None:
            clinical[c] += n
        containment[k] += n
    people = int(session.scalar(select(func.count()).select_from(PersonRow)) or 0)
    containment[Containment.FREE.value] = people - sum(
        n for k, n in containment.items() if k != Containment.FREE.value
    )
    orders = dict(
        session.execute(
            select(OrderRow.kind, func.count())
            .where(OrderRow.status == "active")
            .group_by(OrderRow.kind)
        ).all()
    )
    analyses = [a for hook in ANALYSES if (a := hook(session, actor, at)) is not None]
    capacity = epidemic.bed_capacity(session)
    isolated = containment[Containment.ISOLATED.value]
    beds = Beds(
        capacity=capacity,
        isolated=isolated,
        left=capacity - isolated,
        run_out=next((a.run_out for a in analyses if a.run_out is not None), None),
    )
    return Situation(
        at=at,
        people=people,
        places=int(session.scalar(select(func.count()).select_from(PlaceRow)) or 0),
        clinical=clinical,
        containment=containment,
        active_orders={str(k): int(n) for k, n in orders.items()},
        open_alerts=int(
            session.scalar(
                select(func.count()).select_from(AlertRow).where(AlertRow.acknowledged_at.is_(None))
            )
            or 0
        ),
        curve=_curve(session, at, zone),
        analyses=analyses,
        beds=beds,
    )


def note_report(session: Session, *, actor: Actor, cases: int, orders: int) -> None:
    """Write to the audit log that the actor produced a situation report with these lists."""
    require(actor, Permission.READ_AGGREGATES)
    with unit_of_work(session):
        audit.record(
            session,
            actor=actor.name,
            action="report",
            entity="report",
            entity_id=None,
            after={"cases": cases, "orders": orders},
        )
