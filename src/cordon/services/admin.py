"""Setting up the store and reading its audit log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cordon.domain.roles import Actor, Permission, require
from cordon.services.transaction import unit_of_work
from cordon.store import audit, profiles
from cordon.store.audit import AuditEntry
from cordon.store.db import Store

__all__ = ["AuditEntry", "init_store", "read_audit"]


def init_store(store: Store, *, actor: str) -> str:
    """Create the store or upgrade its schema, and give it a default pathogen profile."""
    revision = store.upgrade()
    with store.session() as session, unit_of_work(session):
        if not profiles.list_profiles(session):
            profiles.save_profile(
                session, profiles.active_profile(session), actor=actor, activate=True
            )
    return revision


def read_audit(
    session: Session,
    *,
    actor: Actor,
    entity: str | None = None,
    entity_id: str | None = None,
    by: str | None = None,
    since: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally of one entity, record or actor (``by``)."""
    require(actor, Permission.READ_AUDIT)
    return audit.list_entries(
        session,
        entity=entity,
        entity_id=entity_id,
        actor=by,
        since=since,
        limit=limit,
        offset=offset,
    )
