"""The audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cordon.api.deps import ActorDep, PageDep, SessionDep, needs
from cordon.api.schemas import EpochQuery, PageBase, TextQuery
from cordon.domain.roles import Permission
from cordon.services.audit_log import audit_page

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditRead(BaseModel):
    """One audit entry: who did what to which record, before and after."""

    id: int
    at: float
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(PageBase):
    """A page of audit entries."""

    items: list[AuditRead]


@router.get("", response_model=AuditPage, dependencies=[needs(Permission.READ_AUDIT)])
def list_audit(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    entity: TextQuery = None,
    entity_id: TextQuery = None,
    by: TextQuery = None,
    since: EpochQuery = None,
) -> AuditPage:
    """Audit entries, newest first, filtered by entity, record, actor (``by``) or time."""
    items, total = audit_page(
        session,
        actor=actor,
        entity=entity,
        entity_id=entity_id,
        by=by,
        since=since,
        limit=page.limit,
        offset=page.offset,
    )
    return AuditPage(
        items=[
            AuditRead(
                id=e.pk,
                at=e.at,
                actor=e.actor,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                before=e.before,
                after=e.after,
            )
            for e in items
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
