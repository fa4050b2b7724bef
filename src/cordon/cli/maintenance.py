"""``cordon backup``, ``cordon restore`` and ``cordon purge``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, table
from cordon.errors import InvalidValue
from cordon.services import maintenance

__all__ = ["register"]


def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to write (a zip).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Back up the whole store to one file, with a checksum of every table."""
    rt = runtime(ctx)
    report = maintenance.backup(rt.store, path, actor=rt.actor)
    _show(report, as_json, "backed up")


def restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to restore.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Restore a backup into an empty store, verifying every table's checksum."""
    rt = runtime(ctx)
    report = maintenance.restore(rt.store, path, actor=rt.actor)
    _show(report, as_json, "restored and verified")


def _show(report: maintenance.BackupReport, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(asdict(report))
        return
    table(
        None,
        ["table", "rows", "checksum"],
        [(k, f"{v:,}", report.checksums[k][:16]) for k, v in report.tables.items()],
    )
    console.print(f"{verb} {report.path} (schema {report.revision}) in {report.seconds:.1f} s")


def purge(
    ctx: typer.Context,
    keep_days: Annotated[
        int | None,
        typer.Option(min=1, help="Keep this many days of logs (default: CORDON_RETENTION_DAYS)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete presence and passage logs older than the retention period."""
    rt = runtime(ctx)
    days = keep_days or rt.settings.retention_days
    if days is None:
        raise InvalidValue("no retention period: pass --keep-days N or set CORDON_RETENTION_DAYS")
    rt.store.check_ready()
    report = maintenance.purge(rt.store, actor=rt.actor, keep_days=days)
    if as_json:
        emit_json(asdict(report))
        return
    console.print(
        f"purged {report.presence:,} presence and {report.passages:,} passage rows "
        f"older than {moment(report.before, rt.settings.zone)}"
    )


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(backup)
    app.command()(restore)
    app.command()(purge)
