"""Containment: the rules, missing cases, moratoria and life-safety emergencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, SettingsDep, needs
from cordon.api.schemas import EpochQuery, PageBase, iso_times
from cordon.api.settings import ServiceSettings
from cordon.domain.records import Route
from cordon.domain.roles import Permission
from cordon.services import containment, emergencies, missing, moratoria

__all__ = ["router"]

router = APIRouter(tags=["containment"])

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


def _now(at: int | None, cfg: ServiceSettings) -> int:
    return at if at is not None else cfg.now()


def _masked(case: missing.MissingCase) -> dict[str, Any]:
    found: dict[str, Any] = iso_times(jsonable_encoder(case))  # as the service shows it
    return found


class MissingPage(PageBase):
    """A page of missing and departed cases, confirmed first."""

    items: list[dict[str, Any]]


@router.get(
    "/missing",
    response_model=MissingPage,
    dependencies=[needs(Permission.READ_LOCATIONS, Permission.READ_ORDERS)],
)
def list_missing(
    session: SessionDep, actor: ActorDep, cfg: SettingsDep, page: PageDep, at: EpochQuery = None
) -> MissingPage:
    """Everyone under quarantine or isolation who is not in their place at ``at`` (default now),
    confirmed cases first: last presence and passage, companions, co-located persons, those
    truly near (``near``, ranked) and any exit egress."""
    found = missing.find_missing(
        session, actor=actor, at=_now(at, cfg), record=False, grace=cfg.missing_grace_seconds
    )
    shown = found[page.offset : page.offset + page.limit]
    return MissingPage(
        items=[{**_masked(m), "near": iso_times(jsonable_encoder(m.near()))} for m in shown],
        total=len(found),
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/rules/apply",
    response_model=dict[str, Any],
    dependencies=[needs(Permission.ORDER_MEDICAL)],
)
def apply_rules(
    session: SessionDep, actor: ActorDep, cfg: SettingsDep, at: EpochQuery = None
) -> dict[str, Any]:
    """Act on every exposure and result not yet seen: quarantine, isolation, clearance, breaches,
    exit alerts and expiries; then mark the missing and departed."""
    now = _now(at, cfg)
    report = containment.apply_rules(session, actor=actor, now=now)
    gone = missing.find_missing(
        session, actor=actor, at=now, record=True, grace=cfg.missing_grace_seconds
    )
    return {
        "exposures_checked": report.exposures_checked,
        "results_checked": report.results_checked,
        "orders": jsonable_encoder(report.orders),
        "breaches": jsonable_encoder(report.breaches),
        "exit_alerts": jsonable_encoder(report.exit_alerts),
        "expired": jsonable_encoder(report.expired),
        "missing": [m.person for m in gone],
    }


class MoratoriumCreate(BaseModel):
    """Suspend routes between groups, and the gatherings that covers, in a window."""

    reason: str = Field(min_length=1, max_length=2000)
    start: int | None = Field(default=None, ge=0, le=10**11, description="Default: now.")
    expiry: int | None = Field(default=None, ge=0, le=10**11)
    just_for_today: bool = Field(default=False, description="Until 24:00 of the start's day.")
    routes: list[Route] = Field(default_factory=lambda: [Route.FLUID], min_length=1)
    roles: list[Id] = Field(default_factory=lambda: ["visiting_crew"], max_length=20)
    counterpart_roles: list[Id] = Field(default_factory=list, max_length=20)
    places: list[Id] = Field(default_factory=list, max_length=500)
    gatherings: list[Id] = Field(default_factory=list, max_length=500)


@router.post(
    "/moratoria",
    response_model=dict[str, Any],
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.ORDER_MORATORIUM)],
)
def issue_moratorium(
    body: MoratoriumCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> dict[str, Any]:
    """Issue a moratorium; the answer lists the gatherings it suspends and their participants."""
    order, suspended = moratoria.issue_moratorium(
        session,
        actor=actor,
        start=_now(body.start, cfg),
        reason=body.reason,
        expiry=body.expiry,
        today=body.just_for_today,
        zone=cfg.zone,
        routes=body.routes,
        roles=body.roles,
        counterpart_roles=body.counterpart_roles,
        places=body.places,
        gathering_ids=body.gatherings,
    )
    return {"order": jsonable_encoder(order), "suspended": jsonable_encoder(suspended)}


class EmergencyCreate(BaseModel):
    """A life-safety emergency: exits fail open and every passage is logged."""

    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_ -]+$")
    reason: str = Field(min_length=1, max_length=2000)
    places: list[Id] = Field(default_factory=list, max_length=500)
    start: int | None = Field(default=None, ge=0, le=10**11)


@router.post(
    "/emergencies",
    response_model=dict[str, Any],
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.DECLARE_EMERGENCY)],
)
def declare(
    body: EmergencyCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> dict[str, Any]:
    """Declare an emergency (no places: every exit)."""
    found = emergencies.declare_emergency(
        session,
        actor=actor,
        kind=body.kind,
        start=_now(body.start, cfg),
        reason=body.reason,
        places=body.places,
    )
    result: dict[str, Any] = jsonable_encoder(found)
    return result


@router.post(
    "/emergencies/{emergency_id}/end",
    response_model=dict[str, Any],
    dependencies=[needs(Permission.DECLARE_EMERGENCY)],
)
def end(
    emergency_id: Annotated[int, Path(ge=1, le=2**31)],
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    at: Annotated[int | None, Query(ge=0, le=10**11)] = None,
) -> dict[str, Any]:
    """End an emergency: exits enforce holds again."""
    result: dict[str, Any] = jsonable_encoder(
        emergencies.end_emergency(session, emergency_id, actor=actor, at=_now(at, cfg))
    )
    return result
