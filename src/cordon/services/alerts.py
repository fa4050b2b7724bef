"""Alerts: the feed people on watch read, and acknowledging one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cordon.domain.alerts import AlertKind, Severity
from cordon.domain.roles import Actor, Permission, require
from cordon.services.transaction import unit_of_work
from cordon.store import containment, listings
from cordon.store.listings import AlertView

__all__ = ["AlertView", "acknowledge", "list_alerts"]


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
    return listings.list_alerts(
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


def acknowledge(session: Session, alert_id: int, *, actor: Actor, at: int) -> None:
    """Mark an alert as seen and acted on, with who and when (the first acknowledgement
    stands), recorded in the audit log."""
    require(actor, Permission.READ_ALERTS)
    with unit_of_work(session):
        containment.acknowledge_alert(session, alert_id, at=at, actor=actor.name)
