"""``cordon incidence``, ``cordon estimate`` and ``cordon forecast``."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, table
from cordon.cli.progress import LazyProgress
from cordon.engine.growth import Growth
from cordon.errors import InvalidValue
from cordon.services import analytics
from cordon.services.scenarios import load_scenarios

__all__ = ["register"]

JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]
BY = Annotated[str, typer.Option("--by", help="Count cases by confirmation or onset date.")]


def _read_columns(path: Path, first: str, second: str) -> list[tuple[int, float]]:
    """Rows of a two-column CSV file with the given header, as (int, number) pairs."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InvalidValue(f"cannot read {path}: {exc.strerror}") from exc
    if not rows or [c.strip().lower() for c in rows[0][:2]] != [first, second]:
        raise InvalidValue(f"{path}: the first line must be the header '{first},{second}'")
    out: list[tuple[int, float]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            out.append((int(row[0]), float(row[1])))
        except (ValueError, IndexError):
            raise InvalidValue(
                f"{path} line {number}: expected '{first},{second}' numbers"
            ) from None
    if not out:
        raise InvalidValue(f"{path}: no rows")
    keys = [k for k, _ in out]
    if len(set(keys)) != len(keys):
        raise InvalidValue(f"{path}: a {first} appears twice")
    return sorted(out)


def _incidence_file(path: Path) -> np.ndarray:
    rows = _read_columns(path, "day", "cases")
    first = rows[0][0]
    cases = np.zeros(rows[-1][0] - first + 1, dtype=np.int64)
    for day, count in rows:
        if count < 0 or count != int(count):
            raise InvalidValue(f"{path}: day {day} has {count} cases (whole numbers >= 0)")
        cases[day - first] = int(count)
    return cases


def _si_file(path: Path) -> np.ndarray:
    rows = _read_columns(path, "days", "probability")
    if rows[0][0] < 0:
        raise InvalidValue(f"{path}: serial interval days start at 0")
    si = np.zeros(rows[-1][0] + 1)
    for day, p in rows:
        si[day] = p
    return si


def _num(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _doubling_line(g: Growth) -> str:
    def days(x: float) -> str:
        return "never" if math.isinf(x) else f"{abs(x):.2f}"

    if g.rate_low > 0:
        return (
            f"doubling time {days(g.doubling)} days (95% {days(g.doubling_low)} to "
            f"{days(g.doubling_high)})"
        )
    if g.rate_high < 0:
        return (
            f"shrinking: halving time {days(g.doubling)} days (95% {days(g.doubling_low)} "
            f"to {days(g.doubling_high)})"
        )
    return (
        f"no clear growth or decline (doubling time {days(g.doubling)} days if anything; "
        f"95% interval from {days(g.doubling_low)} days to never)"
    )


def incidence(ctx: typer.Context, by: BY = "confirmation", as_json: JSON = False) -> None:
    """Daily new cases from the store, zero days included; today is marked incomplete."""
    rt = runtime(ctx)
    with rt.session() as session:
        report = analytics.incidence(
            session, actor=rt.actor, by=by, now=rt.now(), zone=rt.settings.zone
        )
    if as_json:
        emit_json(report.to_dict())
        return
    rows = [
        (d, c, "" if ok else "incomplete")
        for d, c, ok in zip(report.days, report.cases, report.complete, strict=True)
    ]
    table(f"new cases by {report.by} date", ["day", "cases", ""], rows)


def estimate(
    ctx: typer.Context,
    window: Annotated[int, typer.Option(min=1, help="Days in each Rt window.")] = 7,
    si_mean: Annotated[float | None, typer.Option(help="Serial interval mean (days).")] = None,
    si_sd: Annotated[float | None, typer.Option(help="Serial interval sd (days).")] = None,
    serial_interval: Annotated[
        Path | None, typer.Option(help="A 'days,probability' file: the serial interval.")
    ] = None,
    incidence_file: Annotated[
        Path | None, typer.Option("--incidence", help="A 'day,cases' file instead of the store.")
    ] = None,
    by: BY = "confirmation",
    as_json: JSON = False,
) -> None:
    """Growth rate, doubling time and Rt (Cori et al. 2013) with 95% intervals."""
    rt = runtime(ctx)
    si = _si_file(serial_interval) if serial_interval else None
    if incidence_file is not None:
        report = analytics.estimate_counts(
            _incidence_file(incidence_file), window=window, si_mean=si_mean, si_sd=si_sd, si=si
        )
    else:
        with rt.session() as session:
            report = analytics.estimate(
                session,
                actor=rt.actor,
                window=window,
                si_mean=si_mean,
                si_sd=si_sd,
                si=si,
                by=by,
                now=rt.now(),
                zone=rt.settings.zone,
            )
    if as_json:
        emit_json(report.to_dict())
        return
    g = report.growth
    if g is None:
        console.print(f"growth rate: not estimated ({report.growth_refused})")
    else:
        console.print(
            f"growth rate {g.rate:.3f}/day (95% {g.rate_low:.3f} to {g.rate_high:.3f}) "
            f"from {g.cases} cases over {g.days} days"
        )
        console.print(_doubling_line(g))
    if report.rt_refused:
        console.print(f"Rt: not estimated ({report.rt_refused})")
        return
    label = (lambda d: report.days[d - 1]) if report.days else str
    table(
        f"R by {report.window}-day window (posterior mean, 95% credible interval)",
        ["window end", "R", "low", "high", "note"],
        [(label(r.day), _num(r.mean), _num(r.low), _num(r.high), r.reason) for r in report.rt],
    )


def forecast(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, help="Days ahead.")] = 14,
    runs: Annotated[int, typer.Option(min=1, help="Runs per scenario.")] = 1000,
    scenario: Annotated[
        Path | None, typer.Option(help="A JSON file of scenarios (default: the standard five).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the ensemble.")] = 0,
    capacity: Annotated[
        int | None, typer.Option(help="Beds (default: the wards and isolation rooms).")
    ] = None,
    now: Annotated[str | None, typer.Option(help="Forecast as of this time.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG chart to this file.")] = None,
    as_json: JSON = False,
) -> None:
    """Forecast cases, isolated persons and beds under each scenario, with 50%/90% bands."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    at = rt.when(now)
    with rt.session() as session, LazyProgress(enabled=not as_json) as progress:
        today = analytics.today_start(at, zone)
        chosen = load_scenarios(scenario, zone=zone, today=today) if scenario else None
        report = analytics.forecast(
            session,
            actor=rt.actor,
            days=days,
            runs=runs,
            scenarios=chosen,
            scheduler=scheduler,
            seed=seed,
            capacity=capacity,
            now=at,
            zone=zone,
            progress=progress,
        )
    if plot is not None:
        _plot(report, plot)
    if as_json:
        emit_json(report.to_dict())
        return
    beds = report.capacity or "unknown"
    console.print(
        f"{report.model}; {report.runs} runs per scenario, seed {report.seed}; "
        f"{report.known_cases} known cases; beds {beds}"
    )
    if report.calibration is not None:
        verdict = "calibrated" if report.calibration.met else "NOT calibrated"
        console.print(f"{verdict}: {report.calibration.note}")
    rows: list[tuple[Any, ...]] = []
    for s in report.scenarios:
        cap = s.row.capacity
        first = "" if cap is None or cap.first_day is None else report.days[cap.first_day]
        rows.append(
            (
                s.name,
                f"{s.row.infections_median:.0f}",
                f"{s.row.infections_low90:.0f}-{s.row.infections_high90:.0f}",
                f"{s.row.peak_beds_median:.0f}",
                first or "not within horizon",
                "" if cap is None else f"{cap.probability:.0%}",
                "" if cap is None else f"{cap.ever:.0%}",
            )
        )
    table(
        f"scenarios over {days} days from {report.days[0]}",
        [
            "scenario",
            "new infections",
            "90% band",
            "peak beds",
            "beds exceeded on",
            "P(that day)",
            "P(ever)",
        ],
        rows,
    )
    if plot is not None:
        console.print(f"chart written to {plot}")


def _plot(report: analytics.ForecastReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    x = np.arange(len(report.days))
    for s in report.scenarios:
        for ax, key in zip(axes, ("cases", "beds"), strict=True):
            b = s.bands[key]
            (line,) = ax.plot(x, b.median, label=s.name)
            ax.fill_between(x, b.low90, b.high90, color=line.get_color(), alpha=0.1)
            ax.fill_between(x, b.low50, b.high50, color=line.get_color(), alpha=0.25)
    if report.capacity:
        axes[1].axhline(report.capacity, color="black", linestyle="--", label="beds")
    axes[0].set_title("new confirmed cases, cumulative (median, 50% and 90% bands)")
    axes[1].set_title("beds needed (isolated and quarantined)")
    for ax in axes:
        ax.set_xticks(
            x[:: max(1, len(x) // 7)], [report.days[i] for i in x[:: max(1, len(x) // 7)]]
        )
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("incidence")(incidence)
    app.command("estimate")(estimate)
    app.command("forecast")(forecast)
