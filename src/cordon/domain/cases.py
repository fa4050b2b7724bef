"""A person's case on two axes, and the one place where its state may change.

Clinical axis: exposed, suspected, confirmed, cleared (no case at all before the first).
Containment axis: free, quarantined, isolated, missing, departed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from cordon.errors import TransitionError

__all__ = [
    "CLINICAL_TRANSITIONS",
    "CONTAINMENT_TRANSITIONS",
    "HELD",
    "STORED_CONTAINMENT",
    "Case",
    "Clinical",
    "Containment",
    "check_consistent",
    "transition",
]


class Clinical(StrEnum):
    """What is known of the person's infection."""

    EXPOSED = "exposed"
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    CLEARED = "cleared"


class Containment(StrEnum):
    """Where the person stands with respect to the orders on them."""

    FREE = "free"
    QUARANTINED = "quarantined"
    ISOLATED = "isolated"
    MISSING = "missing"
    DEPARTED = "departed"
    UNDER_ORDER = "under_order"
    """Quarantined or isolated, as shown to roles without clinical rights; never stored."""


HELD = frozenset({Containment.QUARANTINED, Containment.ISOLATED})
"""Containment states that say, to whoever can tell them apart, what the person's case is."""
STORED_CONTAINMENT = tuple(k for k in Containment if k is not Containment.UNDER_ORDER)
"""The containment states a case can be in (``UNDER_ORDER`` is only a way of showing two)."""


C, K = Clinical, Containment

CLINICAL_TRANSITIONS: dict[Clinical | None, frozenset[Clinical]] = {
    None: frozenset({C.EXPOSED, C.SUSPECTED, C.CONFIRMED}),
    C.EXPOSED: frozenset({C.SUSPECTED, C.CONFIRMED, C.CLEARED}),
    C.SUSPECTED: frozenset({C.CONFIRMED, C.CLEARED}),
    C.CONFIRMED: frozenset({C.CLEARED}),
    C.CLEARED: frozenset({C.EXPOSED, C.SUSPECTED, C.CONFIRMED}),
}
"""Allowed clinical moves; staying in the same state is always allowed (it changes nothing)."""

CONTAINMENT_TRANSITIONS: dict[Containment, frozenset[Containment]] = {
    K.FREE: frozenset({K.QUARANTINED, K.ISOLATED, K.MISSING, K.DEPARTED}),
    K.QUARANTINED: frozenset({K.FREE, K.ISOLATED, K.MISSING, K.DEPARTED}),
    K.ISOLATED: frozenset({K.FREE, K.QUARANTINED, K.MISSING, K.DEPARTED}),
    K.MISSING: frozenset({K.FREE, K.QUARANTINED, K.ISOLATED, K.DEPARTED}),
    K.DEPARTED: frozenset({K.FREE, K.QUARANTINED, K.ISOLATED, K.MISSING}),
}
"""Allowed containment moves; the cross-axis rules in ``check_consistent`` apply on top."""


@dataclass(frozen=True, slots=True)
class Case:
    """A person's case: clinical state, containment state and where they are meant to be."""

    person: str
    clinical: Clinical | None
    containment: Containment = Containment.FREE
    assigned_place: str | None = None
    since: int = 0
    """When the latest change took effect (epoch seconds)."""


def check_consistent(clinical: Clinical | None, containment: Containment) -> None:
    """Refuse state pairs the rules never allow: a confirmed case is never free or quarantined."""
    if clinical is C.CONFIRMED and containment in (K.FREE, K.QUARANTINED):
        raise TransitionError(
            f"a confirmed case cannot be {containment.value}: it is isolated, missing or departed"
        )


def transition(
    case: Case,
    *,
    clinical: Clinical | None = None,
    containment: Containment | None = None,
    assigned_place: str | None = None,
    at: int,
) -> Case:
    """The case after moving to the given states, or TransitionError naming what is allowed."""
    new_clinical = case.clinical if clinical is None else clinical
    new_containment = case.containment if containment is None else containment
    if new_clinical != case.clinical:
        allowed = CLINICAL_TRANSITIONS[case.clinical]
        if new_clinical not in allowed:
            raise TransitionError(
                f"{case.person}: clinical {case.clinical or 'no case'} -> {new_clinical} is not "
                f"allowed (allowed: {', '.join(sorted(allowed)) or 'none'})"
            )
    if new_containment is K.UNDER_ORDER:
        raise TransitionError(f"{case.person}: 'under_order' is not a state a case can move to")
    if new_containment != case.containment:
        allowed_k = CONTAINMENT_TRANSITIONS[case.containment]
        if new_containment not in allowed_k:
            raise TransitionError(
                f"{case.person}: containment {case.containment} -> {new_containment} is not allowed"
            )
    check_consistent(new_clinical, new_containment)
    place = assigned_place if assigned_place is not None else case.assigned_place
    if new_containment in (K.FREE, K.DEPARTED):
        place = None
    return replace(
        case,
        clinical=new_clinical,
        containment=new_containment,
        assigned_place=place,
        since=at,
    )
