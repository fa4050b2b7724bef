"""``cordon people``, ``cordon places`` and ``cordon person ID``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.people import ROLE_ALIASES, Role
from cordon.domain.places import PLACE_ALIASES, PlaceKind
from cordon.domain.vocab import choice
from cordon.services import directory, story
from cordon.times import format_duration, format_time

__all__ = ["register"]


def people(
    ctx: typer.Context,
    role: Annotated[
        str | None, typer.Option(help="Only this role (e.g. medical, visiting_crew).")
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Only ids, names or affiliations containing this.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 100,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everyone aboard, by id."""
    rt = runtime(ctx)
    wanted = choice(Role, role, ROLE_ALIASES) if role else None
    with rt.session() as session:
        page = directory.list_people(
            session, actor=rt.actor, role=wanted, search=search, limit=limit, offset=offset
        )
    if as_json:
        emit_json(
            {"total": page.total, "offset": page.offset, "items": [_person(p) for p in page.items]}
        )
        return
    shown = (
        f"{offset + 1}-{offset + len(page.items)} of {page.total}"
        if page.items
        else f"0 of {page.total}"
    )
    table(
        f"people ({shown})",
        ["id", "name", "role", "affiliation", "home"],
        [(p.id, p.name, p.role.value, p.affiliation, p.home) for p in page.items],
    )


def _person(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "role": p.role.value,
        "affiliation": p.affiliation,
        "home": p.home,
    }


def places(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind (ward, airlock, hall...).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The facility's places, by id."""
    rt = runtime(ctx)
    wanted = choice(PlaceKind, kind, PLACE_ALIASES) if kind else None
    with rt.session() as session:
        items = directory.list_places(session, actor=rt.actor, kind=wanted)
    if as_json:
        emit_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind.value,
                    "capacity": p.capacity,
                    "parent": p.parent,
                    "exit": p.exit,
                }
                for p in items
            ]
        )
        return
    table(
        f"places ({len(items)})",
        ["id", "name", "kind", "capacity", "parent", "exit"],
        [
            (p.id, p.name, p.kind.value, p.capacity, p.parent, "exit" if p.exit else "")
            for p in items
        ],
    )


def person(
    ctx: typer.Context,
    person_id: Annotated[str, typer.Argument(metavar="ID", help="The person's id.")],
    last: Annotated[int | None, typer.Option(min=1, help="Only the last N events.")] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Only the case's story in a few lines.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One person's story in a few lines, then the timeline: presence, passages, exposures, lab
    results, orders and follow-up checks."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    with rt.session() as session:
        told = story.person_story(session, person_id, actor=rt.actor, at=rt.now(), zone=zone)
    timeline = told.timeline
    if summary:
        if as_json:
            emit_json({"person": _person(timeline.person), "summary": told.lines})
        else:
            for line in told.lines:
                console.print(line, markup=False, soft_wrap=False)
        return
    events = timeline.events()
    if last is not None:
        events = events[-last:]
    p, case = timeline.person, timeline.case
    if as_json:
        emit_json(
            {
                "person": _person(p),
                "case": {
                    "clinical": case.clinical.value if case.clinical else None,
                    "containment": case.containment.value,
                    "assigned_place": case.assigned_place,
                    "since": format_time(case.since, zone) if case.clinical else None,
                },
                "summary": told.lines,
                "events": [
                    {"time": format_time(t, zone), "kind": kind, **_json_times(details, zone)}
                    for t, kind, details in events
                ],
            }
        )
        return
    state = f"{case.clinical.value if case.clinical else 'no case'}, {case.containment.value}"
    console.print(
        f"[bold]{p.name}[/] ({p.id}) {p.role.value}"
        + (f", {p.affiliation}" if p.affiliation else "")
    )
    console.print(
        f"home: {p.home or '-'}    case: {state}"
        + (f" at {case.assigned_place}" if case.assigned_place else "")
    )
    for line in told.lines[1:]:
        console.print(line, markup=False)
    console.print(
        f"{len(timeline.presence)} presence, {len(timeline.passages)} passages, "
        f"{len(timeline.exposures)} exposures, "
        f"{len(timeline.lab)} lab results, {len(timeline.orders)} orders"
    )
    table(
        None,
        ["time", "what", "details"],
        [(moment(t, zone), kind, _describe(kind, d, zone)) for t, kind, d in events],
    )


def _json_times(details: dict[str, Any], zone: Any) -> dict[str, Any]:
    out = dict(details)
    for key in ("end", "expiry"):
        if out.get(key) is not None:
            out[key] = format_time(out[key], zone)
    return out


def _describe(kind: str, d: dict[str, Any], zone: Any) -> str:
    if kind == "presence":
        return f"in {d['place']} until {moment(d['end'], zone)}"
    if kind == "passage":
        extra = f" with {', '.join(d['companions'])}" if d["companions"] else ""
        camera = f", camera {d['camera']}" if d["camera"] else ""
        exit_ = " (exit)" if d["exit"] else ""
        return f"{d['direction']} {d['place']}{exit_} by {d['credential']}{extra}{camera}"
    if kind == "exposure":
        where = f" in {d['place']}" if d["place"] else ""
        length = format_duration(d["duration_s"])
        return f"{d['route']} contact with {d['with']}{where}, {length} ({d['source']})"
    if kind == "lab":
        quantity = f", {d['quantity']:g}/µL" if d["quantity"] is not None else ""
        return f"{d['assay']}: {d['result']}{quantity}"
    expiry = f"until {moment(d['expiry'], zone)}" if d["expiry"] else "until lifted"
    return f"{d['kind']} ({d['status']}) {expiry}: {d['reason']}"


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command()(people)
    app.command()(places)
    app.command()(person)
