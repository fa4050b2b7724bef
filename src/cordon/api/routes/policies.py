"""Exit policies: list, set (a new version), lift, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, SessionDep, SettingsDep, needs
from cordon.domain.exit_policy import ExitPolicy, PolicyAction, PolicyKind
from cordon.domain.roles import Permission
from cordon.services import exit_policies

__all__ = ["router"]

router = APIRouter(prefix="/exit-policies", tags=["exit policies"])

Word = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class PolicyRead(BaseModel):
    """One version of an exit policy."""

    id: int
    name: str
    version: int
    kind: PolicyKind
    action: PolicyAction
    reason: str
    set_by: str
    set_at: int
    companion_roles: list[str]
    companion_affiliations: list[str]
    exempt_roles: list[str]
    places: list[str]
    status: str
    closed_at: int | None
    closed_by: str | None
    close_reason: str | None


class PolicyCreate(BaseModel):
    """A policy to put in force (a new version when one of that name is)."""

    kind: PolicyKind
    reason: str = Field(min_length=1, max_length=2000)
    action: PolicyAction = PolicyAction.DENY
    name: str | None = Field(default=None, max_length=64)
    companion_roles: list[Word] = Field(default_factory=list, max_length=20)
    companion_affiliations: list[Word] = Field(default_factory=list, max_length=20)
    exempt_roles: list[Word] | None = Field(default=None, max_length=20)
    places: list[Word] = Field(default_factory=list, max_length=200)


class PolicyLift(BaseModel):
    """Why a policy is lifted."""

    reason: str = Field(min_length=1, max_length=2000)


def policy_read(p: ExitPolicy) -> PolicyRead:
    """The schema of a policy version."""
    return PolicyRead.model_validate(p.record())


@router.get("", response_model=list[PolicyRead], dependencies=[needs(Permission.READ_ORDERS)])
def list_policies(session: SessionDep, actor: ActorDep, all: bool = False) -> list[PolicyRead]:
    """The policies in force (every version with ``all=true``)."""
    found = exit_policies.list_policies(session, actor=actor, active_only=not all)
    return [policy_read(p) for p in found]


@router.post(
    "",
    response_model=PolicyRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.SET_EXIT_POLICY)],
)
def set_policy(
    body: PolicyCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> PolicyRead:
    """Put a policy in force at every exit (command only); audited, and at every door as soon
    as this answers."""
    return policy_read(
        exit_policies.set_policy(
            session,
            actor=actor,
            kind=body.kind,
            at=cfg.now(),
            reason=body.reason,
            name=body.name,
            action=body.action,
            companion_roles=body.companion_roles,
            companion_affiliations=body.companion_affiliations,
            exempt_roles=body.exempt_roles,
            places=body.places,
        )
    )


@router.post(
    "/{name}/lift", response_model=PolicyRead, dependencies=[needs(Permission.SET_EXIT_POLICY)]
)
def lift_policy(
    name: Name, body: PolicyLift, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> PolicyRead:
    """End the version of ``name`` in force."""
    return policy_read(
        exit_policies.lift_policy(session, name, actor=actor, at=cfg.now(), reason=body.reason)
    )


@router.get(
    "/{name}/history",
    response_model=list[PolicyRead],
    dependencies=[needs(Permission.READ_ORDERS)],
)
def history(name: Name, session: SessionDep, actor: ActorDep) -> list[PolicyRead]:
    """Every version of one policy."""
    return [policy_read(p) for p in exit_policies.history(session, name, actor=actor)]
