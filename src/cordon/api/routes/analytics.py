"""How fast it grows and what each intervention would change: incidence, estimate, forecast."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, JobsDep, SessionDep, SettingsDep, needs
from cordon.api.routes.jobs import JobRead, job_read
from cordon.api.schemas import EpochQuery
from cordon.domain.roles import Permission, require
from cordon.runtime.tasks import ForecastTask, Who
from cordon.services import analytics

__all__ = ["router"]

router = APIRouter(tags=["analytics"])
By = Annotated[str, Query(pattern="^(confirmation|onset)$", description="Date of the count.")]


@router.get(
    "/incidence", response_model=dict[str, Any], dependencies=[needs(Permission.READ_AGGREGATES)]
)
def incidence(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    by: By = "confirmation",
    now: EpochQuery = None,
) -> dict[str, Any]:
    """Daily new cases, zero days included; the last day is marked incomplete."""
    return analytics.incidence(
        session, actor=actor, by=by, now=now if now is not None else cfg.now(), zone=cfg.zone
    ).to_dict()


@router.get(
    "/estimate", response_model=dict[str, Any], dependencies=[needs(Permission.RUN_ANALYTICS)]
)
def estimate(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    window: Annotated[int, Query(ge=1, le=60)] = 7,
    si_mean: Annotated[float | None, Query(gt=0, le=100)] = None,
    si_sd: Annotated[float | None, Query(ge=analytics.MIN_SI_SD, le=100)] = None,
    by: By = "confirmation",
    now: EpochQuery = None,
) -> dict[str, Any]:
    """Growth rate, doubling time and Rt (Cori et al. 2013) with 95% intervals."""
    return analytics.estimate(
        session,
        actor=actor,
        window=window,
        si_mean=si_mean,
        si_sd=si_sd,
        by=by,
        now=now if now is not None else cfg.now(),
        zone=cfg.zone,
    ).to_dict()


class ForecastCreate(BaseModel):
    """An ensemble forecast of the standard scenarios."""

    days: int = Field(default=14, ge=1, le=120)
    runs: int = Field(default=1000, ge=1, le=20_000)
    seed: int = Field(default=0, ge=0, le=2**31)
    capacity: int | None = Field(default=None, ge=0, le=10**6)
    now: int | None = Field(default=None, ge=0, le=10**11)


@router.post(
    "/forecast",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[needs(Permission.RUN_ANALYTICS)],
)
def forecast(body: ForecastCreate, actor: ActorDep, cfg: SettingsDep, jobs: JobsDep) -> JobRead:
    """Start a forecast as a job (``GET /jobs/{id}`` for progress and, when done, the result:
    bands per day for cases, isolated and beds, first day over capacity, scenario table)."""

    require(actor, Permission.RUN_ANALYTICS)
    task = ForecastTask(
        who=Who.of(actor),
        days=body.days,
        runs=body.runs,
        seed=body.seed,
        capacity=body.capacity,
        now=body.now if body.now is not None else cfg.now(),
        zone=cfg.timezone,
    )
    return job_read(jobs.submit(task, owner=actor.name))
