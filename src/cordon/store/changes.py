"""The change signal: which facts behind door decisions (and behind the rules) have changed.

Every write to a watched table bumps its topic's row in ``change_version`` from a database
trigger, in the same transaction, whatever wrote it (a service, a bulk load, another process,
a hand-typed SQL statement); on PostgreSQL the trigger also sends ``NOTIFY cordon_changes`` with
the topic, delivered at commit. Readers compare versions: read the versions first, then the
data, and the data is at least as new as the versions say.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.store.models import ChangeVersionRow

__all__ = ["CHANNEL", "COLUMNS", "TOPICS", "Versions", "newer", "read_versions"]

CHANNEL = "cordon_changes"
"""The PostgreSQL notification channel the triggers send the topic on."""

TOPICS: Mapping[str, tuple[str, ...]] = {
    "directory": ("person", "place"),
    "holds": (
        "containment_order",
        "case_state",
        "emergency",
        "gathering",
        "gathering_participant",
        "exit_policy",
    ),
    "tokens": ("app_user", "api_token"),
    "evidence": ("exposure", "lab_result", "pathogen_profile"),
    "outbox": ("outbox",),
}
"""Topic -> the tables whose writes bump it. ``directory`` reloads the whole door index,
``holds`` its orders, cases and emergencies, ``tokens`` drops cached door tokens, ``evidence``
has the worker apply the rules, ``outbox`` has it relay new events to their recipients."""

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "app_user": ("role", "disabled_at"),
    "api_token": ("user_pk", "digest", "scopes", "expires_at", "revoked_at"),
    "outbox": ("event",),
}
"""For these tables only updates of these columns bump the topic: a token's ``last_used_at``,
written as doors use it, or a user's sign-in counters would otherwise empty the doors' token
cache at every lookup; an outbox row marked relayed is no news (only new rows are)."""

Versions = dict[str, int]


def read_versions(session: Session) -> Versions:
    """Every topic's version (0 for a topic with no row)."""
    found = dict(session.execute(select(ChangeVersionRow.topic, ChangeVersionRow.version)).all())
    return {topic: int(found.get(topic, 0)) for topic in TOPICS}


def newer(seen: Mapping[str, int], now: Mapping[str, int]) -> set[str]:
    """The topics whose version in ``now`` differs from ``seen``."""
    return {topic for topic, version in now.items() if seen.get(topic) != version}
