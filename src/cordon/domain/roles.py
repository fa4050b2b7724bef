"""Who may do what: the roles of cordon's users and the permissions each role holds.

Services check these for every call, whatever interface the call came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cordon.errors import PermissionDenied

__all__ = ["ROLE_PERMISSIONS", "Actor", "Permission", "UserRole", "require"]


class UserRole(StrEnum):
    """The roles a user account can have."""

    COMMAND = "command"
    """The outbreak lead: everything."""
    MEDICAL = "medical"
    """Clinical data, results, contacts and tracing, isolation and beds."""
    SECURITY = "security"
    """Locations, passages, holds, roster; no clinical detail beyond "under order"."""
    OBSERVER = "observer"
    """Aggregates only, no names."""
    DOOR = "door"
    """A door or airlock controller: access decisions only."""


class Permission(StrEnum):
    """One kind of thing a user may read or do."""

    READ_PEOPLE = "read_people"
    READ_LOCATIONS = "read_locations"
    READ_CONTACTS = "read_contacts"
    READ_CLINICAL = "read_clinical"
    READ_ORDERS = "read_orders"
    READ_AGGREGATES = "read_aggregates"
    READ_ALERTS = "read_alerts"
    READ_AUDIT = "read_audit"
    IMPORT_DIRECTORY = "import_directory"
    IMPORT_LOCATIONS = "import_locations"
    IMPORT_CLINICAL = "import_clinical"
    ORDER_MEDICAL = "order_medical"
    """Quarantine and isolation orders, and case state changes."""
    ORDER_HOLD = "order_hold"
    """Egress holds."""
    ORDER_MORATORIUM = "order_moratorium"
    PLAN_BEDS = "plan_beds"
    PLAN_ROSTER = "plan_roster"
    DECIDE_ACCESS = "decide_access"
    OVERRIDE_ACCESS = "override_access"
    DECLARE_EMERGENCY = "declare_emergency"
    RUN_ANALYTICS = "run_analytics"
    MANAGE_USERS = "manage_users"
    ADMINISTER_STORE = "administer_store"
    """Backups, restores and retention purges."""
    FOLLOW_UP = "follow_up"
    """The daily follow-up: checks, report links, follow-up teams."""
    WORK_TASKS = "work_tasks"
    """Read, create and close the teams' tasks (sample tasks need clinical rights too)."""
    READ_NOTIFICATIONS = "read_notifications"
    """One's own notifications (to oneself, one's role, one's team) and their delivery state."""
    MANAGE_NOTIFICATIONS = "manage_notifications"
    """Everyone's notifications, contact channels, retrying a failed delivery."""
    SET_EXIT_POLICY = "set_exit_policy"
    """Set and lift the facility's exit policies (command only)."""


P = Permission
ROLE_PERMISSIONS: dict[UserRole, frozenset[Permission]] = {
    UserRole.COMMAND: frozenset(Permission),
    UserRole.MEDICAL: frozenset(
        {
            P.READ_PEOPLE, P.READ_LOCATIONS, P.READ_CONTACTS, P.READ_CLINICAL, P.READ_ORDERS,
            P.READ_AGGREGATES, P.READ_ALERTS, P.IMPORT_CLINICAL, P.ORDER_MEDICAL, P.PLAN_BEDS,
            P.RUN_ANALYTICS, P.FOLLOW_UP, P.WORK_TASKS, P.READ_NOTIFICATIONS,
        }
    ),
    UserRole.SECURITY: frozenset(
        {
            P.READ_PEOPLE, P.READ_LOCATIONS, P.READ_ORDERS, P.READ_AGGREGATES, P.READ_ALERTS,
            P.IMPORT_LOCATIONS, P.ORDER_HOLD, P.PLAN_ROSTER, P.DECIDE_ACCESS, P.OVERRIDE_ACCESS,
            P.DECLARE_EMERGENCY, P.WORK_TASKS, P.READ_NOTIFICATIONS,
        }
    ),
    UserRole.OBSERVER: frozenset({P.READ_AGGREGATES}),
    UserRole.DOOR: frozenset({P.DECIDE_ACCESS}),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Actor:
    """The user (or machine) on whose behalf a service runs; named in the audit log."""

    name: str
    role: UserRole = UserRole.COMMAND
    scopes: frozenset[Permission] | None = None
    """When set (an API token's scopes), the actor may use only these of its role's permissions."""

    def can(self, permission: Permission) -> bool:
        """Whether this actor's role holds ``permission`` (and its token's scopes allow it)."""
        if self.scopes is not None and permission not in self.scopes:
            return False
        return permission in ROLE_PERMISSIONS[self.role]


WORDS: dict[Permission, str] = {
    P.READ_PEOPLE: "see who is aboard",
    P.READ_LOCATIONS: "see where people are",
    P.READ_CONTACTS: "see who met whom",
    P.READ_CLINICAL: "see clinical records",
    P.READ_ORDERS: "see orders and cases",
    P.READ_AGGREGATES: "see the situation",
    P.READ_ALERTS: "see alerts",
    P.READ_AUDIT: "see the audit log",
    P.IMPORT_DIRECTORY: "import people and places",
    P.IMPORT_LOCATIONS: "import badge and door records",
    P.IMPORT_CLINICAL: "import clinical records",
    P.ORDER_MEDICAL: "issue quarantine or isolation orders",
    P.ORDER_HOLD: "issue egress holds",
    P.ORDER_MORATORIUM: "issue moratoria",
    P.PLAN_BEDS: "plan beds",
    P.PLAN_ROSTER: "plan the guard roster",
    P.DECIDE_ACCESS: "decide door access",
    P.OVERRIDE_ACCESS: "override a door decision",
    P.DECLARE_EMERGENCY: "declare an emergency",
    P.RUN_ANALYTICS: "run forecasts and estimates",
    P.MANAGE_USERS: "manage users",
    P.ADMINISTER_STORE: "administer the store",
    P.FOLLOW_UP: "run the daily follow-up",
    P.WORK_TASKS: "work the teams' tasks",
    P.READ_NOTIFICATIONS: "see notifications",
    P.MANAGE_NOTIFICATIONS: "manage notifications and contact channels",
    P.SET_EXIT_POLICY: "set exit policies",
}
"""What each permission lets a person do, in the words a refusal uses."""


def require(actor: Actor, *permissions: Permission) -> None:
    """Raise PermissionDenied unless the actor holds every one of ``permissions`` (the message
    says what in words, not the permission's internal name)."""
    missing = [WORDS[p] for p in permissions if not actor.can(p)]
    if missing:
        raise PermissionDenied(
            f"{actor.name} (role {actor.role.value}) may not {' or '.join(missing)}"
        )
