"""The latest presence and passage of each person up to an instant (one query each)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.store.models import PassageRow, PersonRow, PlaceRow, PresenceRow

__all__ = ["Sighting", "last_passages", "last_presences"]


@dataclass(frozen=True)
class Sighting:
    """A person's latest record: in ``place`` from ``start`` to ``end`` (a passage: both its
    time), with the passage's direction and whether the place is an exit."""

    place: str
    start: int
    end: int
    direction: str | None = None
    exit: bool = False


def _people(query: object, people: Collection[str] | None) -> object:
    return query if people is None else query.where(PersonRow.id.in_(list(people)))  # type: ignore[attr-defined]


def last_presences(
    session: Session, at: int, people: Collection[str] | None = None
) -> dict[str, Sighting]:
    """Per person, the presence interval that started last at or before ``at`` (the latest
    ending one when several start together)."""
    latest = (
        select(PresenceRow.person_pk, func.max(PresenceRow.start_time).label("start"))
        .where(PresenceRow.start_time <= at)
        .group_by(PresenceRow.person_pk)
        .subquery()
    )
    query = (
        select(PersonRow.id, PlaceRow.id, PresenceRow.start_time, PresenceRow.end_time)
        .join(latest, latest.c.person_pk == PresenceRow.person_pk)
        .join(PersonRow, PersonRow.pk == PresenceRow.person_pk)
        .join(PlaceRow, PlaceRow.pk == PresenceRow.place_pk)
        .where(PresenceRow.start_time == latest.c.start)
        .order_by(PersonRow.id, PresenceRow.end_time, PlaceRow.id)
    )
    out: dict[str, Sighting] = {}
    for person, place, start, end in session.execute(_people(query, people)):  # type: ignore[call-overload]
        out[person] = Sighting(place, int(start), int(end))
    return out


def last_passages(
    session: Session, at: int, people: Collection[str] | None = None
) -> dict[str, Sighting]:
    """Per person, the passage at or before ``at`` that came last."""
    latest = (
        select(PassageRow.person_pk, func.max(PassageRow.at).label("at"))
        .where(PassageRow.at <= at)
        .group_by(PassageRow.person_pk)
        .subquery()
    )
    query = (
        select(PersonRow.id, PlaceRow.id, PassageRow.at, PassageRow.direction, PlaceRow.exit)
        .join(latest, latest.c.person_pk == PassageRow.person_pk)
        .join(PersonRow, PersonRow.pk == PassageRow.person_pk)
        .join(PlaceRow, PlaceRow.pk == PassageRow.place_pk)
        .where(PassageRow.at == latest.c.at)
        .order_by(PersonRow.id, PassageRow.pk)
    )
    out: dict[str, Sighting] = {}
    for person, place, when, direction, exit_ in session.execute(_people(query, people)):  # type: ignore[call-overload]
        out[person] = Sighting(place, int(when), int(when), direction, bool(exit_))
    return out
