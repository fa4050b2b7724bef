"""``cordon arrivals`` and ``cordon manifest import``: vessels, who they brought, who turned
back, and the screening of arrivals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cordon.cli.context import Runtime, runtime
from cordon.cli.orders import JSON
from cordon.cli.output import console, emit_json, moment, table
from cordon.services import arrivals as service
from cordon.services.arrivals import VesselArrivals
from cordon.times import format_time

__all__ = ["register"]

manifest_app = typer.Typer(help="Vessel manifests: who a vessel brings, and when.")
STATUSES = ("arrived", "turned_back", "aboard_vessel", "departed")


def vessel_json(v: VesselArrivals, rt: Runtime) -> dict[str, Any]:
    """A vessel's manifest, counted, as ``--json`` prints it."""
    zone = rt.settings.zone
    roles: dict[str, int] = {}
    for a in v.people:
        roles[a.role] = roles.get(a.role, 0) + 1
    return {
        "vessel": v.vessel,
        "expected_at": format_time(v.expected_at, zone),
        "expected": len(v.people),
        **{s: v.count(s) for s in STATUSES},
        "roles": roles,
        "people": [
            {
                "person": a.person,
                "role": a.role,
                "affiliation": a.affiliation,
                "status": a.status,
                "arrived_at": format_time(a.arrived_at, zone) or None,
                "left_at": format_time(a.left_at, zone) or None,
                "berth": a.berth,
            }
            for a in v.people
        ],
    }


def arrivals(
    ctx: typer.Context,
    vessel: Annotated[str | None, typer.Option(help="Only this vessel.")] = None,
    screen: Annotated[
        bool, typer.Option("--screen", help="Also screen the arrivals now (alerts, once each).")
    ] = False,
    as_json: JSON = False,
) -> None:
    """Per vessel: expected, arrived, turned back, still aboard the vessel, departed (from the
    berth passages)."""
    rt = runtime(ctx)
    with rt.session() as session:
        if screen:
            raised = service.screen_arrivals(session, actor=rt.actor, now=rt.now())
            if not as_json:
                for alert in raised:
                    console.print(f"alert: {alert.message}", markup=False)
        found = service.arrivals(session, actor=rt.actor, vessel=vessel)
    if as_json:
        emit_json([vessel_json(v, rt) for v in found])
        return
    zone = rt.settings.zone
    table(
        f"vessels ({len(found)})",
        ["vessel", "expected", "listed", "arrived", "turned back", "aboard vessel", "departed"],
        [
            (
                v.vessel,
                moment(v.expected_at, zone),
                len(v.people),
                v.count("arrived"),
                v.count("turned_back"),
                v.count("aboard_vessel"),
                v.count("departed"),
            )
            for v in found
        ],
    )


@manifest_app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV: vessel, expected, person, role, affiliation.")],
    as_json: JSON = False,
) -> None:
    """Load a manifest (one vessel's rows replace its earlier list); a bad row refuses all."""
    rt = runtime(ctx)
    with rt.session() as session:
        loaded = service.import_manifest(session, path, actor=rt.actor, zone=rt.settings.zone)
    if as_json:
        emit_json({"rows": loaded})
        return
    console.print(f"{loaded} manifest row(s) loaded from {path}", markup=False)


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("arrivals")(arrivals)
    app.add_typer(manifest_app, name="manifest")
