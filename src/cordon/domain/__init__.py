"""The vocabulary of cordon as plain typed classes, and the containment rules. No I/O."""

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import Case, Clinical, Containment, transition
from cordon.domain.gatherings import Gathering, GatheringStatus
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope, change_status
from cordon.domain.pathogen import ContainmentRules, PathogenProfile
from cordon.domain.people import Person, Role
from cordon.domain.places import Place, PlaceKind
from cordon.domain.records import (
    Credential,
    Direction,
    Exposure,
    ExposureSource,
    LabOutcome,
    LabResult,
    Passage,
    Presence,
    Route,
)

__all__ = [
    "Alert",
    "AlertKind",
    "Case",
    "Clinical",
    "Containment",
    "ContainmentRules",
    "Credential",
    "Direction",
    "Exposure",
    "ExposureSource",
    "Gathering",
    "GatheringStatus",
    "LabOutcome",
    "LabResult",
    "Order",
    "OrderKind",
    "OrderStatus",
    "Passage",
    "PathogenProfile",
    "Person",
    "Place",
    "PlaceKind",
    "Presence",
    "Role",
    "Route",
    "Scope",
    "Severity",
    "change_status",
    "transition",
]
