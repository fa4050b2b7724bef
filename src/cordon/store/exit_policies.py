"""Exit policies in the store: each version a row, audited as it is written or closed."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.exit_policy import ExitPolicy, PolicyAction, PolicyKind, PolicyStatus
from cordon.errors import NotFound
from cordon.store import audit
from cordon.store.models import ExitPolicyRow

__all__ = ["add_version", "close", "get_policy", "list_policies", "next_version"]


def _policy(row: ExitPolicyRow) -> ExitPolicy:
    scope = row.scope or {}
    return ExitPolicy(
        id=row.pk,
        name=row.name,
        version=row.version,
        kind=PolicyKind(row.kind),
        action=PolicyAction(row.action),
        reason=row.reason,
        set_by=row.set_by,
        set_at=row.set_at,
        companion_roles=frozenset(scope.get("companion_roles", ())),
        companion_affiliations=frozenset(scope.get("companion_affiliations", ())),
        exempt_roles=frozenset(scope.get("exempt_roles", ())),
        places=frozenset(scope.get("places", ())),
        status=PolicyStatus(row.status),
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        close_reason=row.close_reason,
    )


def next_version(session: Session, name: str) -> int:
    """The version number a new version of ``name`` gets."""
    found = session.scalar(
        select(func.max(ExitPolicyRow.version)).where(ExitPolicyRow.name == name)
    )
    return int(found or 0) + 1


def add_version(session: Session, policy: ExitPolicy, *, actor: str) -> ExitPolicy:
    """Store a new version and audit it; returns it with its id."""
    row = ExitPolicyRow(
        name=policy.name,
        version=policy.version,
        kind=policy.kind.value,
        action=policy.action.value,
        scope=policy.scope_json(),
        reason=policy.reason,
        status=policy.status.value,
        set_by=policy.set_by,
        set_at=policy.set_at,
    )
    session.add(row)
    session.flush()
    stored = _policy(row)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="exit_policy",
        entity_id=row.pk,
        after=stored.record(),
    )
    return stored


def close(
    session: Session,
    policy_id: int,
    status: PolicyStatus,
    *,
    at: int,
    actor: str,
    reason: str,
) -> ExitPolicy:
    """Close an active version (superseded or lifted), audited with before and after."""
    row = session.get(ExitPolicyRow, policy_id)
    if row is None:
        raise NotFound(f"no exit policy {policy_id}")
    before = _policy(row).record()
    row.status = status.value
    row.closed_at, row.closed_by, row.close_reason = at, actor, reason
    session.flush()
    closed = _policy(row)
    audit.record(
        session,
        actor=actor,
        action=status.value,
        entity="exit_policy",
        entity_id=row.pk,
        before=before,
        after=closed.record(),
    )
    return closed


def get_policy(session: Session, policy_id: int) -> ExitPolicy:
    """One version by its id, or NotFound."""
    row = session.get(ExitPolicyRow, policy_id)
    if row is None:
        raise NotFound(f"no exit policy {policy_id} (see `cordon policy list`)")
    return _policy(row)


def list_policies(
    session: Session, *, active_only: bool = False, name: str | None = None
) -> list[ExitPolicy]:
    """Versions by name and version (the active ones, or one policy's history)."""
    query = select(ExitPolicyRow).order_by(ExitPolicyRow.name, ExitPolicyRow.version)
    if active_only:
        query = query.where(ExitPolicyRow.status == PolicyStatus.ACTIVE.value)
    if name is not None:
        query = query.where(ExitPolicyRow.name == name)
    return [_policy(r) for r in session.scalars(query)]
