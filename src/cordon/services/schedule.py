"""Gatherings as the service lists them; roles that may not see names get only head counts."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from cordon.domain.gatherings import Gathering, GatheringStatus
from cordon.domain.roles import Actor, Permission, require
from cordon.store import gatherings

__all__ = ["list_gatherings"]


def list_gatherings(
    session: Session,
    *,
    actor: Actor,
    start: int | None = None,
    end: int | None = None,
    status: GatheringStatus | None = None,
    place: str | None = None,
) -> list[tuple[Gathering, int]]:
    """Gatherings in time order (overlapping [start, end) when given) with their head counts."""
    require(actor, Permission.READ_AGGREGATES)
    names = actor.can(Permission.READ_PEOPLE)
    found = [
        g
        for g in gatherings.list_gatherings(session, start=start, end=end)
        if (status is None or g.status is status) and (place is None or g.place == place)
    ]
    return [(g if names else replace(g, participants=()), len(g.participants)) for g in found]
