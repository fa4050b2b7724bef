"""``cordon import``: load a facility's records from files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from cordon.cli.context import runtime
from cordon.cli.followup import import_followups
from cordon.cli.output import console, emit_json, table
from cordon.cli.progress import LazyProgress
from cordon.errors import InvalidValue
from cordon.formats.schemas import parse_kind
from cordon.services import imports
from cordon.times import parse_time

__all__ = ["register"]

SOCIOPATTERNS = {"sociopatterns", "tij"}
FOLLOWUPS = {"followups", "followup", "checks"}


def _group_roles(items: list[str]) -> dict[str, str]:
    """``GROUP=ROLE`` options as a mapping."""
    out: dict[str, str] = {}
    for item in items:
        group, sep, role = item.partition("=")
        if not sep or not group.strip() or not role.strip():
            raise InvalidValue(f"--role {item!r}: write GROUP=ROLE, for instance 'Teachers=staff'")
        out[group.strip()] = role.strip()
    return out


def import_(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="people, places, presence, passages, exposures (or contacts), lab, gatherings, "
            "followups (daily checks), or sociopatterns (a tij file or a folder with tij_*.dat "
            "and metadata_*.dat)."
        ),
    ],
    path: Annotated[Path, typer.Argument(help="The file (or SocioPatterns folder) to import.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, parquet or jsonl (default: from the name).")
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Load the good rows and write the bad ones, with their problems, here."),
    ] = None,
    metadata: Annotated[
        Path | None, typer.Option(help="SocioPatterns metadata file (default: found beside tij).")
    ] = None,
    t0: Annotated[
        str | None,
        typer.Option(
            "--t0", help="SocioPatterns: the time that t=0 stands for (ISO-8601 or epoch)."
        ),
    ] = None,
    people: Annotated[
        Path | None,
        typer.Option(
            "--people",
            help="SocioPatterns: a canonical people file (id, name, role, ...) for the ids "
            "instead of the metadata; without either, people are created from the ids.",
        ),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="SocioPatterns: GROUP=ROLE, the role of a class or department the built-in "
            "mapping does not know (repeatable).",
        ),
    ] = None,
    prefix: Annotated[
        str, typer.Option(help="SocioPatterns: text put before every person id.")
    ] = "",
    place: Annotated[
        str | None, typer.Option(help="SocioPatterns: the place id all contacts happened in.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import a file of records; one with bad rows is refused whole unless --rejects is given."""
    if kind.strip().lower() in FOLLOWUPS:
        if rejects is not None:
            raise InvalidValue("follow-up checks are imported whole: drop --rejects")
        import_followups(ctx, path, fmt, as_json)
        return
    rt = runtime(ctx)
    zone = rt.settings.zone
    with rt.session() as session, LazyProgress(enabled=not as_json) as progress:
        if kind.strip().lower() in SOCIOPATTERNS:
            reports = imports.import_sociopatterns(
                session,
                path,
                actor=rt.actor,
                zone=zone,
                metadata=metadata,
                people=people,
                roles=_group_roles(role or []),
                t0=parse_time(t0, zone) if t0 else 0,
                prefix=prefix,
                place=place,
                rejects=rejects,
                progress=progress,
            )
        else:
            reports = [
                imports.import_file(
                    session,
                    path,
                    kind=parse_kind(kind),
                    actor=rt.actor,
                    zone=zone,
                    fmt=fmt,
                    rejects=rejects,
                    progress=progress,
                )
            ]
    if as_json:
        emit_json([asdict(r) for r in reports])
        return
    table(
        None,
        ["kind", "file", "read", "added", "updated", "unchanged", "rejected", "seconds"],
        [
            (
                r.kind,
                Path(r.path).name,
                f"{r.read:,}",
                f"{r.added:,}",
                f"{r.updated:,}",
                f"{r.unchanged:,}",
                f"{r.rejected:,}",
                f"{r.seconds:.2f}",
            )
            for r in reports
        ],
    )
    for r in reports:
        for note in r.notes:
            console.print(f"{r.kind}: {note}")
        if r.rejects_path:
            console.print(f"{r.kind}: {r.rejected:,} bad rows written to {r.rejects_path}")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("import")(import_)
