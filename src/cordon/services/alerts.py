"""Alerts: listing them and acknowledging one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cordon.domain.alerts import AlertKind
from cordon.domain.roles import Actor, Permission, require
from cordon.services.transaction import unit_of_work
from cordon.store import containment as records
from cordon.store.containment import AlertView

__all__ = ["acknowledge", "list_alerts"]


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    kind: AlertKind | None = None,
    since: int | None = None,
    open_only: bool = False,
    limit: int | None = 100,
) -> list[AlertView]:
    """Alerts, newest first, optionally of one kind, since a time, or not yet acknowledged."""
    require(actor, Permission.READ_ALERTS)
    return records.list_alerts(session, kind=kind, since=since, open_only=open_only, limit=limit)


def acknowledge(session: Session, alert_id: int, *, actor: Actor, at: int) -> None:
    """Mark an alert as seen and acted on, recorded with who and when."""
    require(actor, Permission.READ_ALERTS)
    with unit_of_work(session):
        records.acknowledge_alert(session, alert_id, at=at, actor=actor.name)
