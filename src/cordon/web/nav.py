"""The dashboard's navigation: one list of entries, each shown to the roles that may use its
page. A new page adds one ``NavEntry`` here (before "Alerts" and "Audit" when it is a page of
work)."""

from __future__ import annotations

from dataclasses import dataclass

from cordon.domain.roles import Actor, Permission

__all__ = ["NAV", "NavEntry", "entries"]

P = Permission


@dataclass(frozen=True)
class NavEntry:
    """A link in the top bar: its label, where it goes, the permissions its page needs, and
    (``badge``) the counter it shows."""

    label: str
    href: str
    needs: tuple[Permission, ...] = ()
    badge: str | None = None

    def current(self, path: str) -> bool:
        """Whether ``path`` is this entry's page (or one below it)."""
        if self.href == "/":
            return path == "/"
        return path == self.href or path.startswith(self.href + "/")


NAV: list[NavEntry] = [
    NavEntry("Overview", "/"),
    NavEntry("Cases", "/cases", (P.READ_ORDERS,)),
    NavEntry("Missing", "/missing", (P.READ_LOCATIONS, P.READ_ORDERS)),
    NavEntry("People", "/people", (P.READ_PEOPLE,)),
    NavEntry("Orders", "/orders", (P.READ_ORDERS,)),
    NavEntry("Exits", "/exit-policies", (P.READ_ORDERS,)),
    NavEntry("Arrivals", "/arrivals", (P.READ_LOCATIONS,)),
    NavEntry("Moratoria", "/moratoria", (P.READ_ORDERS,)),
    NavEntry("Gatherings", "/gatherings", (P.READ_ORDERS,)),
    NavEntry("Follow-up", "/followups", (P.FOLLOW_UP, P.READ_CLINICAL)),
    NavEntry("Tasks", "/tasks", (P.WORK_TASKS,)),
    NavEntry("Chains", "/trace", (P.READ_CONTACTS,)),
    NavEntry("Beds", "/plans/beds", (P.PLAN_BEDS, P.READ_CLINICAL)),
    NavEntry("Roster", "/plans/roster", (P.PLAN_ROSTER, P.READ_PEOPLE)),
    NavEntry("Alerts", "/alerts", (P.READ_ALERTS,), badge="open_alerts"),
    NavEntry("Notifications", "/notifications", (P.READ_NOTIFICATIONS,)),
    NavEntry("Profile", "/profile", (P.READ_AGGREGATES,)),
    NavEntry("Audit", "/audit", (P.READ_AUDIT,)),
]
"""Every page in the top bar, in order."""


def entries(actor: Actor | None) -> list[NavEntry]:
    """The entries ``actor`` may use."""
    if actor is None:
        return []
    return [e for e in NAV if all(actor.can(p) for p in e.needs)]
