"""Alerts: the feed people on watch read (the list, the live stream, the report), and
acknowledging one. Every alert leaves through ``visible``: without clinical rights no exposure or
lab evidence and no order kind that tells a confirmed case from an exposed one."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy.orm import Session

from cordon.domain.alerts import AlertKind, Severity
from cordon.domain.roles import Actor, Permission, require
from cordon.services.transaction import unit_of_work
from cordon.store import containment, listings
from cordon.store.listings import AlertView

__all__ = ["PLAIN_EVIDENCE", "AlertView", "acknowledge", "list_alerts", "visible"]

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
) -> tuple[list[AlertView], int]:
    """Alerts, newest raised first unless asked, and how many match in all; ``since`` keeps
    those from that time on, ``after_id`` those raised after that one."""
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
    )
    return [visible(v, actor) for v in found], total


def acknowledge(session: Session, alert_id: int, *, actor: Actor, at: int) -> None:
    """Mark an alert as seen and acted on, with who and when (the first acknowledgement
    stands), recorded in the audit log."""
    require(actor, Permission.READ_ALERTS)
    with unit_of_work(session):
        containment.acknowledge_alert(session, alert_id, at=at, actor=actor.name)
