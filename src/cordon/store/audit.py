"""The audit log: every write appends who did what to which record, before and after.

Rows are added to the caller's session, so they commit or roll back with the write they describe.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cordon.store.models import AuditRow, ImportBatchRow

__all__ = ["AuditEntry", "list_entries", "record", "record_many", "start_batch"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row as read back."""

    pk: int
    at: float
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row to the session's transaction."""
    session.add(
        AuditRow(
            at=time.time(),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        )
    )


def record_many(session: Session, *, actor: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Append many audit rows (``action``, ``entity``, ``entity_id``, ``before``, ``after``)."""
    now = time.time()
    payload = [
        {
            "at": now,
            "actor": actor,
            "action": r["action"],
            "entity": r["entity"],
            "entity_id": None if r.get("entity_id") is None else str(r["entity_id"]),
            "before": r.get("before"),
            "after": r.get("after"),
        }
        for r in rows
    ]
    if payload:
        session.flush()  # rows the session holds are audited first, in order
        session.connection().execute(insert(AuditRow), payload)


def start_batch(
    session: Session, *, kind: str, path: str, fmt: str, sha256: str, actor: str
) -> ImportBatchRow:
    """A new import batch row (its counts are filled in when the load is done)."""
    batch = ImportBatchRow(
        kind=kind,
        path=path,
        format=fmt,
        sha256=sha256,
        at=int(time.time()),
        actor=actor,
        rows_read=0,
        rows_added=0,
        rows_unchanged=0,
        rows_rejected=0,
    )
    session.add(batch)
    session.flush()
    return batch


def list_entries(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit rows, newest first, filtered by entity, record id, actor or time."""
    query = select(AuditRow).order_by(AuditRow.pk.desc())
    if entity:
        query = query.where(AuditRow.entity == entity)
    if entity_id:
        query = query.where(AuditRow.entity_id == entity_id)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    rows = session.scalars(query.limit(limit).offset(offset))
    return [
        AuditEntry(r.pk, r.at, r.actor, r.action, r.entity, r.entity_id, r.before, r.after)
        for r in rows
    ]
