"""Alerts: the feed people on watch read, and raising or acknowledging one."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import NotFound
from cordon.services.transaction import unit_of_work
from cordon.store import audit, listings
from cordon.store.listings import AlertView
from cordon.store.models import AlertRow

__all__ = ["AlertView", "acknowledge", "list_alerts", "raise_alert"]


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    kind: AlertKind | None = None,
    severity: Severity | None = None,
    after_id: int | None = None,
    open_only: bool = False,
    limit: int | None = 50,
    offset: int = 0,
    newest_first: bool = True,
) -> tuple[list[AlertView], int]:
    """Alerts and how many match in all; ``after_id`` gives only the ones newer than that."""
    require(actor, Permission.READ_ALERTS)
    return listings.list_alerts(
        session,
        kind=kind,
        severity=severity,
        after_id=after_id,
        open_only=open_only,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
    )


def raise_alert(session: Session, alert: Alert, *, actor: Actor) -> int:
    """Store a new alert; returns its id."""
    require(actor, Permission.READ_ALERTS)
    with unit_of_work(session):
        return listings.add_alert(session, alert, actor=actor.name)


def acknowledge(session: Session, alert_id: int, *, actor: Actor) -> None:
    """Mark an alert as seen and handled by the actor."""
    require(actor, Permission.READ_ALERTS)
    with unit_of_work(session):
        row = session.get(AlertRow, alert_id)
        if row is None:
            raise NotFound(f"no alert {alert_id}")
        if row.acknowledged_at is None:
            row.acknowledged_at, row.acknowledged_by = int(time.time()), actor.name
            audit.record(
                session, actor=actor.name, action="acknowledge", entity="alert", entity_id=alert_id
            )
