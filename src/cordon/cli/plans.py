"""``cordon plan housing`` and ``cordon plan roster``: beds for everyone under order, guards at
every exit."""

from __future__ import annotations

from collections import Counter
from datetime import tzinfo
from typing import Annotated, Any, Literal

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, table
from cordon.errors import InvalidValue
from cordon.services import plans
from cordon.times import format_time, parse_time

__all__ = ["register"]

TIME_KEYS = {"at", "start", "end", "runs_out_at", "runs_out_at_converted"}
plan_app = typer.Typer(help="Optimised plans: beds and guards.", no_args_is_help=True)


def _pairs(items: list[str], what: str) -> dict[str, int]:
    """``NAME=N`` options as a mapping."""
    out = {}
    for item in items:
        name, sep, count = item.partition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise InvalidValue(f"{what} {item!r} is not NAME=NUMBER")
        out[name.strip()] = int(count)
    return out


def _times(data: Any, zone: tzinfo) -> Any:
    """``data`` with every epoch time under a time key as ISO-8601 text in the station zone."""
    if isinstance(data, dict):
        return {
            k: format_time(v, zone) if k in TIME_KEYS and isinstance(v, int) else _times(v, zone)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_times(v, zone) for v in data]
    return data


@plan_app.command("housing")
def housing(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option(help="The moment to plan for (default: now).")] = None,
    convert: Annotated[
        list[str] | None,
        typer.Option(help="A room that may be converted, with its beds: ID=BEDS (repeatable)."),
    ] = None,
    no_convert: Annotated[
        bool, typer.Option("--no-convert", help="Convert no room: house in wards only.")
    ] = False,
    extra: Annotated[
        list[str] | None,
        typer.Option(
            help="More people to house as their own cohort (repeatable): NAME=COUNT, "
            "NAME=ID,ID,..., NAME=role:ROLE or NAME=affiliation:TEXT (named people)."
        ),
    ] = None,
    mix: Annotated[
        list[str] | None,
        typer.Option(help="Cohorts that may share a room: confirmed,scientist (repeatable)."),
    ] = None,
    forecast: Annotated[
        str | None,
        typer.Option(
            help="Beds the confirmed cohort needs per day from --at: 16,24,40,... or 'auto' "
            "(from the no-action forecast)."
        ),
    ] = None,
    cohort: Annotated[
        str, typer.Option("--forecast-cohort", help="The cohort the forecast counts.")
    ] = "confirmed",
    time_limit: Annotated[float, typer.Option(min=0.1, help="Solver time limit, seconds.")] = 10.0,
    bring_back: Annotated[
        bool, typer.Option("--bring-back", help="Plan beds for cases off the station too.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Beds for everyone isolated or quarantined (and missing cases aboard; those off the
    station with --bring-back): one cohort per room, current occupants kept, a hall converted
    when the wards are full."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    when = rt.when(at)
    rooms: dict[str, int] | bool | None = _pairs(convert, "--convert") if convert else None
    if no_convert:
        rooms = False
    needed: list[float] | Literal["auto"] | None = None
    if forecast and forecast.strip().lower() == "auto":
        needed = "auto"
    elif forecast:
        try:
            needed = [float(x) for x in forecast.split(",") if x.strip()]
        except ValueError:
            raise InvalidValue(f"--forecast {forecast!r} is not numbers split by commas") from None
    with rt.session() as session:
        plan = plans.plan_housing(
            session,
            actor=rt.actor,
            at=when,
            convert=rooms,
            extra=plans.parse_extra(extra or []),
            mix=plans.parse_mix(mix or []),
            forecast=needed,
            forecast_cohort=cohort,
            zone=zone,
            time_limit_s=time_limit,
            bring_back=bring_back,
        )
    if as_json:
        emit_json(_times(plan.to_dict(), zone))
        return
    counts = Counter(b.cohort for b in plan.beds)
    console.print(
        f"[bold]housing plan[/] at {moment(plan.at, zone)}: {len(plan.beds)} people "
        f"({', '.join(f'{n} {c}' for c, n in counts.items()) or 'nobody under order'}); "
        f"{plan.status}, gap {plan.gap:.1%}, {plan.wall_s:.2f} s"
    )
    table(
        "rooms",
        ["room", "kind", "beds", "held", "assigned", "cohort", "convert"],
        [
            (
                u.room,
                u.kind,
                u.beds,
                u.held_by_others,
                u.assigned,
                u.cohort or "",
                "yes" if u.convert else "no",
            )
            for u in plan.rooms
            if u.assigned or u.held_by_others or u.kind != "hall"
        ],
    )
    table(
        "beds",
        ["person", "cohort", "order", "now in", "to", "action"],
        [
            (b.person, b.cohort, b.containment, b.current or "", b.room or "", b.action)
            for b in plan.beds
        ],
    )
    if plan.forecast is not None:
        f = plan.forecast
        if plan.forecast_source and plan.forecast_source != "given":
            console.print(f"beds needed from {plan.forecast_source}: {_counts(f.needed)}")
        console.print(
            f"forecast ({f.cohort}): {f.beds_now} beds as things stand, run out "
            f"{_day(f.runs_out_day, f.runs_out_at, zone)}; {f.beds_converted} with every "
            f"conversion, run out {_day(f.runs_out_day_converted, f.runs_out_at_converted, zone)}"
        )
    for note in plan.notes:
        console.print(("[bold red]" if plan.short else "") + note, markup=True)


def _counts(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _day(day: int | None, at: int | None, zone: tzinfo) -> str:
    return "not within the forecast" if day is None else f"on day {day} ({moment(at, zone)[:10]})"


@plan_app.command("roster")
def roster(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option(help="When the first shift starts (default: this hour).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, help="Days to cover.")] = 7,
    shift_hours: Annotated[int, typer.Option(min=1, help="Shift length (divides 24).")] = 8,
    min_rest_hours: Annotated[float, typer.Option(min=0, help="Rest between shifts.")] = 11,
    max_hours_week: Annotated[float, typer.Option(min=1, help="Cap over any 7 days.")] = 48,
    exit_ids: Annotated[
        list[str] | None,
        typer.Option("--exit", help="Guard only these exits, in priority order (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            help="Keep off the posts: a person id, role:ROLE or affiliation:TEXT (repeatable)."
        ),
    ] = None,
    guard_role: Annotated[
        list[str] | None,
        typer.Option("--guard-role", help="Roles the guards come from (default: security)."),
    ] = None,
    include_supervisors: Annotated[
        bool,
        typer.Option(help="Post supervisors too (an affiliation such as 'police chief')."),
    ] = False,
    time_limit: Annotated[float, typer.Option(min=0.1, help="Solver time limit, seconds.")] = 10.0,
    show: Annotated[int, typer.Option(min=0, help="Shifts to list (the JSON has all).")] = 48,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Guards at every exit around the clock, fairly shared among the security staff on hand;
    or the post-hours left uncovered and how many more guards would cover them."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    first = parse_time(start, zone) if start else rt.now() // 3600 * 3600
    with rt.session() as session:
        plan = plans.plan_roster(
            session,
            actor=rt.actor,
            start=first,
            days=days,
            shift_hours=shift_hours,
            min_rest_hours=min_rest_hours,
            max_hours_week=max_hours_week,
            exits=exit_ids,
            exclude=exclude or (),
            guard_roles=guard_role or ("security",),
            include_supervisors=include_supervisors,
            time_limit_s=time_limit,
        )
    if as_json:
        emit_json(_times(plan.to_dict(), zone))
        return
    hours = [g.hours for g in plan.guards]
    console.print(
        f"[bold]roster[/] from {moment(plan.start, zone)}, {plan.days} days, "
        f"{len(plan.exits)} exits, {len(plan.guards)} guards on hand"
        + (f" ({len(plan.unavailable)} under an order)" if plan.unavailable else "")
        + f"; {plan.status}, gap {plan.gap:.1%}, {plan.wall_s:.2f} s"
    )
    for person in plan.off_posts:
        console.print(f"off the posts: {person.id} ({person.name}): {person.why}")
    if hours:
        console.print(
            f"hours per guard: {min(hours)} to {max(hours)} (spread {plan.spread_hours} h)"
        )
    table(
        f"shifts (first {min(show, len(plan.shifts))} of {len(plan.shifts)})",
        ["exit", "from", "to", "guard"],
        [(s.exit, moment(s.start, zone), moment(s.end, zone), s.guard) for s in plan.shifts[:show]],
    )
    if plan.covered:
        console.print("every exit is guarded at every hour")
        return
    table(
        "uncovered",
        ["exit", "from", "to"],
        [(u.exit, moment(u.start, zone), moment(u.end, zone)) for u in plan.uncovered],
    )
    more = (
        f"{plan.extra_guards_needed} more guards ({plan.guards_needed} in all) would cover them"
        if plan.guards_needed is not None
        else f"at least {plan.guards_lower_bound} guards in all are needed (not found in time)"
    )
    console.print(f"[bold red]{plan.uncovered_post_hours} post-hours uncovered[/]: {more}")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(plan_app, name="plan")
