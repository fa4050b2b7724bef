"""The containment rules: which order an exposure or a lab result calls for, and when a case clears.

Pure functions over a snapshot of each person's standing; the services apply what they return
(orders, case transitions, alerts) and remember the evidence they acted on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cordon.domain.cases import Case, Clinical, Containment
from cordon.domain.orders import Order, OrderKind, OrderStatus
from cordon.domain.pathogen import PathogenProfile
from cordon.domain.records import Exposure, ExposureSource, LabOutcome, LabResult

__all__ = [
    "Action",
    "Firing",
    "Standing",
    "clearing_time",
    "exposed_parties",
    "exposure_counts",
    "held_by_case",
    "on_exposure",
    "on_result",
]


class Action(StrEnum):
    """What a rule firing does."""

    QUARANTINE = "quarantine"
    RESTART = "restart"
    """A new exposure of someone already in quarantine: the clock restarts from it."""
    ISOLATE = "isolate"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules know of one person when an event arrives: the case and active orders."""

    case: Case
    quarantine: Order | None = None
    isolation: Order | None = None


@dataclass(frozen=True, slots=True)
class Firing:
    """One rule firing: the order to issue (or none for a clearance), the orders it closes, the
    case's new states, and the reason and evidence every record of it carries."""

    action: Action
    person: str
    at: int
    reason: str
    evidence: tuple[str, ...]
    order: OrderKind | None = None
    start: int = 0
    expiry: int | None = None
    supersedes: int | None = None
    closes: tuple[tuple[int, OrderStatus], ...] = ()
    clinical: Clinical | None = None
    containment: Containment | None = None


_CASES = (Clinical.CONFIRMED,)
_HELD = (Containment.MISSING, Containment.DEPARTED)


def exposure_counts(exposure: Exposure, profile: PathogenProfile, a: Standing, b: Standing) -> bool:
    """Whether the exposure can trigger a quarantine: its route transmits this agent, it lasted
    long enough, and (for contacts derived from presence) one party is already a case."""
    rules = profile.rules
    if not profile.transmits(exposure.route) or exposure.duration < rules.min_exposure_s:
        return False
    if rules.derived_needs_case and exposure.source is ExposureSource.DERIVED:
        infected = (Clinical.CONFIRMED, Clinical.SUSPECTED)
        return a.case.clinical in infected or b.case.clinical in infected
    return True


def exposed_parties(
    exposure: Exposure, profile: PathogenProfile, a: Standing, b: Standing
) -> tuple[str, ...]:
    """Who the exposure puts at risk. The direction is known when exactly one party is a confirmed
    case (the other is exposed); otherwise ``b`` is exposed, and ``a`` too when the profile says
    to quarantine the source of an exposure of unknown direction."""
    a_case = a.case.clinical in _CASES
    b_case = b.case.clinical in _CASES
    if a_case and not b_case:
        return (exposure.b,)
    if b_case and not a_case:
        return (exposure.a,)
    if a_case and b_case:
        return ()
    if profile.rules.quarantine_source_when_direction_unknown:
        return (exposure.b, exposure.a)
    return (exposure.b,)


def on_exposure(
    exposure: Exposure,
    evidence: str,
    profile: PathogenProfile,
    standing: Mapping[str, Standing],
) -> list[Firing]:
    """The firings a recorded exposure calls for: a quarantine of each exposed party that is not
    already isolated, or a restart of the clock of one already in quarantine."""
    a, b = standing[exposure.a], standing[exposure.b]
    if not exposure_counts(exposure, profile, a, b):
        return []
    out: list[Firing] = []
    for person in exposed_parties(exposure, profile, a, b):
        other = exposure.a if person == exposure.b else exposure.b
        firing = _quarantine(person, other, exposure, evidence, profile, standing[person])
        if firing is not None:
            out.append(firing)
    return out


def _quarantine(
    person: str,
    other: str,
    exposure: Exposure,
    evidence: str,
    profile: PathogenProfile,
    me: Standing,
) -> Firing | None:
    if me.isolation is not None or me.case.clinical is Clinical.CONFIRMED:
        return None
    at = exposure.end
    expiry = at + profile.rules.quarantine_s
    what = f"{exposure.route.value} exposure to {other} at {exposure.place or 'an unknown place'}"
    clinical = Clinical.EXPOSED if me.case.clinical in (None, Clinical.CLEARED) else None
    containment = None if me.case.containment in _HELD else Containment.QUARANTINED
    current = me.quarantine
    if current is not None and current.status is OrderStatus.ACTIVE:
        if current.expiry is not None and current.expiry > at:
            if expiry <= current.expiry:
                return None
            return Firing(
                action=Action.RESTART,
                person=person,
                at=at,
                reason=f"quarantine clock restarted by a new {what}",
                evidence=(evidence, f"order:{current.id}"),
                order=OrderKind.QUARANTINE,
                start=at,
                expiry=expiry,
                supersedes=current.id,
                closes=((current.id, OrderStatus.SUPERSEDED),) if current.id is not None else (),
                clinical=clinical,
                containment=containment,
            )
        closes = ((current.id, OrderStatus.EXPIRED),) if current.id is not None else ()
    else:
        closes = ()
    return Firing(
        action=Action.QUARANTINE,
        person=person,
        at=at,
        reason=f"quarantine after a {what}",
        evidence=(evidence,),
        order=OrderKind.QUARANTINE,
        start=at,
        expiry=expiry,
        closes=closes,
        clinical=clinical,
        containment=containment,
    )


def clearing_time(results: Sequence[LabResult], needed: int, apart_s: int) -> int | None:
    """When the case clears: the time of the ``needed``-th negative after the last positive, each
    counted negative at least ``apart_s`` after the one counted before; None if not yet."""
    ordered = sorted(results, key=lambda r: r.collected_at)
    last_positive = max(
        (i for i, r in enumerate(ordered) if r.result is LabOutcome.POSITIVE), default=None
    )
    if last_positive is None:
        return None
    counted: list[int] = []
    for r in ordered[last_positive + 1 :]:
        if r.result is not LabOutcome.NEGATIVE:
            continue
        if not counted or r.collected_at - counted[-1] >= apart_s:
            counted.append(r.collected_at)
            if len(counted) >= needed:
                return counted[-1]
    return None


def on_result(
    result: LabResult,
    evidence: str,
    profile: PathogenProfile,
    me: Standing,
    history: Sequence[LabResult],
) -> list[Firing]:
    """The firings a lab result calls for: isolation on a positive (superseding any quarantine),
    clearance once enough negatives, far enough apart, follow the last positive."""
    rules = profile.rules
    held = me.case.containment in _HELD
    if result.result is LabOutcome.POSITIVE:
        if not rules.isolate_on_positive or me.isolation is not None:
            return []
        q = me.quarantine
        return [
            Firing(
                action=Action.ISOLATE,
                person=result.person,
                at=result.collected_at,
                reason=f"isolation after a positive {result.assay} result",
                evidence=(evidence,),
                order=OrderKind.ISOLATION,
                start=result.collected_at,
                expiry=None,
                supersedes=q.id if q is not None else None,
                closes=((q.id, OrderStatus.SUPERSEDED),) if q is not None and q.id else (),
                clinical=Clinical.CONFIRMED,
                containment=None if held else Containment.ISOLATED,
            )
        ]
    if result.result is not LabOutcome.NEGATIVE or me.case.clinical is not Clinical.CONFIRMED:
        return []
    cleared = clearing_time(
        [*history, result], rules.clear_after_negatives, rules.negatives_apart_s
    )
    if cleared is None:
        return []
    iso = me.isolation
    return [
        Firing(
            action=Action.CLEAR,
            person=result.person,
            at=cleared,
            reason=f"cleared after {rules.clear_after_negatives} negative results "
            f"at least {rules.negatives_apart_s // 3600} h apart",
            evidence=(evidence,),
            closes=((iso.id, OrderStatus.LIFTED),) if iso is not None and iso.id else (),
            clinical=Clinical.CLEARED,
            containment=None if held else Containment.FREE,
        )
    ]


def held_by_case(clinical: Clinical | None, containment: Containment) -> OrderKind | None:
    """The order a case's state implies when no order is on record (a state set by hand or by an
    import): isolation for the isolated and confirmed, quarantine for the quarantined and the
    exposed or suspected who are missing or departed; None for everyone else."""
    if containment is Containment.ISOLATED:
        return OrderKind.ISOLATION
    if containment is Containment.QUARANTINED:
        return OrderKind.QUARANTINE
    if containment in _HELD:
        if clinical is Clinical.CONFIRMED:
            return OrderKind.ISOLATION
        if clinical in (Clinical.EXPOSED, Clinical.SUSPECTED):
            return OrderKind.QUARANTINE
    return None
