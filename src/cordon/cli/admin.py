"""``cordon init`` and ``cordon audit``."""

from __future__ import annotations

from typing import Annotated

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, shown, table
from cordon.services import admin

__all__ = ["register"]


def init(ctx: typer.Context) -> None:
    """Create the store, or upgrade its schema to this version of cordon."""
    rt = runtime(ctx)
    revision = admin.init_store(rt.store, actor=rt.settings.actor)
    console.print(f"store ready at {rt.store.display_url} (schema {revision})")


def audit(
    ctx: typer.Context,
    entity: Annotated[
        str | None, typer.Option(help="Only this kind of record (person, case, order...).")
    ] = None,
    record: Annotated[str | None, typer.Option("--id", help="Only this record id.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only writes by this actor.")] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="How many entries, newest first (0: all).")
    ] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The audit log: who wrote what, when, with the record before and after."""
    rt = runtime(ctx)
    from cordon.services.audit_log import audit_page

    with rt.session() as session:
        entries, total = audit_page(
            session,
            entity=entity,
            entity_id=record,
            actor=rt.actor,
            by=actor,
            limit=limit or 10**9,
        )
    if as_json:
        emit_json([_entry(e) for e in entries])
        return
    table(
        f"audit ({len(entries)} newest of {total})",
        ["#", "when", "actor", "action", "record", "change"],
        [
            (
                e.pk,
                moment(e.at, rt.settings.zone),
                e.actor,
                e.action,
                f"{e.entity} {e.entity_id or ''}",
                _change(e.before, e.after),
            )
            for e in entries
        ],
    )
    shown(len(entries), total, "entries")


def _entry(e: admin.AuditEntry) -> dict[str, object]:
    return {
        "id": e.pk,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
    }


def _change(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    if before and after:
        diffs = [
            f"{k}: {before.get(k)} -> {after.get(k)}"
            for k in after
            if before.get(k) != after.get(k)
        ]
        return "; ".join(diffs)[:200]
    if after:
        return ", ".join(f"{k}={v}" for k, v in after.items())[:200]
    return ""


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(init)
    app.command()(audit)
