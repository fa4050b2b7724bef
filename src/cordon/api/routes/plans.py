"""Optimised plans: beds for everyone isolated or quarantined, guards on every exit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, JobsDep, SessionDep, SettingsDep, needs
from cordon.api.routes.jobs import JobRead, job_read
from cordon.api.schemas import EpochQuery
from cordon.domain.roles import Permission, require
from cordon.runtime.tasks import HousingPlanTask, RosterPlanTask, Who
from cordon.services.plans import parse_extra, parse_mix, plan_housing
from cordon.services.roster import plan_roster

__all__ = ["router"]

router = APIRouter(prefix="/plans", tags=["plans"])


@router.get("/housing", response_model=dict[str, Any], dependencies=[needs(Permission.PLAN_BEDS)])
def housing(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    at: EpochQuery = None,
    convert: Annotated[bool, Query(description="May convert a larger room.")] = True,
    include_missing: bool = True,
    bring_back: bool = False,
    extra: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="More people as their own cohort: NAME=COUNT, NAME=ID,ID,..., "
            "NAME=role:ROLE or NAME=affiliation:TEXT.",
        ),
    ] = None,
    mix: Annotated[
        list[str] | None,
        Query(max_length=20, description="Cohorts that may share a room: confirmed,scientist."),
    ] = None,
    forecast_auto: Annotated[
        bool, Query(description="Say when beds run out by the no-action forecast.")
    ] = False,
) -> dict[str, Any]:
    """Beds within capacity, one cohort per room, current occupants kept; a conversion proposed
    when the wards are full; what is missing when it cannot be done."""
    return plan_housing(
        session,
        actor=actor,
        at=at if at is not None else cfg.now(),
        convert=convert,
        include_missing=include_missing,
        bring_back=bring_back,
        extra=parse_extra(extra or []),
        mix=parse_mix(mix or []),
        forecast="auto" if forecast_auto else None,
        zone=cfg.zone,
        time_limit_s=10.0,
    ).to_dict()


@router.get("/roster", response_model=dict[str, Any], dependencies=[needs(Permission.PLAN_ROSTER)])
def roster(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    start: EpochQuery = None,
    days: Annotated[int, Query(ge=1, le=28)] = 7,
    shift_hours: Annotated[int, Query(ge=4, le=12)] = 8,
    min_rest_hours: Annotated[float, Query(ge=0, le=24)] = 11,
    max_hours_week: Annotated[float, Query(ge=8, le=84)] = 48,
    exclude: Annotated[
        list[str] | None,
        Query(
            max_length=200,
            description="Keep off the posts: a person id, role:ROLE or affiliation:TEXT.",
        ),
    ] = None,
    include_supervisors: bool = False,
) -> dict[str, Any]:
    """A guard at every exit around the clock, fairly shared; or the uncovered post-hours and
    how many more guards would cover them."""
    return plan_roster(
        session,
        actor=actor,
        start=start if start is not None else cfg.now() // 3600 * 3600,
        days=days,
        shift_hours=shift_hours,
        min_rest_hours=min_rest_hours,
        max_hours_week=max_hours_week,
        exclude=exclude or (),
        include_supervisors=include_supervisors,
        time_limit_s=10.0,
    ).to_dict()


class HousingJobCreate(BaseModel):
    """A bed plan to run as a job."""

    at: int | None = Field(default=None, ge=0, le=10**11, description="Default: now.")
    convert: bool = True
    include_missing: bool = True
    bring_back: bool = False
    extra: list[Annotated[str, Field(max_length=2000)]] = Field(default=[], max_length=50)
    mix: list[Annotated[str, Field(max_length=200)]] = Field(default=[], max_length=20)
    forecast_auto: bool = False


@router.post(
    "/housing",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[needs(Permission.PLAN_BEDS)],
)
def housing_job(
    body: HousingJobCreate, actor: ActorDep, cfg: SettingsDep, jobs: JobsDep
) -> JobRead:
    """The bed plan as a job for the worker (``GET /jobs/{id}``; the result is the plan that
    ``GET /plans/housing`` answers)."""
    require(actor, Permission.PLAN_BEDS)
    task = HousingPlanTask(
        Who.of(actor), at=body.at if body.at is not None else cfg.now(), convert=body.convert,
        include_missing=body.include_missing, bring_back=body.bring_back,
        extra=tuple(body.extra), mix=tuple(body.mix), forecast_auto=body.forecast_auto,
        zone=cfg.timezone,
    )  # fmt: skip
    return job_read(jobs.submit(task, owner=actor.name))


class RosterJobCreate(BaseModel):
    """A roster to run as a job."""

    start: int | None = Field(default=None, ge=0, le=10**11, description="Default: this hour.")
    days: int = Field(default=7, ge=1, le=28)
    shift_hours: int = Field(default=8, ge=4, le=12)
    min_rest_hours: float = Field(default=11, ge=0, le=24)
    max_hours_week: float = Field(default=48, ge=8, le=84)
    exclude: list[Annotated[str, Field(max_length=200)]] = Field(default=[], max_length=200)
    include_supervisors: bool = False


@router.post(
    "/roster",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[needs(Permission.PLAN_ROSTER)],
)
def roster_job(body: RosterJobCreate, actor: ActorDep, cfg: SettingsDep, jobs: JobsDep) -> JobRead:
    """The roster as a job for the worker (``GET /jobs/{id}``; the result is the roster that
    ``GET /plans/roster`` answers)."""
    require(actor, Permission.PLAN_ROSTER)
    start = body.start if body.start is not None else cfg.now() // 3600 * 3600
    task = RosterPlanTask(
        Who.of(actor), start=start, days=body.days, shift_hours=body.shift_hours,
        min_rest_hours=body.min_rest_hours, max_hours_week=body.max_hours_week,
        exclude=tuple(body.exclude), include_supervisors=body.include_supervisors,
    )  # fmt: skip
    return job_read(jobs.submit(task, owner=actor.name))
