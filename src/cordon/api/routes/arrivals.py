"""Vessels and their manifests: who arrived, turned back, is still aboard the vessel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from cordon.api.deps import ActorDep, SessionDep, needs
from cordon.domain.roles import Permission
from cordon.services import arrivals

__all__ = ["router"]

router = APIRouter(prefix="/arrivals", tags=["arrivals"])


class ArrivalRead(BaseModel):
    """One person on a manifest and what became of them."""

    person: str
    role: str
    affiliation: str | None
    status: str
    arrived_at: int | None
    left_at: int | None
    berth: str | None


class VesselRead(BaseModel):
    """A vessel's manifest, counted."""

    vessel: str
    expected_at: int
    expected: int
    arrived: int
    turned_back: int
    aboard_vessel: int
    departed: int
    people: list[ArrivalRead]


@router.get("", response_model=list[VesselRead], dependencies=[needs(Permission.READ_LOCATIONS)])
def list_arrivals(
    session: SessionDep,
    actor: ActorDep,
    vessel: Annotated[str | None, Query(max_length=200)] = None,
) -> list[VesselRead]:
    """Per vessel: expected, arrived, turned back, still aboard the vessel, departed."""
    return [
        VesselRead(
            vessel=v.vessel,
            expected_at=v.expected_at,
            expected=len(v.people),
            arrived=v.count("arrived"),
            turned_back=v.count("turned_back"),
            aboard_vessel=v.count("aboard_vessel"),
            departed=v.count("departed"),
            people=[ArrivalRead(**a.__dict__) for a in v.people],
        )
        for v in arrivals.arrivals(session, actor=actor, vessel=vessel)
    ]
