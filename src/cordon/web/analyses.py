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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.roles import Actor, Permission
from cordon.errors import EngineError, InvalidValue
from cordon.services import analytics
from cordon.services.analytics import EstimateReport, ForecastReport
from cordon.services.progress import NO_PROGRESS, Progress
from cordon.services.situation import Analysis, register_analysis

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
FIRST_RUNNING = "Computing the first forecast in the background; reload the page in a few seconds."
UTC = ZoneInfo("UTC")
RETRY_FAILED = 300
"""Seconds before a failed overview forecast is tried again for the same store state."""
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]

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


def _days(value: float) -> str:
    if not math.isfinite(value):
        return "not growing"
    if value < 0:
        return f"halving in {-value:.1f}"
    return f"{value:.1f}"


def growth_figures(report: EstimateReport) -> dict[str, str]:
    """Doubling time with its interval, growth rate and the latest Rt, as labelled text."""
    out: dict[str, str] = {}
    g = report.growth
    if g is not None:
        out["doubling time (days)"] = _days(g.doubling)
        out["doubling time 95% interval (days)"] = (
            f"{_days(g.doubling_low)} to {_days(g.doubling_high)}"
        )
        out["growth rate per day"] = f"{g.rate:+.3f} ({g.rate_low:+.3f} to {g.rate_high:+.3f})"
    else:
        out["doubling time"] = f"not estimated: {report.growth_refused}"
    known = [r for r in report.rt if r.mean is not None]
    if known:
        last = known[-1]
        day = report.days[last.day - 1] if last.day - 1 < len(report.days) else f"day {last.day}"
        out[f"Rt ({report.window}-day window to {day})"] = (
            f"{last.mean:.2f} (95% {last.low:.2f} to {last.high:.2f})"
        )
    elif report.rt:
        out["Rt"] = f"not estimated: {report.rt[-1].reason}"
    else:
        out["Rt"] = f"not estimated: {report.rt_refused or 'too few days'}"
    return out


def _rt_chart(report: EstimateReport) -> dict[str, Any] | None:
    known = [r for r in report.rt if r.mean is not None]
    if not known:
        return None
    x = [report.days[r.day - 1] if r.day - 1 < len(report.days) else r.day for r in known]
    return {
        "data": [
            {"x": x, "y": [r.high for r in known], "type": "scatter", "mode": "lines",
             "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
            {"x": x, "y": [r.low for r in known], "type": "scatter", "mode": "lines",
             "line": {"width": 0}, "fill": "tonexty", "fillcolor": "rgba(192,57,43,0.2)",
             "name": "95% interval"},
            {"x": x, "y": [r.mean for r in known], "type": "scatter", "mode": "lines+markers",
             "line": {"color": "#c0392b"}, "name": "Rt"},
            {"x": [x[0], x[-1]], "y": [1, 1], "type": "scatter", "mode": "lines",
             "line": {"dash": "dot", "color": "#555"}, "name": "R = 1"},
        ],
        "layout": {"xaxis": {"type": "date", "tickformat": "%d %b"},
                   "yaxis": {"rangemode": "tozero", "title": {"text": "Rt"}}},
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
        figures=growth_figures(report),
        chart=_rt_chart(report),
        note=(
            f"From confirmations per day over {report.complete_days} complete days; "
            f"Rt over a {report.window}-day window (Cori)."
        ),
    )


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def forecast_chart(report: ForecastReport) -> dict[str, Any]:
    """A fan chart: per scenario the median beds needed and its 50% and 90% bands, with the
    isolation capacity as a line."""
    data: list[dict[str, Any]] = []
    x = report.days
    for k, s in enumerate(report.scenarios):
        color = PALETTE[k % len(PALETTE)]
        b = s.bands["beds"].to_dict()
        group = f"s{k}"
        for low, high, alpha, label in (
            ("low90", "high90", 0.12, "90%"),
            ("low50", "high50", 0.25, "50%"),
        ):
            data.append({"x": x, "y": b[high], "type": "scatter", "mode": "lines",
                         "line": {"width": 0}, "legendgroup": group, "showlegend": False,
                         "hoverinfo": "skip"})  # fmt: skip
            data.append({"x": x, "y": b[low], "type": "scatter", "mode": "lines",
                         "line": {"width": 0}, "fill": "tonexty",
                         "fillcolor": _rgba(color, alpha), "legendgroup": group,
                         "showlegend": False, "name": f"{s.name} {label}"})  # fmt: skip
        data.append({"x": x, "y": b["median"], "type": "scatter", "mode": "lines",
                     "line": {"color": color}, "legendgroup": group,
                     "name": s.name})  # fmt: skip
    if report.capacity is not None:
        data.append({"x": [x[0], x[-1]], "y": [report.capacity] * 2, "type": "scatter",
                     "mode": "lines", "line": {"dash": "dash", "color": "#000"},
                     "name": f"isolation capacity ({report.capacity})"})  # fmt: skip
    return {
        "data": data,
        "layout": {
            "height": 340,
            "xaxis": {"type": "date", "tickformat": "%d %b"},
            "yaxis": {"rangemode": "tozero", "title": {"text": "beds needed"}},
        },
    }


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
    figures = {}
    for s in report.scenarios:
        row = s.row
        figures[s.name] = (
            f"peak beds {row.peak_beds_median:.0f}; new infections {row.infections_median:.0f} "
            f"(90% {row.infections_low90:.0f} to {row.infections_high90:.0f})"
        )
    capacity = f"{report.capacity} beds" if report.capacity is not None else "no isolation beds"
    return {
        "title": f"Forecast: beds needed over {len(report.days)} days",
        "figures": figures,
        "chart": forecast_chart(report),
        "note": (
            f"{report.runs} runs per scenario ({report.model} model, {report.known_cases} known "
            f"cases), median with 50% and 90% bands; isolation capacity: {capacity}. "
        ),
    }


def forecast_analysis(session: Session, actor: Actor, at: int) -> Analysis | None:
    """Beds needed per scenario over the next days, against the isolation capacity."""
    if not actor.can(Permission.RUN_ANALYTICS):
        return None
    served = _boards.get(_url(session))
    current = True
    shown: dict[str, Any] | str
    if served is None:
        shown = _forecasts.get(_key(session, at), lambda: overview_forecast(session, actor, at))
    else:
        shown, current = served.latest(session, actor, at)
    if isinstance(shown, str):
        note = shown if shown == FIRST_RUNNING else f"No forecast: {shown}"
        return Analysis(title="Forecast: beds needed", note=note)
    if "refused" in shown:
        return Analysis(title="Forecast: beds needed", note=f"No forecast: {shown['refused']}")
    if shown.get("empty"):
        return None
    return Analysis(
        title=shown["title"],
        figures=shown["figures"],
        chart=shown["chart"],
        note=(
            shown["note"]
            + (
                "Kept until the store changes or the hour turns"
                if current
                else "Updating: this is the forecast before the latest changes; reload shortly"
            )
            + "; the API and the CLI run the full forecast."
        ),
    )


def register() -> None:
    """Add the overview's analyses (idempotent)."""
    register_analysis(growth_analysis)
    register_analysis(forecast_analysis)
