"""Who met whom, and time-respecting chains from index persons or to cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, SessionDep, needs
from cordon.api.schemas import EpochQuery
from cordon.domain.roles import Permission
from cordon.engine.trace import Direction
from cordon.services import contacts as service

__all__ = ["router"]

router = APIRouter(tags=["tracing"])

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


@router.get(
    "/contacts", response_model=dict[str, Any], dependencies=[needs(Permission.READ_CONTACTS)]
)
def contacts(
    session: SessionDep,
    actor: ActorDep,
    min_overlap: Annotated[int, Query(ge=1, le=86_400, description="Seconds.")] = 300,
    since: EpochQuery = None,
    until: EpochQuery = None,
    per_day: bool = False,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 500,
    offset: Annotated[int, Query(ge=0, description="Rows to skip (pages of contacts).")] = 0,
) -> dict[str, Any]:
    """Pairs together in one place for at least ``min_overlap`` seconds (``limit`` of them from
    ``offset``), with the data-quality report of the presence log."""
    if not per_day:
        return service.contacts_page(
            session, actor=actor, min_overlap=min_overlap, since=since, until=until,
            offset=offset, limit=limit,
        )  # fmt: skip
    found = service.contacts(
        session, actor=actor, min_overlap=min_overlap, since=since, until=until, per_day=per_day
    )
    return found.to_dict(limit=limit)


class TraceCreate(BaseModel):
    """Index persons (forward), cases (backward) or a group (both)."""

    persons: list[Id] = Field(min_length=1, max_length=1000)
    direction: Direction = Direction.FORWARD
    since: int | None = Field(default=None, ge=0, le=10**11)
    until: int | None = Field(default=None, ge=0, le=10**11)
    min_overlap: int = Field(default=300, ge=1, le=86_400)
    chains: bool = True


@router.post(
    "/trace", response_model=dict[str, Any], dependencies=[needs(Permission.READ_CONTACTS)]
)
def trace(body: TraceCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Everyone reachable by a time-respecting chain, with the earliest exposure, generation,
    predecessor, chain and cumulative exposure as evidence."""
    return service.trace(
        session,
        actor=actor,
        persons=body.persons,
        direction=body.direction,
        since=body.since,
        until=body.until,
        min_overlap=body.min_overlap,
        chains=body.chains,
    ).to_dict()
