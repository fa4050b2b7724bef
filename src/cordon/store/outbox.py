"""The notification outbox: events people must be told of, written beside the event itself.

Every writer of an order, an alert or a task adds its outbox row through here, in the caller's
session, so the event and the duty to tell of it commit or roll back together (the transactional
outbox pattern). The worker relays new rows to their recipients (``services.notify``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cordon.store.models import OutboxRow

__all__ = ["Event", "add_events"]


@dataclass(frozen=True, slots=True)
class Event:
    """One event to tell of: what (``order_issued``, ``order_closed``, ``alert``,
    ``task_assigned``), the record behind it (``order:N``), whom and where it concerns, and the
    facts a message needs (clinical ones included: the relay masks them per recipient)."""

    event: str
    ref: str
    person_pk: int | None = None
    place_pk: int | None = None
    payload: dict[str, Any] | None = None


def add_events(session: Session, events: Sequence[Event]) -> None:
    """Add outbox rows for ``events`` to the caller's transaction (one statement)."""
    if not events:
        return
    now = int(time.time())
    session.flush()
    session.connection().execute(
        insert(OutboxRow),
        [
            {
                "created_at": now,
                "event": e.event,
                "ref": e.ref,
                "person_pk": e.person_pk,
                "place_pk": e.place_pk,
                "payload": e.payload or {},
            }
            for e in events
        ],
    )
