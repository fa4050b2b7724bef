"""``cordon rules apply``, ``cordon missing`` and ``cordon alerts``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from cordon.cli.context import Runtime, runtime
from cordon.cli.orders import JSON, order_json, when
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.alerts import AlertKind
from cordon.domain.people import ROLE_ALIASES
from cordon.domain.vocab import choice, normalise_word
from cordon.services import alerts as alert_service
from cordon.services import containment, missing
from cordon.times import format_time

__all__ = ["register"]

rules_app = typer.Typer(help="The containment rules of the active pathogen profile.")


@rules_app.command("apply")
def apply(
    ctx: typer.Context,
    now: Annotated[
        str | None, typer.Option(help="Act on records up to then (default: now).")
    ] = None,
    as_json: JSON = False,
) -> None:
    """Apply the rules to every exposure and result not yet acted on (idempotent)."""
    rt = runtime(ctx)
    with rt.session() as session:
        report = containment.apply_rules(session, actor=rt.actor, now=when(rt, now))
    zone = rt.settings.zone
    if as_json:
        emit_json(
            {
                "exposures_checked": report.exposures_checked,
                "results_checked": report.results_checked,
                "firings": [
                    {
                        "action": f.action.value,
                        "person": f.person,
                        "at": format_time(f.at, zone),
                        "reason": f.reason,
                        "evidence": list(f.evidence),
                    }
                    for f in report.firings
                ],
                "orders": [order_json(o, rt) for o in report.orders],
                "breaches": [a.message for a in report.breaches],
                "exit_alerts": [a.message for a in report.exit_alerts],
                "expired": [o.id for o in report.expired],
            }
        )
        return
    table(
        f"rule firings ({len(report.firings)})",
        ["action", "person", "at", "reason", "evidence"],
        [
            (f.action.value, f.person, moment(f.at, zone), f.reason, " ".join(f.evidence))
            for f in report.firings
        ],
    )
    console.print(
        f"checked {report.exposures_checked} exposures and {report.results_checked} results; "
        f"{len(report.orders)} orders, {len(report.breaches)} moratorium breaches, "
        f"{len(report.exit_alerts)} exit alerts, {len(report.expired)} orders expired"
    )


def _companions(items: Any) -> list[dict[str, Any]]:
    return [asdict(c) for c in items]


def find(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option(help="As of this time (default: now).")] = None,
    record: Annotated[
        bool, typer.Option(help="Mark cases missing or departed, with an alert each.")
    ] = True,
    role: Annotated[
        list[str] | None, typer.Option(help="Only people of this role (repeatable).")
    ] = None,
    as_json: JSON = False,
) -> None:
    """Who should be in quarantine or isolation but is not in their place: last sighting,
    companions, and any exit passage (which, when, with whom, what credential)."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = missing.find_missing(
            session,
            actor=rt.actor,
            at=when(rt, at),
            record=record,
            roles=[ROLE_ALIASES.get(normalise_word(r), normalise_word(r)) for r in role or ()],
            grace=rt.settings.missing_grace_seconds,
        )
    zone = rt.settings.zone
    if as_json:
        emit_json([_missing_json(m, rt) for m in found])
        return
    table(
        f"missing cases ({len(found)})",
        ["person", "name", "order", "status", "last seen", "exit", "when", "credential", "with"],
        [
            (
                m.person,
                m.name,
                m.order.kind.value,
                m.status.value,
                m.last_presence.place if m.last_presence else "",
                m.egress.place if m.egress else "",
                moment(m.egress.at, zone) if m.egress else "",
                m.egress.credential if m.egress else "",
                ", ".join(f"{c.person} ({c.role})" for c in m.egress.companions)
                if m.egress
                else ", ".join(c.person for c in m.companions),
            )
            for m in found
        ],
    )


def _missing_json(m: missing.MissingCase, rt: Runtime) -> dict[str, Any]:
    zone = rt.settings.zone
    return {
        "person": m.person,
        "name": m.name,
        "role": m.role,
        "order": order_json(m.order, rt),
        "allowed_places": list(m.allowed_places),
        "status": m.status.value,
        "last_presence": asdict(m.last_presence) if m.last_presence else None,
        "last_passage": asdict(m.last_passage) if m.last_passage else None,
        "companions": _companions(m.companions),
        "co_located": _companions(m.co_located),
        "egress": None
        if m.egress is None
        else {
            **asdict(m.egress),
            "time": format_time(m.egress.at, zone),
            "companions": _companions(m.egress.companions),
        },
        "evidence": list(m.evidence),
    }


def alerts(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    since: Annotated[str | None, typer.Option(help="Only alerts from then on.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only unacknowledged.")] = False,
    ack: Annotated[int | None, typer.Option(help="Acknowledge this alert id.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: JSON = False,
) -> None:
    """Alerts, the last raised first: held persons at exits, foreign credentials, missing and
    departed cases, moratorium breaches, orders issued, overrides, emergencies."""
    rt = runtime(ctx)
    with rt.session() as session:
        if ack is not None:
            alert_service.acknowledge(session, ack, actor=rt.actor, at=when(rt, None))
        found, _total = alert_service.list_alerts(
            session,
            actor=rt.actor,
            kind=choice(AlertKind, kind) if kind else None,
            since=when(rt, since) if since else None,
            open_only=open_only,
            limit=limit,
        )
    zone = rt.settings.zone
    if as_json:
        emit_json(
            [
                {
                    "id": v.id,
                    "kind": v.alert.kind.value,
                    "at": format_time(v.alert.at, zone),
                    "severity": v.alert.severity.value,
                    "person": v.alert.person,
                    "place": v.alert.place,
                    "message": v.alert.message,
                    "evidence": list(v.alert.evidence),
                    "acknowledged_by": v.acknowledged_by,
                }
                for v in found
            ]
        )
        return
    table(
        f"alerts ({len(found)})",
        ["id", "at", "kind", "severity", "person", "message"],
        [
            (
                v.id,
                moment(v.alert.at, zone),
                v.alert.kind.value,
                v.alert.severity.value,
                v.alert.person or "",
                v.alert.message,
            )
            for v in found
        ],
    )


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(rules_app, name="rules")
    app.command("missing")(find)
    app.command("alerts")(alerts)
