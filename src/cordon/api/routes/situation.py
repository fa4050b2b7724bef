"""The situation overview: aggregates only, so every reading role may see it."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cordon.api.deps import ActorDep, SessionDep, SettingsDep, needs
from cordon.api.schemas import Moment
from cordon.domain.roles import Permission
from cordon.services import situation as overview

__all__ = ["router"]

router = APIRouter(tags=["situation"])


class CurveRead(BaseModel):
    """Daily counts: ``days`` the start of each station day, one series per name;
    ``complete`` is false for today (still under way)."""

    days: list[Moment]
    series: dict[str, list[int]]
    complete: list[bool]


class FigureRead(BaseModel):
    """A number with its interval (``value`` null when not estimated, ``note`` says why)."""

    key: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    unit: str
    interval: str
    note: str


class RunOutRead(BaseModel):
    """When the beds run out under a scenario: the median day and its 90% band (null: not
    within the forecast, whose last day is ``horizon``)."""

    scenario: str
    capacity: int
    median: date | None
    earliest: date | None
    latest: date | None
    horizon: date
    probability: float


class BedsRead(BaseModel):
    """Isolation beds: how many, how many the isolated hold, how many are left, when they run
    out (null until a forecast is ready)."""

    capacity: int
    isolated: int
    left: int
    run_out: RunOutRead | None


class AnalysisRead(BaseModel):
    """One registered analysis (growth, Rt, forecast...): ``status`` ready, computing,
    updating or refused."""

    key: str
    title: str
    status: str
    figures: list[FigureRead]
    chart: dict[str, Any] | None
    note: str


class SituationRead(BaseModel):
    """Counts by state, active orders, open alerts, beds, the epidemic curve and the
    analyses, as numbers."""

    at: Moment
    people: int
    places: int
    clinical: dict[str, int]
    containment: dict[str, int]
    active_orders: dict[str, int]
    open_alerts: int
    curve: CurveRead
    analyses: list[AnalysisRead]
    beds: BedsRead


@router.get(
    "/situation", response_model=SituationRead, dependencies=[needs(Permission.READ_AGGREGATES)]
)
def get_situation(session: SessionDep, actor: ActorDep, cfg: SettingsDep) -> SituationRead:
    """The situation at a glance, at the station clock."""
    return SituationRead.model_validate(
        overview.situation(session, actor=actor, at=cfg.now(), zone=cfg.zone), from_attributes=True
    )
