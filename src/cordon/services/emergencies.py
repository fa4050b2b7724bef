"""Declared life-safety emergencies (fire, decompression): while one lasts, exits fail open to
everyone and every passage is logged for tracing after."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.roles import Actor, Permission, require
from cordon.services.transaction import unit_of_work
from cordon.store import containment as records
from cordon.store import directory
from cordon.store.containment import Emergency

__all__ = ["declare_emergency", "end_emergency"]


def declare_emergency(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    start: int,
    reason: str,
    places: Iterable[str] = (),
) -> Emergency:
    """Declare a life-safety emergency (fire, decompression): exits fail open, every passage is
    logged; no places means every exit."""
    require(actor, Permission.DECLARE_EMERGENCY)
    with unit_of_work(session):
        for p in places:
            directory.get_place(session, p)
        found = records.add_emergency(
            session, kind=kind, places=list(places), start=start, actor=actor.name, reason=reason
        )
        records.add_alert(
            session,
            Alert(
                AlertKind.EMERGENCY,
                start,
                f"{kind} emergency declared: {reason}",
                Severity.CRITICAL,
                evidence=(f"emergency:{found.id}",),
            ),
            person_pk=None,
            place_pk=None,
            actor=actor.name,
        )
    return found


def end_emergency(session: Session, emergency_id: int, *, actor: Actor, at: int) -> Emergency:
    """End a declared emergency: exits close again to held persons."""
    require(actor, Permission.DECLARE_EMERGENCY)
    with unit_of_work(session):
        return records.end_emergency(session, emergency_id, at=at, actor=actor.name)
