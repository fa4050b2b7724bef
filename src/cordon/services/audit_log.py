"""The audit log a page at a time, with the total for paging."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cordon.domain.roles import Actor
from cordon.services.admin import read_audit
from cordon.store import listings
from cordon.store.audit import AuditEntry

__all__ = ["audit_page"]


def audit_page(
    session: Session,
    *,
    actor: Actor,
    entity: str | None = None,
    entity_id: str | None = None,
    by: str | None = None,
    since: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Audit entries, newest first, and how many match in all."""
    items = read_audit(
        session,
        actor=actor,
        entity=entity,
        entity_id=entity_id,
        by=by,
        since=since,
        limit=limit,
        offset=offset,
    )
    total = listings.audit_count(session, entity=entity, entity_id=entity_id, actor=by, since=since)
    return items, total
