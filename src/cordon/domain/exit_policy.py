"""Exit policies: standing rules of the facility applied at every exit to people leaving.

A policy has a name and versions: setting it again makes a new version and supersedes the
one in force; lifting it ends it. Each kind refuses one thing a station's security chief fears
at an airlock: a device the station did not issue (or no credential at all), a person led out
by someone of a given group (visiting crew escorting station staff), or an id the directory
does not know. ``deny`` refuses and logs; ``hold`` refuses and calls security to the door.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ExitPolicy", "PolicyAction", "PolicyKind", "PolicyStatus"]


class PolicyKind(StrEnum):
    """What a policy refuses at an exit."""

    FOREIGN_CREDENTIAL = "foreign_credential"
    """A foreign device or no credential at all."""
    ESCORT = "escort"
    """Leaving with a companion of the policy's group."""
    UNKNOWN_PERSON = "unknown_person"
    """An id the directory does not know."""


class PolicyAction(StrEnum):
    """What the door does when a policy binds."""

    DENY = "deny"
    HOLD = "hold"
    """Deny, and alert security to hold the person at the door."""


class PolicyStatus(StrEnum):
    """Where a policy version stands."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    LIFTED = "lifted"


@dataclass(frozen=True, slots=True)
class ExitPolicy:
    """One version of an exit policy."""

    id: int | None
    name: str
    version: int
    kind: PolicyKind
    action: PolicyAction
    reason: str
    set_by: str
    set_at: int
    companion_roles: frozenset[str] = field(default_factory=frozenset)
    """Escort: companions of these roles (or affiliations) make the exit refused."""
    companion_affiliations: frozenset[str] = field(default_factory=frozenset)
    exempt_roles: frozenset[str] = field(default_factory=frozenset)
    """People of these roles are not bound (e.g. the visiting crew with their own devices)."""
    places: frozenset[str] = field(default_factory=frozenset)
    """Only these exits (and exits under these places); empty: every exit."""
    status: PolicyStatus = PolicyStatus.ACTIVE
    closed_at: int | None = None
    closed_by: str | None = None
    close_reason: str | None = None

    @property
    def label(self) -> str:
        """How a door's answer names it."""
        return f"exit policy {self.name} v{self.version} (policy {self.id})"

    def scope_json(self) -> dict[str, list[str]]:
        """The policy's groups and places, JSON-ready."""
        return {
            "companion_roles": sorted(self.companion_roles),
            "companion_affiliations": sorted(self.companion_affiliations),
            "exempt_roles": sorted(self.exempt_roles),
            "places": sorted(self.places),
        }

    def record(self) -> dict[str, Any]:
        """Plain data for the audit log and JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "kind": self.kind.value,
            "action": self.action.value,
            "reason": self.reason,
            "set_by": self.set_by,
            "set_at": self.set_at,
            **self.scope_json(),
            "status": self.status.value,
            "closed_at": self.closed_at,
            "closed_by": self.closed_by,
            "close_reason": self.close_reason,
        }
