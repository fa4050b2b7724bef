"""Alerts: things a person must act on now."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Alert", "AlertKind", "Severity"]


class AlertKind(StrEnum):
    """What happened."""

    HELD_AT_EXIT = "held_at_exit"
    FOREIGN_CREDENTIAL = "foreign_credential"
    CASE_MISSING = "case_missing"
    CASE_DEPARTED = "case_departed"
    CAPACITY = "capacity"
    MORATORIUM_BREACH = "moratorium_breach"
    ORDER_ISSUED = "order_issued"
    OVERRIDE = "override"
    EMERGENCY = "emergency"
    NON_REPORTER = "non_reporter"
    """A monitored person has no follow-up check by the day's cut-off hour."""
    SYMPTOMS = "symptoms"
    """A monitored person's check found symptoms: now a suspected case."""
    TASK_OVERDUE = "task_overdue"
    NOTIFICATION_FAILED = "notification_failed"
    """A message could not be delivered after every attempt (``cordon notifications``)."""
    ARRIVAL_SCREENING = "arrival_screening"
    """An arriving vessel's people against the orders, moratoria and gatherings in force."""
    EXIT_POLICY = "exit_policy"
    """An exit policy of action ``hold``: security is called to the door."""


class Severity(StrEnum):
    """How urgently someone must act."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert, with the person and place it concerns and the evidence behind it."""

    kind: AlertKind
    at: int
    message: str
    severity: Severity = Severity.WARNING
    person: str | None = None
    place: str | None = None
    evidence: tuple[str, ...] = ()
