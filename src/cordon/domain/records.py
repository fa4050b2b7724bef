"""Observations a facility records: presence, passages, exposures and lab results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CREDENTIAL_ALIASES",
    "OUTCOME_ALIASES",
    "ROUTE_ALIASES",
    "Credential",
    "Direction",
    "Exposure",
    "ExposureSource",
    "LabOutcome",
    "LabResult",
    "Passage",
    "Presence",
    "Route",
]


class Direction(StrEnum):
    """Which way a door or airlock was crossed, seen from the place named in the passage."""

    IN = "in"
    OUT = "out"


class Credential(StrEnum):
    """What opened the door: a badge, a guard's override, a device the station did not issue."""

    BADGE = "badge"
    OVERRIDE = "override"
    FOREIGN = "foreign"
    NONE = "none"


CREDENTIAL_ALIASES = {
    "foreign_device": "foreign",
    "force_field_patch": "foreign",
    "tailgate": "none",
    "tailgating": "none",
}


class Route(StrEnum):
    """How a pathogen may pass in an exposure."""

    FLUID = "fluid"
    CLOSE = "close"
    SHARED_AIR = "shared_air"


ROUTE_ALIASES = {
    "intimate": "fluid",
    "bodily_fluid": "fluid",
    "air": "shared_air",
    "contact": "close",
}


class ExposureSource(StrEnum):
    """How an exposure is known."""

    INTERVIEW = "interview"
    SENSOR = "sensor"
    DERIVED = "derived"
    OBSERVED = "observed"
    REPORTED = "reported"


class LabOutcome(StrEnum):
    """What an assay said."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    INCONCLUSIVE = "inconclusive"


OUTCOME_ALIASES = {
    "pos": "positive",
    "+": "positive",
    "detected": "positive",
    "neg": "negative",
    "-": "negative",
    "not_detected": "negative",
    "indeterminate": "inconclusive",
}


@dataclass(frozen=True, slots=True)
class Presence:
    """A person in a place over [start, end), epoch seconds."""

    person: str
    place: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Passage:
    """One crossing of a door or airlock."""

    person: str
    place: str
    time: int
    direction: Direction
    credential: Credential = Credential.BADGE
    companions: tuple[str, ...] = field(default_factory=tuple)
    camera: str | None = None


@dataclass(frozen=True, slots=True)
class Exposure:
    """A recorded contact between two persons; ``a`` is the source when the direction is known."""

    a: str
    b: str
    start: int
    end: int
    route: Route
    source: ExposureSource
    place: str | None = None
    duration_s: int | None = None

    @property
    def duration(self) -> int:
        """Seconds of contact: the recorded duration, or the span when none was recorded."""
        return self.duration_s if self.duration_s is not None else self.end - self.start


@dataclass(frozen=True, slots=True)
class LabResult:
    """One assay of one specimen."""

    person: str
    collected_at: int
    assay: str
    result: LabOutcome
    quantity: float | None = None
