"""``cordon order``: issue, lift and list orders; egress holds and who is held now."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cordon.cli.context import Runtime, runtime
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.orders import Order, OrderKind, OrderStatus
from cordon.domain.vocab import choice
from cordon.errors import InvalidValue
from cordon.services import access, orders
from cordon.store.containment import OrderView
from cordon.times import format_time, parse_duration

__all__ = ["register", "when"]

order_app = typer.Typer(help="Issue, lift and list orders (quarantine, isolation, egress hold).")

JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def when(rt: Runtime, text: str | None) -> int:
    """Epoch seconds of a time given on the command line (now when not given)."""
    return rt.when(text)


def order_json(order: Order, rt: Runtime, view: OrderView | None = None) -> dict[str, Any]:
    """An order as printed by ``--json``."""
    zone = rt.settings.zone
    out: dict[str, Any] = {
        "id": order.id,
        "kind": order.kind.value,
        "person": order.person,
        "status": order.status.value,
        "start": format_time(order.start, zone),
        "expiry": format_time(order.expiry, zone) or None,
        "issuer": order.issuer,
        "reason": order.reason,
        "evidence": list(order.evidence),
        "scope": order.scope.to_json(),
        "supersedes": order.supersedes,
    }
    if view is not None:
        out["closed_at"] = format_time(view.closed_at, zone) or None
        out["closed_by"] = view.closed_by
        out["close_reason"] = view.close_reason
    return out


def _expiry(rt: Runtime, start: int, expiry: str | None, duration: str | None) -> int | None:
    if expiry and duration:
        raise typer.BadParameter("give --expiry or --for, not both")
    if duration:
        return start + parse_duration(duration)
    return when(rt, expiry) if expiry else None


@order_app.command("issue")
def issue(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="quarantine, isolation or egress_hold.")],
    person: Annotated[str, typer.Option(help="Who the order binds.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the order).")],
    start: Annotated[str | None, typer.Option(help="When it starts (default: now).")] = None,
    expiry: Annotated[str | None, typer.Option(help="When it lapses (default: never).")] = None,
    duration: Annotated[str | None, typer.Option("--for", help="How long, e.g. 14d.")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="Evidence, repeatable.")] = None,
    as_json: JSON = False,
) -> None:
    """Issue a quarantine, isolation or egress hold on one person."""
    rt = runtime(ctx)
    wanted = choice(OrderKind, kind, {"hold": "egress_hold"})
    begins = when(rt, start)
    with rt.session() as session:
        order = orders.issue_order(
            session,
            actor=rt.actor,
            kind=wanted,
            person=person,
            start=begins,
            expiry=_expiry(rt, begins, expiry, duration),
            reason=reason,
            evidence=evidence or (),
        )
    _print_one(rt, order, "issued", as_json)


@order_app.command("hold")
def hold(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (recorded with the order).")],
    person: Annotated[
        str | None, typer.Argument(help="Who may not leave (or a group: --role, ...).")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option(help="Everyone of this role (repeatable).")
    ] = None,
    affiliation: Annotated[
        list[str] | None, typer.Option(help="Everyone of this affiliation (repeatable).")
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(help="Everyone whose case is confirmed, exposed, quarantined, ..."),
    ] = None,
    start: Annotated[str | None, typer.Option(help="When it starts (default: now).")] = None,
    duration: Annotated[str | None, typer.Option("--for", help="How long, e.g. 7d.")] = None,
    as_json: JSON = False,
) -> None:
    """Put an egress hold on a person, or on a whole group (`--role performer`, `--state
    confirmed --state exposed`): every exit refuses them at once; `cordon order lift` ends it."""
    rt = runtime(ctx)
    begins = when(rt, start)
    scope = orders.group_scope(role or (), affiliation or (), state or ())
    if person is None and not scope.group:
        raise InvalidValue("name a person, or a group with --role, --affiliation or --state")
    with rt.session() as session:
        order = orders.issue_order(
            session,
            actor=rt.actor,
            kind=OrderKind.EGRESS_HOLD,
            person=person,
            start=begins,
            expiry=_expiry(rt, begins, None, duration),
            reason=reason,
            scope=scope if scope.group else None,
        )
    _print_one(rt, order, "issued", as_json)


@order_app.command("lift")
def lift(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(help="The order to lift.")],
    reason: Annotated[str, typer.Option(help="Why it is lifted (recorded).")],
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """Lift an active order early; who, when and why are recorded."""
    rt = runtime(ctx)
    with rt.session() as session:
        order = orders.lift_order(session, order_id, actor=rt.actor, at=when(rt, at), reason=reason)
    _print_one(rt, order, "lifted", as_json)


@order_app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    status: Annotated[str | None, typer.Option(help="active, lifted, expired, superseded.")] = None,
    person: Annotated[str | None, typer.Option(help="Only this person's orders.")] = None,
    as_json: JSON = False,
) -> None:
    """Orders with their issuer, reason, window and lifecycle."""
    rt = runtime(ctx)
    kinds = (choice(OrderKind, kind, {"hold": "egress_hold"}),) if kind else ()
    with rt.session() as session:
        views = orders.list_orders(
            session,
            actor=rt.actor,
            kinds=kinds,
            status=choice(OrderStatus, status) if status else None,
            person=person,
        )
    if as_json:
        emit_json([order_json(v.order, rt, v) for v in views])
        return
    zone = rt.settings.zone
    table(
        f"orders ({len(views)})",
        ["id", "kind", "person", "status", "start", "expiry", "issuer", "reason"],
        [
            (
                v.order.id,
                v.order.kind.value,
                v.order.person or "",
                v.order.status.value,
                moment(v.order.start, zone),
                moment(v.order.expiry, zone),
                v.order.issuer,
                v.order.reason,
            )
            for v in views
        ],
    )


@order_app.command("expire")
def expire(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option(help="Expire what is due by then (default: now).")] = (
        None
    ),
    as_json: JSON = False,
) -> None:
    """Close every order whose expiry has passed (what the service's periodic task does)."""
    rt = runtime(ctx)
    with rt.session() as session:
        expired = orders.expire_orders(session, now=when(rt, at), actor=rt.actor)
    if as_json:
        emit_json([order_json(orders.visible(o, rt.actor), rt) for o in expired])
        return
    console.print(f"{len(expired)} order(s) expired")


@order_app.command("holds")
def holds(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option(help="At this time (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """Who the doors refuse at a time, and under which order (from the access index)."""
    rt = runtime(ctx)
    moment_ = when(rt, at)
    with rt.session() as session:
        index = access.AccessIndex.from_store(session, actor=rt.actor)
    rows = [
        (person, h) for person, hs in sorted(index.holds.items()) for h in hs if h.in_force(moment_)
    ]
    if as_json:
        emit_json(
            [
                {
                    "person": p,
                    "order": h.order,
                    "kind": h.kind.value,
                    "start": format_time(h.start, rt.settings.zone),
                    "expiry": format_time(h.expiry, rt.settings.zone) or None,
                    "may_enter": sorted(h.allowed),
                }
                for p, h in rows
            ]
        )
        return
    table(
        f"held persons ({len({p for p, _ in rows})})",
        ["person", "order", "kind", "expiry", "may enter"],
        [
            (
                p,
                h.order,
                h.kind.value,
                moment(h.expiry, rt.settings.zone),
                " ".join(sorted(h.allowed)),
            )
            for p, h in rows
        ],
    )


def _print_one(rt: Runtime, order: Order, verb: str, as_json: bool) -> None:
    if as_json:
        emit_json(order_json(order, rt))
        return
    who = f" on {order.person}" if order.person else ""
    if order.person is None and order.scope.group:
        who = f" on {order.scope.describe_group()}"
    console.print(f"{verb} {order.kind.value} order {order.id}{who}: {order.reason}")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(order_app, name="order")
