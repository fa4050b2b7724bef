"""The overview's analyses, registered through ``cordon.services.situation.register_analysis``:
growth with doubling time and Rt, and a small forecast fan chart of the beds needed per scenario
against the isolation capacity.

The forecast on the overview is kept small (OVERVIEW_RUNS runs over OVERVIEW_DAYS days) and kept
per store state (the last audited write that changes what it reads) and station hour, so
reloading the overview does not run it again. In the service a ``ForecastBoard`` queues it as a
job for the worker (one job per store state and hour, found again by its key by every web
process): a page shows the last forecast at once, marked as updating while a new one runs, and no
page ever waits for it (the first views say it is being computed). Elsewhere (the CLI report) it
runs in place. The full forecast stays in the API and the CLI.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.roles import Actor, Permission
from cordon.errors import EngineError, InvalidValue
from cordon.services import analytics
from cordon.services.analytics import EstimateReport, ForecastReport
from cordon.services.progress import NO_PROGRESS, Progress
from cordon.services.situation import Analysis, Figure, RunOut, register_analysis
from cordon.times import format_time

if TYPE_CHECKING:
    from cordon.runtime.jobs import Jobs
from cordon.store.models import AuditRow

__all__ = [
    "FIRST_RUNNING",
    "OVERVIEW_DAYS",
    "OVERVIEW_RUNS",
    "ForecastBoard",
    "board",
    "forecast_analysis",
    "forecast_chart",
    "growth_analysis",
    "overview_forecast",
    "register",
    "serve_from_queue",
]

OVERVIEW_RUNS = 200
RT_WINDOW = 7
MIN_RT_WINDOW = 3
"""Rt on the overview: a week-long window, or early on the longest that fits, not under 3 days."""
OVERVIEW_DAYS = 7
NOT_WRITES = ("read", "plan", "report", "login", "login_failed", "logout", "backup", "acknowledge")
"""Audited actions that change nothing the forecast reads."""
NOT_READ = ("alert", "access_decision", "user", "token", "session")
"""Audited entities the forecast does not read (an alert at a door changes no case)."""
FIRST_RUNNING = (
    "Computing the first forecast in the background: this page shows it as soon as it is ready."
)
UTC = ZoneInfo("UTC")
RETRY_FAILED = 300
"""Seconds before a failed overview forecast is tried again for the same store state."""
PALETTE = ["#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
DAY_MS = 86_400_000
"""One day in Plotly's date-axis units (one tick a day, none repeated)."""

Key = tuple[str, int, int]
"""A store (its URL), its state (``_state``) and the station hour."""
T = TypeVar("T")


class _Recent(Generic[T]):
    """The last few results per key, shared by the threads serving pages."""

    def __init__(self, size: int = 8) -> None:
        self._found: OrderedDict[Key, T] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Key, compute: Callable[[], T]) -> T:
        """The result kept for ``key``, else ``compute()`` (outside the lock) kept for it."""
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
                return self._found[key]
        value = compute()
        with self._lock:
            self._found[key] = value
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return value


_forecasts: _Recent[dict[str, Any]] = _Recent()
_growth: _Recent[Analysis | None] = _Recent()


def growth_figures(report: EstimateReport) -> list[Figure]:
    """Doubling time and growth rate with their 95% intervals, and the latest Rt, as numbers."""
    out: list[Figure] = []
    g = report.growth
    if g is not None:
        growing = math.isfinite(g.doubling) and g.doubling > 0
        out.append(
            Figure(
                "doubling_time",
                "doubling time",
                g.doubling if growing else None,
                g.doubling_low if growing and math.isfinite(g.doubling_low) else None,
                g.doubling_high if growing and math.isfinite(g.doubling_high) else None,
                unit="days",
                interval="95%",
                note="" if growing else "not growing",
            )
        )
        out.append(
            Figure("growth_rate", "growth rate", g.rate, g.rate_low, g.rate_high, "per day", "95%")
        )
    else:
        out.append(Figure("doubling_time", "doubling time", None, note=report.growth_refused))
    known = [r for r in report.rt if r.mean is not None]
    if known:
        last = known[-1]
        day = report.days[last.day - 1] if last.day - 1 < len(report.days) else f"day {last.day}"
        out.append(
            Figure(
                "rt",
                "Rt",
                last.mean,
                last.low,
                last.high,
                interval="95%",
                note=f"{report.window}-day window to {day}",
            )
        )
    else:
        reason = report.rt[-1].reason if report.rt else report.rt_refused or "too few days"
        out.append(Figure("rt", "Rt", None, note=reason))
    return out


def rt_points(report: EstimateReport, least: int = 3) -> tuple[int, list[dict[str, Any]]]:
    """Rt per day for the chart: the report's window, shortened until it gives at least
    ``least`` days (not under one day); each day with its 95% interval and whether its window
    holds enough cases for a posterior CV under 0.3 (``firm``), the others drawn as tentative."""
    from cordon.engine.rt import Refusal, estimate_rt

    cases = np.asarray(report.cases[: report.complete_days], dtype=np.float64)
    si = np.asarray(report.serial_interval)
    window = report.window
    while window > 1 and len(cases) - window < least:
        window -= 1
    if len(cases) <= window:
        return window, []
    loose = estimate_rt(cases, si, window=window, cv_posterior=None)
    strict = estimate_rt(cases, si, window=window)
    out = []
    for k, end in enumerate(loose.end_day):
        if not math.isfinite(float(loose.mean[k])):
            continue
        day = report.days[int(end)] if int(end) < len(report.days) else None
        out.append(
            {
                "day": day,
                "mean": float(loose.mean[k]),
                "low": float(loose.low[k]),
                "high": float(loose.high[k]),
                "firm": int(strict.refusal[k]) == Refusal.NONE,
            }
        )
    return window, out


def rt_chart(report: EstimateReport) -> dict[str, Any] | None:
    """Rt per day with its 95% band, firm days as filled dots and tentative ones hollow, and
    the R = 1 threshold across the whole chart."""
    window, points = rt_points(report)
    points = [p for p in points if p["day"] is not None]
    if not points:
        return None
    x = [p["day"] for p in points]
    firm = [p for p in points if p["firm"]]
    loose = [p for p in points if not p["firm"]]
    data: list[dict[str, Any]] = [
        {"x": x, "y": [p["high"] for p in points], "type": "scatter", "mode": "lines",
         "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
        {"x": x, "y": [p["low"] for p in points], "type": "scatter", "mode": "lines",
         "line": {"width": 0}, "fill": "tonexty", "fillcolor": "rgba(192,57,43,0.15)",
         "name": "95% interval"},
        {"x": x, "y": [p["mean"] for p in points], "type": "scatter", "mode": "lines",
         "line": {"color": "#c0392b", "width": 2}, "name": f"Rt ({window}-day window)"},
    ]  # fmt: skip
    if firm:
        data.append({"x": [p["day"] for p in firm], "y": [p["mean"] for p in firm],
                     "type": "scatter", "mode": "markers", "name": "enough cases",
                     "marker": {"color": "#c0392b", "size": 9}})  # fmt: skip
    if loose:
        data.append({"x": [p["day"] for p in loose], "y": [p["mean"] for p in loose],
                     "type": "scatter", "mode": "markers", "name": "under 11 cases: tentative",
                     "marker": {"color": "#fff", "size": 9,
                                "line": {"color": "#c0392b", "width": 2}}})  # fmt: skip
    top = max(2.0, *(p["high"] for p in points))
    return {
        "data": data,
        "layout": {
            "xaxis": {"type": "date", "tickformat": "%d %b", "dtick": DAY_MS},
            "yaxis": {"range": [0, min(top, 12) * 1.08], "title": {"text": "Rt"}},
            "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1, "y1": 1,
                        "line": {"color": "#222", "width": 2, "dash": "dash"}}],
            "annotations": [{"xref": "paper", "x": 1, "y": 1, "xanchor": "right",
                             "yanchor": "bottom", "text": "R = 1", "showarrow": False,
                             "font": {"color": "#222"}}],
        },
    }  # fmt: skip


def growth_analysis(session: Session, actor: Actor, at: int) -> Analysis | None:
    """Doubling time and Rt from the daily confirmations (today left out), estimated once per
    store state and station hour."""
    if not actor.can(Permission.RUN_ANALYTICS):
        return None
    return _growth.get(_key(session, at), lambda: _estimate(session, actor, at))


def _estimate(session: Session, actor: Actor, at: int) -> Analysis | None:
    try:
        report = analytics.estimate(session, actor=actor, now=at, window=RT_WINDOW)
    except EngineError:
        return None  # no confirmed case yet: nothing to show
    if not any(report.cases):
        return None
    shorter = min(RT_WINDOW, report.complete_days - 1)
    if not any(r.mean is not None for r in report.rt) and shorter >= MIN_RT_WINDOW:
        # Early on the week-long window does not fit yet: the longest one that does.
        report = analytics.estimate(session, actor=actor, now=at, window=shorter)
    return Analysis(
        title="Growth, doubling time and Rt",
        key="growth",
        figures=growth_figures(report),
        chart=rt_chart(report),
        note=(
            f"From confirmations per day over {report.complete_days} complete days (today left "
            f"out); Rt over a {report.window}-day window (Cori et al.); hollow dots have under "
            "11 cases in their window and a wide interval."
        ),
    )


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def forecast_chart(report: ForecastReport) -> dict[str, Any]:
    """Beds needed per scenario: each median a distinct line (colour and dash), its 90% band a
    light fill, on a log axis so the isolation capacity stays visible beside the no-action
    growth."""
    data: list[dict[str, Any]] = []
    x = report.days
    for k, s in enumerate(report.scenarios):
        color = PALETTE[k % len(PALETTE)]
        b = s.bands["beds"].to_dict()
        group = f"s{k}"
        data.append({"x": x, "y": b["high90"], "type": "scatter", "mode": "lines",
                     "line": {"width": 0}, "legendgroup": group, "showlegend": False,
                     "hoverinfo": "skip"})  # fmt: skip
        data.append({"x": x, "y": b["low90"], "type": "scatter", "mode": "lines",
                     "line": {"width": 0}, "fill": "tonexty", "fillcolor": _rgba(color, 0.07),
                     "legendgroup": group, "showlegend": False,
                     "name": f"{s.name} 90%"})  # fmt: skip
        data.append({"x": x, "y": b["median"], "type": "scatter", "mode": "lines+markers",
                     "line": {"color": color, "width": 2.5, "dash": DASHES[k % len(DASHES)]},
                     "marker": {"size": 5}, "legendgroup": group,
                     "name": f"{s.name} (median)"})  # fmt: skip
    if report.capacity is not None:
        data.append({"x": [x[0], x[-1]], "y": [report.capacity] * 2, "type": "scatter",
                     "mode": "lines", "line": {"dash": "dash", "color": "#000", "width": 2},
                     "name": f"isolation beds ({report.capacity})"})  # fmt: skip
    return {
        "data": data,
        "layout": {
            "height": 380,
            "xaxis": {"type": "date", "tickformat": "%d %b", "dtick": DAY_MS},
            "yaxis": {"type": "log", "title": {"text": "beds needed (log scale)"}},
        },
    }


def run_out(report: ForecastReport, scenario: int = 0) -> RunOut | None:
    """When the beds run out under one scenario (the first: no action), from its bands."""
    if report.capacity is None or not report.scenarios or not report.days:
        return None
    s = report.scenarios[scenario]
    b = s.bands["beds"].to_dict()

    def first(values: list[float]) -> str | None:
        return next((d for d, v in zip(report.days, values, strict=True)
                     if v > report.capacity), None)  # type: ignore[operator]  # fmt: skip

    cap = s.row.capacity
    return RunOut(
        scenario=s.name,
        capacity=report.capacity,
        median=first(b["median"]),
        earliest=first(b["high90"]),
        latest=first(b["low90"]),
        horizon=report.days[-1],
        probability=cap.ever if cap is not None else 0.0,
    )


def _url(session: Session) -> str:
    return str(session.get_bind().engine.url)


def _key(session: Session, at: int) -> Key:
    return _url(session), _state(session), at // 3600


def _state(session: Session) -> int:
    """The last audited write: changes whenever anything the forecast reads changes."""
    query = select(func.max(AuditRow.pk)).where(
        AuditRow.action.not_in(NOT_WRITES), AuditRow.entity.not_in(NOT_READ)
    )
    return int(session.scalar(query) or 0)


class ForecastBoard:
    """The overview's forecast of one store, run as a job by the worker."""

    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs
        self._lock = threading.Lock()

    def latest(self, session: Session, actor: Actor, at: int) -> tuple[dict[str, Any] | str, bool]:
        """The newest forecast (or why there is none yet) and whether it is for the store as it
        is now; queues a new one when the store or the hour has changed. Never waits."""
        from cordon.runtime.tasks import OverviewForecastTask, Who

        key = ":".join(str(k) for k in _key(session, at)[1:])
        with self._lock:
            mine, shown = self.jobs.latest(key)
            if mine is None or (mine.status == "failed" and mine.finished_at is not None
                                and mine.finished_at < time.time() - RETRY_FAILED):  # fmt: skip
                mine = self.jobs.submit(
                    OverviewForecastTask(Who.of(actor), at), owner="service", key=key
                )
                shown = shown or self.jobs.latest_done(mine.kind)
        if mine.status == "done" and mine.result is not None:
            return mine.result, True
        if mine.status == "failed" and shown is None:
            return mine.error or "the forecast failed", True
        if shown is not None and shown.result is not None:
            return shown.result, False
        return FIRST_RUNNING, False


_boards: dict[str, ForecastBoard] = {}


def serve_from_queue(url: str, jobs: Jobs) -> None:
    """Have the overview forecast of the store at ``url`` run as jobs of ``jobs``."""
    _boards[url] = ForecastBoard(jobs)


def board(url: str) -> ForecastBoard | None:
    """The board serving the store at ``url``, if a service set one up."""
    return _boards.get(url)


def overview_forecast(
    session: Session, actor: Actor, at: int, progress: Progress = NO_PROGRESS
) -> dict[str, Any]:
    """The overview's small forecast as plain data: title, figures, chart and note, or why
    there is none (``refused``)."""
    try:
        report = analytics.forecast(
            session, actor=actor, days=OVERVIEW_DAYS, runs=OVERVIEW_RUNS, seed=0, now=at,
            progress=progress,
        )  # fmt: skip
    except (EngineError, InvalidValue) as exc:
        return {"refused": str(exc)}
    return _forecast_figures(report)


def _forecast_figures(report: ForecastReport) -> dict[str, Any]:
    if not report.scenarios:
        return {"empty": True}
    figures = []
    for s in report.scenarios:
        row = s.row
        figures.append(
            Figure(f"{s.name}:infections", f"{s.name}: new infections", row.infections_median,
                   row.infections_low90, row.infections_high90, interval="90%").to_dict()
        )  # fmt: skip
        figures.append(
            Figure(f"{s.name}:peak_beds", f"{s.name}: peak beds needed",
                   row.peak_beds_median).to_dict()
        )  # fmt: skip
    capacity = f"{report.capacity} beds" if report.capacity is not None else "no isolation beds"
    found = run_out(report)
    return {
        "title": f"Forecast: beds needed over {len(report.days)} days",
        "figures": figures,
        "chart": forecast_chart(report),
        "run_out": found.to_dict() if found is not None else None,
        "note": (
            f"{report.runs} runs per scenario ({report.model} model, {report.known_cases} known "
            f"cases), medians with 90% bands; isolation capacity: {capacity}. "
        ),
    }


def observed_beds(session: Session, at: int, days: int = OVERVIEW_DAYS) -> dict[str, Any] | None:
    """Beds needed as recorded (everyone under a quarantine or isolation order at each station
    day's end, today at ``at``) over the last ``days`` days: a trace to lay over the forecast."""
    from cordon.domain.cases import Containment
    from cordon.domain.orders import OrderKind
    from cordon.services.series import midnight
    from cordon.store import cases as case_store
    from cordon.store import containment as records

    views = records.order_views(session, kinds=(OrderKind.QUARANTINE, OrderKind.ISOLATION))
    gone = {
        c.person: c.since
        for c in case_store.list_cases(session)
        if c.containment in (Containment.MISSING, Containment.DEPARTED)
    }
    today = midnight(at, UTC)
    ends = [today - k * 86400 for k in range(days - 1, 0, -1)] + [at]

    def held(t: int) -> int:
        return len({v.order.person for v in views if v.order.start <= t
                    and (v.effective_end is None or t < v.effective_end)
                    and not (v.order.person in gone and gone[v.order.person] <= t)})  # fmt: skip

    counts = [held(t) for t in ends]
    if not any(counts):
        return None
    x = [format_time(t, UTC)[:10] for t in ends]
    return {"x": x, "y": counts, "type": "scatter", "mode": "lines+markers",
            "name": "recorded (under order, aboard)", "line": {"color": "#111", "width": 3},
            "marker": {"size": 8, "color": "#111"}}  # fmt: skip


def _figures(raw: Any) -> list[Figure]:
    if not isinstance(raw, list):
        return []  # a result kept by an older version: text only
    return [Figure(**f) for f in raw]


def forecast_analysis(session: Session, actor: Actor, at: int) -> Analysis | None:
    """Beds needed per scenario over the next days, against the isolation capacity, with the
    recorded beds of the last days over it and the day they run out."""
    if not actor.can(Permission.RUN_ANALYTICS):
        return None
    served = _boards.get(_url(session))
    current = True
    shown: dict[str, Any] | str
    if served is None:
        shown = _forecasts.get(_key(session, at), lambda: overview_forecast(session, actor, at))
    else:
        shown, current = served.latest(session, actor, at)
    title = "Forecast: beds needed"
    if isinstance(shown, str):
        if shown == FIRST_RUNNING:
            return Analysis(title=title, key="forecast", note=shown, status="computing")
        return Analysis(title=title, key="forecast", note=f"No forecast: {shown}", status="refused")
    if "refused" in shown:
        return Analysis(
            title=title, key="forecast", note=f"No forecast: {shown['refused']}", status="refused"
        )
    if shown.get("empty"):
        return None
    chart = shown["chart"]
    observed = observed_beds(session, at)
    if observed is not None and chart is not None:
        chart = {**chart, "data": [*chart["data"], observed]}
    found = shown.get("run_out")
    return Analysis(
        title=shown["title"],
        key="forecast",
        figures=_figures(shown["figures"]),
        chart=chart,
        status="ready" if current else "updating",
        run_out=RunOut(**found) if isinstance(found, dict) else None,
        note=(
            shown["note"]
            + (
                "Kept until the store changes or the hour turns"
                if current
                else "Updating: this is the forecast before the latest changes"
            )
            + "; the API and the CLI run the full forecast."
        ),
    )


def register() -> None:
    """Add the overview's analyses (idempotent)."""
    register_analysis(growth_analysis)
    register_analysis(forecast_analysis)
