"""``cordon cases``: cases by clinical and containment state."""

from __future__ import annotations

from typing import Annotated

import typer

from cordon.cli.context import runtime
from cordon.cli.output import emit_json, moment, table
from cordon.services import cases
from cordon.services.whereabouts import where_is
from cordon.times import format_time

__all__ = ["register"]


def list_cases(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only this state: exposed, suspected, confirmed, cleared, "
            "free, quarantined, isolated, missing, departed."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Cases with their clinical and containment state and where the record puts them now."""
    rt = runtime(ctx)
    wanted = cases.parse_status(status) if status else None
    with rt.session() as session:
        items = cases.list_cases(session, actor=rt.actor, status=wanted)
        where = where_is(
            session, actor=rt.actor, at=rt.now(), people=[c.person for c in items], cases=items
        )
    zone = rt.settings.zone
    if as_json:
        emit_json(
            [
                {
                    "person": c.person,
                    "clinical": c.clinical.value if c.clinical else None,
                    "containment": c.containment.value,
                    "assigned_place": c.assigned_place,
                    "where": where[c.person].place,
                    "where_source": where[c.person].source,
                    "since": format_time(c.since, zone),
                }
                for c in items
            ]
        )
        return
    title = f"cases ({len(items)}{', ' + wanted.value if wanted else ''})"
    table(
        title,
        ["person", "clinical", "containment", "where now", "since"],
        [
            (
                c.person,
                c.clinical.value if c.clinical else "",
                c.containment.value,
                where[c.person].label,
                moment(c.since, zone),
            )
            for c in items
        ],
    )


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("cases")(list_cases)
