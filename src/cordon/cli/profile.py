"""``cordon profile``: the pathogen profile shown, changed (a dry run first), imported and its
versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cordon.cli.context import runtime
from cordon.cli.orders import JSON
from cordon.cli.output import console, emit_json, table
from cordon.errors import InvalidValue
from cordon.services import profiles
from cordon.services.profiles import ProfileChange
from cordon.store.profiles import profile_record

__all__ = ["register"]

profile_app = typer.Typer(help="The pathogen profile: routes, periods and rules, versioned.")

DRY = Annotated[bool, typer.Option("--dry-run", help="Only say what would change.")]


def _change(change: ProfileChange, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "applied": change.applied,
                "changes": [{"field": k, "before": b, "after": a} for k, b, a in change.changes],
                "pending_exposures": change.pending,
                "would_trigger": change.would_trigger,
                "would_no_longer_trigger": change.would_not,
                "profile": change.after,
            }
        )
        return
    table(
        "changes" if change.applied else "changes (not applied)",
        ["field", "before", "after"],
        [(k, str(b), str(a)) for k, b, a in change.changes],
    )
    console.print(
        f"{change.pending} exposure(s) the rules have not acted on yet: "
        f"{len(change.would_trigger)} would call for a quarantine only under the new profile, "
        f"{len(change.would_not)} no longer would."
    )
    for line in change.would_trigger[:10]:
        console.print(f"  + {escape(line)}")
    for line in change.would_not[:10]:
        console.print(f"  - {escape(line)}")
    verdict = "applied: evidence from now on" if change.applied else "nothing saved"
    console.print(f"{verdict}; what the rules already acted on stays as it was.")


@profile_app.command("show")
def show(ctx: typer.Context, as_json: JSON = False) -> None:
    """The active profile."""
    rt = runtime(ctx)
    with rt.session() as session:
        record = profile_record(profiles.show(session, actor=rt.actor))
    if as_json:
        emit_json(record)
        return
    flat = profiles.flat(record)
    table(f"pathogen profile {record['name']}", ["setting", "value"], sorted(flat.items()))


@profile_app.command("set")
def set_(
    ctx: typer.Context,
    settings: Annotated[
        list[str],
        typer.Argument(help="key=value, e.g. transmission.close=0.1 rules.quarantine_s=10d"),
    ],
    reason: Annotated[str, typer.Option(help="Why (recorded with the version).")],
    dry_run: DRY = False,
    as_json: JSON = False,
) -> None:
    """Change settings of the active profile (a new version); --dry-run says what it would do."""
    rt = runtime(ctx)
    pairs: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidValue(f"{item!r}: write key=value, e.g. rules.quarantine_s=10d")
        pairs[key.strip()] = value
    with rt.session() as session:
        change = profiles.change_profile(
            session, actor=rt.actor, now=rt.now(), reason=reason, settings=pairs, dry_run=dry_run
        )
    _change(change, as_json)


@profile_app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A profile as JSON (as `profile show --json`).")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the version).")],
    dry_run: DRY = False,
    as_json: JSON = False,
) -> None:
    """Make the profile in a file the active one (a new version); --dry-run compares first."""
    rt = runtime(ctx)
    with rt.session() as session:
        change = profiles.change_profile(
            session, actor=rt.actor, now=rt.now(), reason=reason, path=path, dry_run=dry_run
        )
    _change(change, as_json)


@profile_app.command("history")
def history(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this profile.")] = None,
    as_json: JSON = False,
) -> None:
    """Every saved version: when, by whom, why."""
    rt = runtime(ctx)
    with rt.session() as session:
        versions = profiles.history(session, actor=rt.actor, name=name)

    def stamp(at: float) -> str:
        return dt.datetime.fromtimestamp(at, rt.settings.zone).strftime("%Y-%m-%d %H:%M:%S")

    if as_json:
        out: list[dict[str, Any]] = [
            {
                "version": v.version,
                "at": stamp(v.at),
                "actor": v.actor,
                "reason": v.reason,
                "profile": v.profile,
            }
            for v in versions
        ]
        emit_json(out)
        return
    table(
        f"profile versions ({len(versions)})",
        ["profile", "v", "saved", "by", "reason"],
        [
            (v.profile.get("name"), v.version, stamp(v.at), v.actor, v.reason or "")
            for v in versions
        ],
    )


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(profile_app, name="profile")
