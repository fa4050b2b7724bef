"""Daily follow-up of people under quarantine or isolation: the checks, their validation, and
the monitoring period each order opens.

A quarantine or an isolation opens a monitoring period from its start (for a quarantine, the end
of the last exposure) to its expiry or closing; a restarted quarantine is a new order and so a new
period. A check is due for every station day of the period; day 0 is the day it starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

from cordon.domain.orders import OrderKind
from cordon.domain.pathogen import ContainmentRules
from cordon.errors import InvalidValue

__all__ = [
    "CheckSource",
    "CheckStatus",
    "FollowUp",
    "Monitoring",
    "day_of",
    "validate_check",
]

MIN_C, MAX_C = 30.0, 45.0
"""Body temperatures outside this range are typing errors, not readings."""


class CheckStatus(StrEnum):
    """What a follow-up check found."""

    WELL = "well"
    """Seen (or reported) and well."""
    SYMPTOMATIC = "symptomatic"
    NOT_SEEN = "not_seen"
    """Looked for and not found (or no answer)."""
    REFUSED = "refused"


class CheckSource(StrEnum):
    """Who made the check."""

    STAFF = "staff"
    SELF = "self"
    """The person, through their own report link."""
    PROXY = "proxy"
    """The person responsible for their quarters, through that link."""
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One check of one person."""

    id: int | None
    person: str
    day: date
    at: int
    checker: str
    source: CheckSource
    status: CheckStatus
    temperature: float | None = None
    symptoms: tuple[str, ...] = ()
    notes: str | None = None
    order: int | None = None


@dataclass(frozen=True, slots=True)
class Monitoring:
    """The monitoring period one quarantine or isolation opens for its person."""

    person: str
    order: int
    kind: OrderKind
    start: int
    end: int | None
    """The order's expiry or closing; None while an isolation runs open-ended."""

    def day_number(self, day: date, zone: tzinfo | None = None) -> int:
        """Which day of monitoring ``day`` is (0 on the day the period starts)."""
        return (day - day_of(self.start, zone)).days

    def length_days(self, zone: tzinfo | None = None) -> int | None:
        """How many days the period lasts (None when open-ended)."""
        if self.end is None:
            return None
        return max(0, math.ceil((self.end - self.start) / 86_400))

    def covers(self, day: date, zone: tzinfo | None = None) -> bool:
        """Whether a check is due on station day ``day``: the period has started by the end of
        it and has not ended before it began."""
        first = day_of(self.start, zone)
        if day < first:
            return False
        return self.end is None or day <= day_of(self.end - 1, zone)


def day_of(epoch: int, zone: tzinfo | None = None) -> date:
    """The station date of an instant."""
    return datetime.fromtimestamp(epoch, tz=zone or UTC).date()


def validate_check(
    status: CheckStatus,
    temperature: float | None,
    symptoms: tuple[str, ...],
    rules: ContainmentRules,
) -> tuple[str, ...]:
    """The check's symptoms in the profile's words and order, or InvalidValue saying which field
    is wrong and why: a temperature outside 30-45 °C, a symptom not on the profile's list, a
    "well" check with a fever or symptoms, a "not seen" or "refused" one with readings."""
    if temperature is not None and not (
        math.isfinite(temperature) and MIN_C <= temperature <= MAX_C
    ):
        raise InvalidValue(
            f"temperature {temperature} is not a body temperature in °C ({MIN_C:g} to {MAX_C:g})"
        )
    known = {s.casefold(): s for s in rules.symptoms}
    unknown = [s for s in symptoms if s.strip().casefold() not in known]
    if unknown:
        raise InvalidValue(
            f"symptom {unknown[0]!r} is not on the profile's list "
            f"({', '.join(rules.symptoms) or 'empty'})"
        )
    named = {known[s.strip().casefold()] for s in symptoms}
    ordered = tuple(s for s in rules.symptoms if s in named)
    fever = temperature is not None and temperature >= rules.fever_c
    if status is CheckStatus.WELL and (ordered or fever):
        what = f"a fever ({temperature:g} °C)" if fever else f"symptoms ({', '.join(ordered)})"
        raise InvalidValue(f"status 'well' with {what}: record the check as 'symptomatic'")
    if status is CheckStatus.SYMPTOMATIC and not (ordered or fever):
        raise InvalidValue(
            "status 'symptomatic' needs at least one symptom or a temperature "
            f"of {rules.fever_c:g} °C or more"
        )
    if status in (CheckStatus.NOT_SEEN, CheckStatus.REFUSED) and (ordered or temperature):
        raise InvalidValue(f"status {status.value!r} cannot carry a temperature or symptoms")
    return ordered
