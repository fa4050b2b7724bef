"""The situation overview: aggregates only, so every reading role may see it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cordon.api.deps import ActorDep, SessionDep, SettingsDep, needs
from cordon.domain.roles import Permission
from cordon.services import situation as overview

__all__ = ["router"]

router = APIRouter(tags=["situation"])


class CurveRead(BaseModel):
    """Daily counts: ``days`` as epoch seconds of each UTC day, one series per name."""

    days: list[int]
    series: dict[str, list[int]]


class AnalysisRead(BaseModel):
    """One registered analysis (growth, Rt, forecast...)."""

    title: str
    figures: dict[str, str]
    chart: dict[str, Any] | None
    note: str


class SituationRead(BaseModel):
    """Counts by state, active orders, open alerts and the epidemic curve."""

    at: int
    people: int
    places: int
    clinical: dict[str, int]
    containment: dict[str, int]
    active_orders: dict[str, int]
    open_alerts: int
    curve: CurveRead
    analyses: list[AnalysisRead]


@router.get(
    "/situation", response_model=SituationRead, dependencies=[needs(Permission.READ_AGGREGATES)]
)
def get_situation(session: SessionDep, actor: ActorDep, cfg: SettingsDep) -> SituationRead:
    """The situation at a glance, at the station clock."""
    return SituationRead.model_validate(
        overview.situation(session, actor=actor, at=cfg.now()), from_attributes=True
    )
