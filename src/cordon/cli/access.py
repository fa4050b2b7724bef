"""``cordon decide``, ``cordon emergency``, ``cordon moratorium`` and ``cordon gatherings``.

``cordon decide`` exits 0 when the passage is allowed, 3 when it is denied and 1 on an error
(a bad argument, an unknown store), so that a script can tell a deny from a failure."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from cordon.cli.context import Runtime, runtime
from cordon.cli.orders import JSON, order_json, when
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.people import ROLE_ALIASES
from cordon.domain.records import CREDENTIAL_ALIASES, ROUTE_ALIASES, Credential, Direction, Route
from cordon.domain.roles import Actor, UserRole
from cordon.domain.vocab import choice, normalise_word
from cordon.errors import InvalidValue
from cordon.services import access, emergencies, moratoria, orders
from cordon.services.moratoria import GatheringView
from cordon.times import format_time

__all__ = ["DENIED", "register"]

DENIED = 3
"""``cordon decide``'s exit code for a deny (0: allowed; 1: an error)."""

emergency_app = typer.Typer(help="Declare and end life-safety emergencies (exits fail open).")
moratorium_app = typer.Typer(help="Suspend a route between groups, and the gatherings it covers.")


def decide(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Who is at the door.")],
    door: Annotated[str, typer.Argument(help="The door or airlock (a place id).")],
    direction: Annotated[str, typer.Argument(help="in or out.")],
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    credential: Annotated[str, typer.Option(help="badge, foreign, override, none.")] = "badge",
    companion: Annotated[
        list[str] | None, typer.Option(help="Who goes through with the person (repeatable).")
    ] = None,
    override: Annotated[
        str | None, typer.Option(help="A guard's name: let a denied person through.")
    ] = None,
    why: Annotated[str | None, typer.Option(help="The guard's reason for the override.")] = None,
    as_json: JSON = False,
) -> None:
    """Allow or deny one passage, with the reason; the decision and any alert are recorded.
    Exit code 0: allowed, 3: denied, 1: an error. A time (--at) further than
    CORDON_DECISION_SKEW_SECONDS (default 300) from the station clock is refused."""
    rt = runtime(ctx)
    with rt.session() as session:
        index = access.AccessIndex.from_store(session, actor=rt.actor)
        index.max_skew = rt.settings.decision_skew_seconds
        decision = index.decide(
            person,
            door,
            choice(Direction, direction),
            when(rt, at),
            credential=choice(Credential, credential, CREDENTIAL_ALIASES),
            companions=companion or (),
            now=rt.now(),
        )
        if override is not None and not decision.allowed:
            decision = index.override(
                decision, guard=Actor(override, UserRole.SECURITY), why=why or ""
            )
        index.flush(session, actor=rt.actor.name)
    if as_json:
        emit_json(
            {
                "allowed": decision.allowed,
                "reason": decision.reason,
                "person": decision.person,
                "door": decision.door,
                "direction": decision.direction.value,
                "at": format_time(decision.at, rt.settings.zone),
                "credential": decision.credential.value,
                "order": decision.order,
                "emergency": decision.emergency,
                "policy": decision.policy,
                "override_by": decision.override_by,
                "stale": decision.stale,
            }
        )
    else:
        verdict = "[green]ALLOW[/]" if decision.allowed else "[bold red]DENY[/]"
        console.print(
            f"{verdict} {escape(decision.person)} {direction} {escape(decision.door)}: "
            f"{escape(decision.reason)}"
        )
    if not decision.allowed:
        raise typer.Exit(DENIED)


@emergency_app.command("declare")
def declare(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="fire, decompression, ...")],
    reason: Annotated[str, typer.Option(help="What is happening.")],
    place: Annotated[
        list[str] | None, typer.Option(help="Only these exits (default: all).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """Declare a life-safety emergency: exits fail open and every passage is logged."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = emergencies.declare_emergency(
            session,
            actor=rt.actor,
            kind=kind,
            start=when(rt, start),
            reason=reason,
            places=place or (),
        )
    if as_json:
        emit_json({"id": found.id, "kind": found.kind, "places": list(found.places)})
        return
    console.print(f"emergency {found.id} ({found.kind}) declared: exits fail open")


@emergency_app.command("end")
def end(
    ctx: typer.Context,
    emergency_id: Annotated[int, typer.Argument(help="The emergency to end.")],
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """End a declared emergency: exits refuse held persons again."""
    rt = runtime(ctx)
    with rt.session() as session:
        ended = emergencies.end_emergency(session, emergency_id, actor=rt.actor, at=when(rt, at))
    if as_json:
        emit_json(
            {"id": ended.id, "kind": ended.kind, "end": format_time(ended.end, rt.settings.zone)}
        )
        return
    console.print(f"emergency {emergency_id} ended")


def _gathering_json(v: GatheringView, rt: Runtime) -> dict[str, Any]:
    g = v.gathering
    return {
        "id": g.id,
        "name": g.name,
        "place": g.place,
        "kind": g.kind,
        "start": format_time(g.start, rt.settings.zone),
        "end": format_time(g.end, rt.settings.zone),
        "status": g.status.value,
        "participants": list(g.participants),
        "crew_planned": v.crew_planned,
        "crew_needed": v.crew_needed,
        "crew_estimated": v.crew_estimated,
        "crew_basis": v.need.basis if v.need else "planned",
        "crew_from_kind": v.need.like if v.need else None,
        "under_orders": list(v.under_orders),
        "suspended": v.suspended,
        "suspended_by": list(v.suspended_by),
    }


def _gathering_table(title: str, views: list[GatheringView], rt: Runtime) -> None:
    zone = rt.settings.zone
    table(
        title,
        ["id", "name", "place", "start", "end", "crew needed", "suspended by", "participants"],
        [
            (
                v.gathering.id,
                v.gathering.name,
                v.gathering.place,
                moment(v.gathering.start, zone),
                moment(v.gathering.end, zone),
                v.need.describe(v.gathering.kind) if v.need else str(v.crew_needed),
                ", ".join(str(i) for i in v.suspended_by),
                " ".join(v.gathering.participants),
            )
            for v in views
        ],
    )
    now = rt.now()
    for v in views:
        if v.under_orders and v.gathering.end > now:  # the ones still to come or under way
            console.print(
                f"{v.gathering.id}: planned participants under an order: {' '.join(v.under_orders)}"
            )


def gatherings(
    ctx: typer.Context,
    suspended: Annotated[bool, typer.Option(help="Only suspended ones.")] = False,
    as_json: JSON = False,
) -> None:
    """Scheduled gatherings: how many of the visiting crew each needs, and whether an active
    moratorium suspends it. (Import them with `cordon import gatherings FILE`.)"""
    rt = runtime(ctx)
    with rt.session() as session:
        views = moratoria.list_gatherings(session, actor=rt.actor, suspended_only=suspended)
    if as_json:
        emit_json([_gathering_json(v, rt) for v in views])
        return
    _gathering_table(f"gatherings ({len(views)})", views, rt)


@moratorium_app.command("issue")
def issue(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (recorded with the order).")],
    today: Annotated[
        bool, typer.Option("--today", help="Just for today: until 24:00, station time.")
    ] = False,
    start: Annotated[str | None, typer.Option(help="When it starts (default: now).")] = None,
    expiry: Annotated[str | None, typer.Option(help="When it lapses.")] = None,
    route: Annotated[
        list[str] | None, typer.Option(help="Routes suspended (default: fluid).")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option(help="First party by role (default: visiting_crew).")
    ] = None,
    counterpart: Annotated[
        list[str] | None, typer.Option(help="Second party by role (default: everyone else).")
    ] = None,
    place: Annotated[list[str] | None, typer.Option(help="Only in these places.")] = None,
    gathering: Annotated[list[str] | None, typer.Option(help="Also these gatherings.")] = None,
    as_json: JSON = False,
) -> None:
    """Suspend a route between two groups and the gatherings it covers, in a scope and window."""
    rt = runtime(ctx)
    roles = [ROLE_ALIASES.get(normalise_word(r), normalise_word(r)) for r in role or ["crew"]]
    others = [ROLE_ALIASES.get(normalise_word(r), normalise_word(r)) for r in counterpart or []]
    with rt.session() as session:
        order, covered = moratoria.issue_moratorium(
            session,
            actor=rt.actor,
            start=when(rt, start),
            expiry=when(rt, expiry) if expiry else None,
            today=today,
            zone=rt.settings.zone,
            reason=reason,
            routes=[choice(Route, r, ROUTE_ALIASES) for r in route or ["fluid"]],
            roles=roles,
            counterpart_roles=others,
            places=place or (),
            gathering_ids=gathering or (),
        )
    if as_json:
        emit_json(
            {"order": order_json(order, rt), "suspended": [_gathering_json(v, rt) for v in covered]}
        )
        return
    console.print(
        f"moratorium {order.id} from {moment(order.start, rt.settings.zone)} "
        f"until {moment(order.expiry, rt.settings.zone) or 'lifted'}: {order.reason}"
    )
    _gathering_table(f"suspended gatherings ({len(covered)})", covered, rt)


@moratorium_app.command("list")
def list_(ctx: typer.Context, as_json: JSON = False) -> None:
    """Moratoria with their window and status, and the gatherings (and participants) suspended."""
    rt = runtime(ctx)
    with rt.session() as session:
        views = orders.list_orders(session, actor=rt.actor, kinds=(OrderKind.MORATORIUM,))
        suspended = moratoria.list_gatherings(session, actor=rt.actor, suspended_only=True)
    if as_json:
        emit_json(
            {
                "moratoria": [order_json(v.order, rt, v) for v in views],
                "suspended": [_gathering_json(v, rt) for v in suspended],
            }
        )
        return
    zone = rt.settings.zone
    table(
        f"moratoria ({len(views)})",
        ["id", "status", "start", "expiry", "closed", "routes", "between", "reason"],
        [
            (
                v.order.id,
                v.order.status.value,
                moment(v.order.start, zone),
                moment(v.order.expiry, zone),
                f"{moment(v.closed_at, zone)} {v.closed_by or ''}"
                if v.order.status is not OrderStatus.ACTIVE
                else "",
                " ".join(sorted(r.value for r in v.order.scope.routes)) or "all",
                f"{' '.join(sorted(v.order.scope.roles))} / "
                f"{' '.join(sorted(v.order.scope.counterpart_roles)) or 'everyone else'}",
                v.order.reason,
            )
            for v in views
        ],
    )
    _gathering_table(f"suspended gatherings ({len(suspended)})", suspended, rt)


@moratorium_app.command("lift")
def lift(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(help="The moratorium to lift.")],
    reason: Annotated[str, typer.Option(help="Why it is lifted (recorded).")],
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """Lift a moratorium early; its gatherings go back on schedule."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = orders.list_orders(session, actor=rt.actor, kinds=(OrderKind.MORATORIUM,))
        if order_id not in {v.order.id for v in found}:
            raise InvalidValue(
                f"order {order_id} is not a moratorium (see `cordon moratorium list`)"
            )
        lifted = orders.lift_order(
            session, order_id, actor=rt.actor, at=when(rt, at), reason=reason
        )
    if as_json:
        emit_json(order_json(lifted, rt))
        return
    console.print(f"moratorium {order_id} lifted")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("decide")(decide)
    app.command("gatherings")(gatherings)
    app.add_typer(emergency_app, name="emergency")
    app.add_typer(moratorium_app, name="moratorium")
