"""Places (zones) of a facility and their kinds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PLACE_ALIASES", "Place", "PlaceKind"]


class PlaceKind(StrEnum):
    """What a zone is used for; wards and isolation rooms hold beds."""

    QUARTERS = "quarters"
    WARD = "ward"
    ISOLATION_ROOM = "isolation_room"
    HALL = "hall"
    SUITE = "suite"
    CORRIDOR = "corridor"
    AIRLOCK = "airlock"
    DOCK = "dock"
    OFFICE = "office"
    LAB = "lab"
    OTHER = "other"


PLACE_ALIASES = {
    "isolation": "isolation_room",
    "theatre": "hall",
    "theater": "hall",
    "auditorium": "hall",
    "room": "quarters",
    "cabin": "quarters",
    "laboratory": "lab",
}


@dataclass(frozen=True, slots=True)
class Place:
    """A zone: what it is, how many it holds, what it is part of, whether it leads outside."""

    id: str
    name: str
    kind: PlaceKind
    capacity: int | None = None
    parent: str | None = None
    exit: bool = False

    @property
    def holds_beds(self) -> bool:
        """Whether isolated or quarantined people can be housed here as things stand."""
        return self.kind in (PlaceKind.WARD, PlaceKind.ISOLATION_ROOM)
