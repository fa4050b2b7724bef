"""Where is person P at time T: the one answer cases, the bed plan and missing share.

The rule, in order: the latest passage at or before T decides when it is no older than the end
of the latest presence (in through a door: that place; out through an exit: off the station;
out of anywhere else: not known); otherwise the latest presence that started at or before T,
whether still open at T (intervals that end exactly at T included) or not (last seen there).
A case isolated or quarantined in an assigned place is there unless a later sighting says
otherwise.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from cordon.domain.cases import Case, Containment
from cordon.domain.records import Direction
from cordon.domain.roles import Actor, Permission, require
from cordon.store import cases as case_store
from cordon.store.whereabouts import last_passages, last_presences

__all__ = ["Whereabouts", "case_places", "locate", "place_at", "where_is"]

HELD = (Containment.ISOLATED, Containment.QUARANTINED)


@dataclass(frozen=True)
class Whereabouts:
    """Where the record puts a person at ``at``, and on what evidence."""

    person: str
    at: int
    place: str | None
    source: str
    """``present`` (a presence open at ``at``), ``entered`` (a passage in), ``last seen`` (a
    presence that ended before), ``order`` (the assigned place of an isolation or quarantine),
    ``left`` (out through an exit: off the station) or ``unknown``."""
    since: int | None

    @property
    def aboard(self) -> bool:
        """False when the last record is an exit out of the station."""
        return self.source != "left"

    @property
    def label(self) -> str:
        """The place as a listing shows it: "ward-1", "hall (last seen)", "off the station"."""
        if self.source == "left":
            return "off the station"
        if self.place is None:
            return "not known"
        if self.source in ("present", "entered", "order"):
            return self.place
        return f"{self.place} (last seen)"


class _Presence(Protocol):
    @property
    def place(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class _Passage(Protocol):
    @property
    def place(self) -> str: ...
    @property
    def at(self) -> int: ...
    @property
    def direction(self) -> str: ...


def place_at(
    presence: _Presence | None, passage: _Passage | None, exit_: bool, at: int
) -> tuple[str | None, str, int | None]:
    """The rule of this module for one person's latest presence and passage up to ``at``:
    (place, source, since)."""
    if passage is not None and (presence is None or passage.at >= presence.end):
        if passage.direction == Direction.IN.value:
            return passage.place, "entered", passage.at
        return None, "left" if exit_ else "unknown", passage.at
    if presence is not None:
        return presence.place, "present" if presence.end >= at else "last seen", presence.start
    return None, "unknown", None


@dataclass(frozen=True)
class _Seen:
    place: str
    start: int
    end: int
    at: int = 0
    direction: str = ""


def where_is(
    session: Session,
    *,
    actor: Actor,
    at: int,
    people: Collection[str] | None = None,
    cases: Collection[Case] | None = None,
) -> dict[str, Whereabouts]:
    """Whereabouts at ``at`` of ``people`` (default: everyone with a record); ``cases`` (default:
    the store's) give the assigned places of those under isolation or quarantine."""
    require(actor, Permission.READ_LOCATIONS)
    return locate(session, at=at, people=people, cases=cases)


def locate(
    session: Session,
    *,
    at: int,
    people: Collection[str] | None = None,
    cases: Collection[Case] | None = None,
) -> dict[str, Whereabouts]:
    """``where_is`` for services that have checked the reader's rights themselves."""
    presences = last_presences(session, at, people)
    passages = last_passages(session, at, people)
    if cases is None:
        cases = case_store.list_cases(session)
    held = {c.person: c for c in cases if c.containment in HELD and c.assigned_place}
    names = set(presences) | set(passages) | set(held)
    if people is not None:
        names &= set(people)
    out: dict[str, Whereabouts] = {}
    for person in sorted(names):
        seen, door = presences.get(person), passages.get(person)
        presence = _Seen(seen.place, seen.start, seen.end) if seen else None
        passage = (
            _Seen(door.place, door.start, door.end, door.start, door.direction or "")
            if door
            else None
        )
        place, source, since = place_at(presence, passage, bool(door and door.exit), at)
        case = held.get(person)
        if case is not None and (since is None or since <= case.since or source == "last seen"):
            place, source, since = case.assigned_place, "order", case.since
        out[person] = Whereabouts(person, at, place, source, since)
    if people is not None:
        for person in people:
            out.setdefault(person, Whereabouts(person, at, None, "unknown", None))
    return out


def case_places(
    session: Session, *, actor: Actor, at: int, cases: Collection[Case]
) -> dict[str, str]:
    """Where each case is at ``at`` as listings show it (``Whereabouts.label``); for readers who
    may not see locations, only the assigned place of an order."""
    if not actor.can(Permission.READ_LOCATIONS):
        return {c.person: c.assigned_place or "" for c in cases}
    where = locate(session, at=at, people=[c.person for c in cases], cases=cases)
    return {c.person: where[c.person].label for c in cases}
