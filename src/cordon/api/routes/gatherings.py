"""Scheduled gatherings."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from cordon.api.deps import ActorDep, PageDep, SessionDep, needs
from cordon.api.schemas import EpochQuery, Moment, PageBase, TextQuery
from cordon.domain.gatherings import GatheringStatus
from cordon.domain.roles import Permission
from cordon.services import moratoria

__all__ = ["router"]

router = APIRouter(prefix="/gatherings", tags=["gatherings"])


class GatheringRead(BaseModel):
    """A gathering; ``participants`` is empty for roles that may not see names."""

    id: str
    name: str
    kind: str
    place: str
    start: Moment
    end: Moment
    status: str
    participant_count: int
    participants: list[str]
    crew_planned: int
    crew_needed: int | None
    """None: no gathering compares, so no estimate (``crew_basis`` ``none``)."""
    crew_basis: str
    """planned, kind, nearest kind or none."""
    crew_from_kind: str | None
    """The kind an estimate comes from."""
    under_orders: list[str]
    """Planned participants quarantined or isolated now (empty for roles that may not see
    names)."""


class GatheringPage(PageBase):
    """A page of gatherings."""

    items: list[GatheringRead]


@router.get("", response_model=GatheringPage, dependencies=[needs(Permission.READ_AGGREGATES)])
def list_gatherings(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    start: EpochQuery = None,
    end: EpochQuery = None,
    status: GatheringStatus | None = None,
    place: TextQuery = None,
) -> GatheringPage:
    """Gatherings in time order, those overlapping [start, end) when given."""
    found = moratoria.list_gatherings(
        session, actor=actor, start=start, end=end, status=status, place=place
    )
    items = found[page.offset : page.offset + page.limit]
    return GatheringPage(
        items=[
            GatheringRead(
                id=v.gathering.id,
                name=v.gathering.name,
                kind=v.gathering.kind,
                place=v.gathering.place,
                start=v.gathering.start,
                end=v.gathering.end,
                status=v.gathering.status.value,
                participant_count=v.participant_count,
                participants=list(v.gathering.participants),
                crew_planned=v.crew_planned,
                crew_needed=v.crew_needed,
                crew_basis=v.need.basis if v.need else "planned",
                crew_from_kind=v.need.like if v.need else None,
                under_orders=list(v.under_orders),
            )
            for v in items
        ],
        total=len(found),
        limit=page.limit,
        offset=page.offset,
    )
