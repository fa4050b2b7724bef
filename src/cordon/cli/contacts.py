"""``cordon contacts`` and ``cordon trace``: from the store, or file in, file out without one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, shown, table
from cordon.domain.records import ROUTE_ALIASES, Route
from cordon.domain.vocab import choice
from cordon.services import contacts as service
from cordon.services.tracing import TracedPerson, TraceReport
from cordon.times import format_duration, format_time, parse_duration, parse_time

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from cordon.engine.colocation import DataQuality

__all__ = ["register"]

SHOWN = 20


def _time(text: str | None, ctx: typer.Context) -> int | None:
    return parse_time(text, runtime(ctx).settings.zone) if text else None


def contacts(
    ctx: typer.Context,
    presence: Annotated[
        Path | None,
        typer.Option(help="A presence file (person, place, start, end); no store is used."),
    ] = None,
    min_overlap: Annotated[
        str, typer.Option("--min-overlap", help="Shortest time together that counts (5m, 300).")
    ] = "5m",
    since: Annotated[str | None, typer.Option(help="Only presence from this time.")] = None,
    until: Annotated[str | None, typer.Option(help="Only presence before this time.")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Leave out this place (repeatable).")
    ] = None,
    per_day: Annotated[
        bool, typer.Option("--per-day", help="Sum contacts per pair and day instead.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Write the contacts here (.csv, .parquet or .jsonl).")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="Rows to print, 0: all (all go to --out).")
    ] = SHOWN,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run on Dask: 'local' (a cluster on this machine) or tcp://host:8786; "
            "--presence is a Parquet file or dataset, --out a folder of parts.",
        ),
    ] = None,
) -> None:
    """Who was with whom: pairs in one place together for at least --min-overlap."""
    rt = runtime(ctx)
    overlap = parse_duration(min_overlap)
    if scheduler is not None:
        _contacts_on_dask(presence, out, scheduler, overlap, exclude, as_json)
        return
    if out is not None and not per_day:
        _contacts_to_file(ctx, presence, out, overlap, since, until, exclude, limit, as_json)
        return
    if presence is not None:
        result = service.contacts_from_file(
            presence, min_overlap=overlap, zone=rt.settings.zone, exclude_places=exclude or (),
            per_day=per_day,
        )  # fmt: skip
    else:
        with rt.session() as session:
            result = service.contacts(
                session, actor=rt.actor, min_overlap=overlap, since=_time(since, ctx),
                until=_time(until, ctx), exclude_places=exclude or (), per_day=per_day,
            )  # fmt: skip
    written = None
    if out is not None:
        from cordon.formats.writers import write_table

        frame = result.per_day if per_day and result.per_day is not None else result.frame
        written = write_table(frame, out)
    if as_json:
        data = result.to_dict(limit=None if out is None else limit)
        data["written"] = str(written) if written else None
        emit_json(data)
        return
    _summary(len(result), overlap, result.quality)
    zone = rt.settings.zone
    if per_day and result.per_day is not None:
        days = result.per_day.head(limit) if limit else result.per_day
        table(
            None,
            ["a", "b", "day", "count", "together"],
            [
                (
                    r["a"],
                    r["b"],
                    format_time(int(r["day"]), zone)[:10],
                    r["count"],
                    format_duration(int(r["duration_s"])),
                )
                for r in days.to_dict("records")
            ],
        )
        shown(len(days), len(result.per_day))
    else:
        rows = result.frame.head(limit) if limit else result.frame
        _rows(
            [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")],
            zone,
        )
        shown(len(rows), len(result.frame))
    if written:
        console.print(f"written to {written}")


def _contacts_on_dask(
    presence: Path | None,
    out: Path | None,
    scheduler: str,
    overlap: int,
    exclude: list[str] | None,
    as_json: bool,
) -> None:
    """Contacts of a presence dataset computed on a Dask cluster, written as a folder of parts."""
    from cordon.errors import InvalidValue
    from cordon.services.contacts_dask import contacts_on_dask

    if presence is None or out is None:
        raise InvalidValue("--scheduler needs --presence (a Parquet file or dataset) and --out")
    suffix = out.suffix.lstrip(".") or "parquet"
    folder = out.with_suffix("") if out.suffix else out
    done = contacts_on_dask(
        presence, folder, scheduler=scheduler, min_overlap=overlap, exclude_places=exclude or (),
        suffix=suffix,
    )  # fmt: skip
    if as_json:
        emit_json({"count": done.count, "min_overlap_s": overlap, "quality": done.quality,
                   "written": str(done.folder), "parts": done.parts})  # fmt: skip
        return
    quality = done.quality
    console.print(
        f"{done.count:,} contacts of at least {format_duration(overlap)} "
        f"from {quality['intervals']:,} presence intervals"
    )
    if quality["merged"]:
        console.print(
            f"data quality: {quality['merged']:,} overlapping intervals of the same person were "
            f"merged into {quality['merged_into']:,} "
            f"({quality['persons_with_overlapping_intervals']:,} persons)"
        )
    console.print(f"written to {done.folder}/ in {done.parts} parts")


def _contacts_to_file(
    ctx: typer.Context,
    presence: Path | None,
    out: Path,
    overlap: int,
    since: str | None,
    until: str | None,
    exclude: list[str] | None,
    limit: int,
    as_json: bool,
) -> None:
    """Contacts written to a file in chunks, columnar from end to end; the first rows shown."""
    rt = runtime(ctx)
    if presence is not None:
        done = service.contacts_file_to_file(
            presence, out, min_overlap=overlap, zone=rt.settings.zone,
            exclude_places=exclude or (), limit=limit,
        )  # fmt: skip
    else:
        with rt.session() as session:
            done = service.contacts_to_file(
                session, out, actor=rt.actor, min_overlap=overlap, since=_time(since, ctx),
                until=_time(until, ctx), exclude_places=exclude or (), limit=limit,
            )  # fmt: skip
    if as_json:
        emit_json(done.to_dict())
        return
    _summary(done.count, overlap, done.quality)
    _rows(done.head, rt.settings.zone)
    console.print(f"written to {done.path}")


def _summary(count: int, overlap: int, quality: DataQuality | None) -> None:
    if quality is None:
        console.print(f"{count:,} contacts of at least {format_duration(overlap)}")
        return
    console.print(
        f"{count:,} contacts of at least {format_duration(overlap)} "
        f"from {quality.intervals:,} presence intervals"
    )
    if quality.merged:
        console.print(
            f"data quality: {quality.merged:,} overlapping intervals of the same person were "
            f"merged into {quality.merged_into:,} ({len(quality.persons):,} persons)"
        )
    for label, count_ in (
        ("zero-length intervals", quality.zero_length),
        ("intervals shorter than the minimum overlap", quality.too_short),
        ("intervals in excluded places", quality.excluded),
    ):
        if count_:
            console.print(f"data quality: {count_:,} {label} meet nobody")


def _rows(records: list[dict[str, Any]], zone: ZoneInfo) -> None:
    table(
        None,
        ["a", "b", "place", "start", "end", "together"],
        [
            (
                r["a"],
                r["b"],
                r["place"],
                moment(int(r["start"]), zone),
                moment(int(r["end"]), zone),
                format_duration(int(r["duration_s"])),
            )
            for r in records
        ],
    )


def _routes(text: str | None) -> list[Route] | None:
    if text is None:
        return None
    return [choice(Route, word, ROUTE_ALIASES) for word in text.split(",") if word.strip()]


def trace(
    ctx: typer.Context,
    persons: Annotated[list[str], typer.Argument(metavar="PERSON...", help="Index persons.")],
    direction: Annotated[
        str, typer.Option(help="forward (whom they could have infected), backward, or both.")
    ] = "forward",
    since: Annotated[
        str | None,
        typer.Option(help="Forward: infectious from this time; backward: look no further back."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Forward: stop here; backward: infected at the latest by this time."),
    ] = None,
    contacts_file: Annotated[
        Path | None,
        typer.Option("--contacts", help="A contacts/exposures file; no store is used."),
    ] = None,
    presence: Annotated[
        Path | None,
        typer.Option(help="A presence file to derive contacts from; no store is used."),
    ] = None,
    min_overlap: Annotated[
        str, typer.Option("--min-overlap", help="For contacts derived from presence.")
    ] = "5m",
    latent: Annotated[
        str | None, typer.Option(help="Latent period (default: the pathogen profile's).")
    ] = None,
    infectious: Annotated[
        str | None, typer.Option(help="Infectious period (default: the profile's).")
    ] = None,
    routes: Annotated[
        str | None, typer.Option(help="Routes that transmit, e.g. fluid,close (default: profile).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the reached persons here (.csv, .parquet, .jsonl).")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="Persons to print per direction (0: all).")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Derive the contacts of --presence (a Parquet file or dataset) on Dask: "
            "'local' or tcp://host:8786; the trace runs here.",
        ),
    ] = None,
) -> None:
    """Time-respecting chains from index persons (forward), to cases (backward), or both."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    start, stop = _time(since, ctx), _time(until, ctx)
    overlap = parse_duration(min_overlap)
    latent_s = parse_duration(latent) if latent else None
    infectious_s = parse_duration(infectious) if infectious else None
    if scheduler is not None and presence is None:
        from cordon.errors import InvalidValue

        raise InvalidValue("--scheduler needs --presence (a Parquet file or dataset)")
    if contacts_file is not None or presence is not None:
        report = service.trace_from_files(
            persons, contacts=contacts_file, presence=presence, zone=zone, direction=direction,
            since=start, until=stop, min_overlap=overlap, latent_s=latent_s,
            infectious_s=infectious_s, routes=_routes(routes), scheduler=scheduler,
        )  # fmt: skip
    else:
        with rt.session() as session:
            report = service.trace(
                session, actor=rt.actor, persons=persons, direction=direction, since=start,
                until=stop, min_overlap=overlap, latent_s=latent_s, infectious_s=infectious_s,
                routes=_routes(routes),
            )  # fmt: skip
    if out is not None:
        import pandas as pd

        from cordon.formats.writers import write_table

        rows = [
            {"direction": d, **_flat(p)}
            for d, people in (("forward", report.forward), ("backward", report.backward))
            for p in people
        ]
        write_table(pd.DataFrame(rows, columns=["direction", *_FLAT]), out)
    if as_json:
        emit_json(report.to_dict())
        return
    _print(report, limit, zone)
    if out is not None:
        console.print(f"written to {out}")


_FLAT = ["person", "generation", "time", "infectious_from", "exposure_s", "link", "place", "path"]


def _flat(p: TracedPerson) -> dict[str, object]:
    return {
        "person": p.person,
        "generation": p.generation,
        "time": p.time,
        "infectious_from": p.infectious_from,
        "exposure_s": p.exposure_s,
        "link": p.link,
        "place": p.contact.place if p.contact else None,
        "path": " > ".join(p.path),
    }


def _print(report: TraceReport, limit: int, zone: object) -> None:
    from datetime import tzinfo

    tz = zone if isinstance(zone, tzinfo) else None
    console.print(
        f"profile {report.profile}: latent {format_duration(report.latent_s)}, infectious "
        f"{format_duration(report.infectious_s)}, routes {', '.join(report.routes) or 'none'}; "
        f"{report.contacts_used:,} contacts on those routes"
    )
    for name, people, when in (
        ("forward: could have been infected", report.forward, "earliest infection"),
        ("backward: could have been the source", report.backward, "latest infection"),
    ):
        if name.startswith("forward") and report.direction.value == "backward":
            continue
        if name.startswith("backward") and report.direction.value == "forward":
            continue
        index = set(report.index)
        reached = [p for p in people if p.person not in index]
        ordered = reached + [p for p in people if p.person in index]
        cut = ordered[:limit] if limit else ordered
        table(
            f"{name} ({len(reached):,} reached; the {len(ordered) - len(reached):,} index "
            "persons last)",
            ["person", "gen", when, "where", "exposure", "chain"],
            [
                (
                    p.person,
                    p.generation,
                    moment(p.time, tz),
                    (p.contact.place or "") if p.contact else "",
                    format_duration(p.exposure_s),
                    " > ".join(p.path),
                )
                for p in cut
            ],
        )
        shown(len(cut), len(ordered))


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("contacts")(contacts)
    app.command("trace")(trace)
