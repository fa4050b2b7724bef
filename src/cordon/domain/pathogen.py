"""Pathogen profiles: how an agent spreads and the containment rules that follow from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cordon.domain.records import Route

__all__ = ["DAY", "ContainmentRules", "PathogenProfile"]

DAY = 86_400


@dataclass(frozen=True, slots=True)
class ContainmentRules:
    """What the rules do when exposures and results are recorded (configurable per profile)."""

    quarantine_s: int = 14 * DAY
    """How long a quarantine lasts after the last exposure on a transmitting route."""
    quarantine_source_when_direction_unknown: bool = True
    """Quarantine both parties of an exposure whose direction of transmission is unknown."""
    isolate_on_positive: bool = True
    clear_after_negatives: int = 2
    """How many consecutive negative results, after the last positive, clear a case."""
    negatives_apart_s: int = DAY
    """Minimum time between the negative results that count towards clearing."""
    min_exposure_s: int = 0
    """Exposures shorter than this do not trigger a quarantine."""
    derived_needs_case: bool = True
    """A contact derived from presence triggers only when one party is already a case."""
    symptoms: tuple[str, ...] = ("fever", "cough", "fatigue", "headache", "rash")
    """The symptoms a follow-up check asks about, in the order the form shows them."""
    fever_c: float = 38.0
    """A temperature at or above this is a fever: the check is symptomatic."""
    followup_cutoff_hour: int = 18
    """Station hour after which a monitored person without a check today is a non-reporter."""
    isolate_on_symptoms: bool = True
    """A symptomatic check makes the person a suspected case under isolation."""
    sample_within_s: int = 4 * 3_600
    """How soon after a symptomatic check the sample task is due."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "symptoms", tuple(self.symptoms))
        if not 0 <= self.followup_cutoff_hour <= 23:
            raise ValueError(f"followup_cutoff_hour {self.followup_cutoff_hour} is not an hour")


@dataclass(frozen=True, slots=True)
class PathogenProfile:
    """Routes with their per-exposure transmission probability, and the natural history."""

    name: str
    transmission: dict[Route, float] = field(
        default_factory=lambda: {Route.FLUID: 0.5, Route.CLOSE: 0.05, Route.SHARED_AIR: 0.01}
    )
    latent_s: int = 2 * DAY
    """Time from infection to becoming infectious."""
    infectious_s: int = 7 * DAY
    """How long a person stays infectious once they are."""
    serial_interval_mean_days: float = 4.0
    serial_interval_sd_days: float = 2.0
    rules: ContainmentRules = field(default_factory=ContainmentRules)

    def transmits(self, route: Route) -> bool:
        """Whether an exposure on ``route`` can pass this agent at all."""
        return self.transmission.get(route, 0.0) > 0.0

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes that transmit, in a stable order."""
        return tuple(r for r in Route if self.transmits(r))
