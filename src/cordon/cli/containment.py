"""``cordon rules apply``, ``cordon missing`` and ``cordon alerts``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import tzinfo
from typing import Annotated, Any

import typer

from cordon.cli.context import Runtime, runtime
from cordon.cli.orders import JSON, order_json, when
from cordon.cli.output import console, emit_json, moment, shown, table
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
        f"missing cases ({len(found)}, confirmed first)",
        ["person", "status", "exit or last seen", "when", "with"],
        [(f"{m.person}\n{m.name}", _status(m), *_seen(m, zone), _near(m)) for m in found],
    )


def _status(m: missing.MissingCase) -> str:
    return f"{m.status.value}\n{m.clinical}" if m.clinical else m.status.value


def _seen(m: missing.MissingCase, zone: tzinfo) -> tuple[str, str]:
    """Where and when the person was last seen: the exit (with its credential) for the
    departed, else the last passage or presence."""
    if m.egress is not None:
        return f"{m.egress.place} ({m.egress.credential})", moment(m.egress.at, zone)
    p, s = m.last_passage, m.last_presence
    if p is not None and (s is None or p.at >= s.end):
        return p.place, moment(p.at, zone)
    if s is not None:
        return s.place, moment(s.end, zone)
    return "never seen", ""


def _near(m: missing.MissingCase, most: int = 2) -> str:
    near = m.near()
    text = ", ".join(c.person for c in near[:most])
    return text + (f" +{len(near) - most}" if len(near) > most else "")


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
    ack: Annotated[
        list[int] | None, typer.Option(help="Acknowledge this alert id (repeat for more).")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 50,
    as_json: JSON = False,
) -> None:
    """Alerts, the latest event first: held persons at exits, foreign credentials, missing and
    departed cases, moratorium breaches, orders issued, overrides, emergencies. With --ack,
    acknowledge those alerts and say so."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    with rt.session() as session:
        if ack:
            done = alert_service.acknowledge_many(session, ack, actor=rt.actor, at=when(rt, None))
            if as_json:
                emit_json([_alert_json(v, zone) for v in done])
                return
            for v in done:
                console.print(
                    f"alert {v.id} acknowledged by {v.acknowledged_by} at "
                    f"{moment(v.acknowledged_at, zone)}: {v.alert.message}"
                )
            return
        found, total = alert_service.list_alerts(
            session,
            actor=rt.actor,
            kind=choice(AlertKind, kind) if kind else None,
            since=when(rt, since) if since else None,
            open_only=open_only,
            limit=limit or None,
        )
    if as_json:
        emit_json([_alert_json(v, zone) for v in found])
        return
    table(
        f"{'open ' if open_only else ''}alerts ({len(found)} of {total})",
        ["id", "at", "kind", "message"],
        [
            (
                v.id,
                moment(v.alert.at, zone),
                v.alert.kind.value.replace("_", " ")
                + ("" if v.acknowledged_at is None else " (seen)"),
                v.alert.message,
            )
            for v in found
        ],
    )
    shown(len(found), total, "alerts")


def _alert_json(v: alert_service.AlertView, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": v.id,
        "kind": v.alert.kind.value,
        "at": format_time(v.alert.at, zone),
        "severity": v.alert.severity.value,
        "person": v.alert.person,
        "place": v.alert.place,
        "message": v.alert.message,
        "evidence": list(v.alert.evidence),
        "acknowledged_at": format_time(v.acknowledged_at, zone) or None,
        "acknowledged_by": v.acknowledged_by,
    }


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(rules_app, name="rules")
    app.command("missing")(find)
    app.command("alerts")(alerts)
