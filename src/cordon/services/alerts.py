"""Alerts: the feed people on watch read (the list, the live stream, the report), and
acknowledging one. Every alert leaves through ``visible``: without clinical rights no exposure or
lab evidence and no order kind that tells a confirmed case from an exposed one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from cordon.domain.alerts import AlertKind, Severity
from cordon.domain.roles import Actor, Permission, require
from cordon.services.transaction import unit_of_work
from cordon.store import containment, listings
from cordon.store.listings import AlertView

__all__ = [
    "PLAIN_EVIDENCE",
    "AlertView",
    "acknowledge",
    "acknowledge_many",
    "list_alerts",
    "open_count",
    "visible",
]

PLAIN_EVIDENCE = ("order:", "door:", "at:", "credential:", "emergency:", "passage:")
"""Evidence links that say nothing clinical; any other (an exposure, a result, whatever a
medical order was issued on) is shown only to clinical roles."""
_MEDICAL_WORDS = re.compile(r"\b(quarantine|quarantined|isolation|isolated)\b", re.IGNORECASE)
_CLINICAL_TASK = re.compile(r"^task (\d+) \(sample\b")


def visible(view: AlertView, actor: Actor) -> AlertView:
    """The alert as the actor may see it: without clinical rights, "under order" in place of a
    quarantine or isolation, no exposure or lab evidence; without contact rights, a breach does
    not say who was exposed to whom."""
    if actor.can(Permission.READ_CLINICAL):
        return view
    a = view.alert
    message = _MEDICAL_WORDS.sub("under order", a.message)
    if a.kind is AlertKind.SYMPTOMS:
        message = f"{a.person}: a clinical finding at follow-up (details for clinical roles)"
    elif a.kind is AlertKind.TASK_OVERDUE and (task := _CLINICAL_TASK.match(a.message)):
        message = f"task {task.group(1)} (clinical) is overdue"
    if a.kind is AlertKind.MORATORIUM_BREACH and not actor.can(Permission.READ_CONTACTS):
        orders = [e for e in a.evidence if e.startswith("order:")]
        message = f"an exposure breaches a moratorium ({', '.join(orders) or 'order unknown'})"
    evidence = tuple(e for e in a.evidence if e.startswith(PLAIN_EVIDENCE))
    return replace(view, alert=replace(a, message=message, evidence=evidence))


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    kind: AlertKind | None = None,
    severity: Severity | None = None,
    since: int | None = None,
    after_id: int | None = None,
    open_only: bool = False,
    limit: int | None = 100,
    offset: int = 0,
    newest_first: bool = True,
    by_time: bool = True,
    person: str | None = None,
) -> tuple[list[AlertView], int]:
    """Alerts, by the time of what they report (newest first unless asked; ``by_time`` False:
    in the order they were raised, as the live stream follows them), and how many match in all;
    ``since`` keeps those from that time on, ``after_id`` those raised after that one."""
    require(actor, Permission.READ_ALERTS)
    found, total = listings.list_alerts(
        session,
        kind=kind,
        severity=severity,
        since=since,
        after_id=after_id,
        open_only=open_only,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
        by_time=by_time,
        person_id=person,
    )
    return [visible(v, actor) for v in found], total


def open_count(session: Session, *, actor: Actor) -> int:
    """How many alerts nobody has acknowledged yet (the dashboard's badge)."""
    require(actor, Permission.READ_ALERTS)
    return listings.list_alerts(session, open_only=True, limit=0)[1]


def acknowledge(session: Session, alert_id: int, *, actor: Actor, at: int) -> AlertView:
    """Mark an alert as seen and acted on, with who and when (the first acknowledgement
    stands), recorded in the audit log; the alert as it now stands."""
    return acknowledge_many(session, [alert_id], actor=actor, at=at)[0]


def acknowledge_many(
    session: Session, alert_ids: Sequence[int], *, actor: Actor, at: int
) -> list[AlertView]:
    """Acknowledge several alerts at once, all or none (an unknown id refuses the lot); the
    alerts as they now stand, in the order given."""
    require(actor, Permission.READ_ALERTS)
    with unit_of_work(session):
        for alert_id in alert_ids:
            containment.acknowledge_alert(session, alert_id, at=at, actor=actor.name)
    found = {v.id: v for v in listings.alerts_by_id(session, list(alert_ids))}
    return [visible(found[i], actor) for i in alert_ids if i in found]
