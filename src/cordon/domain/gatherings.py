"""Scheduled gatherings (shows, sessions, meetings) that a moratorium can suspend."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Gathering", "GatheringStatus"]


class GatheringStatus(StrEnum):
    """Whether a gathering goes ahead."""

    SCHEDULED = "scheduled"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    HELD = "held"


@dataclass(frozen=True, slots=True)
class Gathering:
    """An event at a place over [start, end) with its planned participants."""

    id: str
    name: str
    place: str
    start: int
    end: int
    participants: tuple[str, ...] = field(default_factory=tuple)
    kind: str = "event"
    status: GatheringStatus = GatheringStatus.SCHEDULED
