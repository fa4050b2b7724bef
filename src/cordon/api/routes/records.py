"""Exposures and lab results: paged lists and recording one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, needs
from cordon.api.schemas import EpochQuery, Moment, PageBase, TextQuery
from cordon.domain.records import Exposure, ExposureSource, LabOutcome, LabResult, Route
from cordon.domain.roles import Permission
from cordon.services import records

__all__ = ["router"]

router = APIRouter(tags=["records"])
Id = Annotated[str, Field(min_length=1, max_length=64)]
Epoch = Annotated[int, Field(ge=0, le=10**11)]


class ExposureRead(BaseModel):
    """A contact between persons ``a`` and ``b``."""

    id: int
    a: str
    b: str
    place: str | None
    start: Moment
    end: Moment
    duration_s: int
    route: str
    source: str


class ExposurePage(PageBase):
    """A page of exposures."""

    items: list[ExposureRead]


class ExposureCreate(BaseModel):
    """One exposure to record (``a`` is the source when the direction is known)."""

    a: Id
    b: Id
    start: Epoch
    end: Epoch
    route: Route = Route.CLOSE
    source: ExposureSource = ExposureSource.INTERVIEW
    place: Id | None = None
    duration_s: Annotated[int, Field(ge=0, le=10**9)] | None = None


class LabRead(BaseModel):
    """One lab result."""

    id: int
    person: str
    collected_at: Moment
    assay: str
    result: str
    quantity: float | None


class LabPage(PageBase):
    """A page of lab results."""

    items: list[LabRead]


class LabCreate(BaseModel):
    """One lab result to record."""

    person: Id
    collected_at: Epoch
    assay: str = Field(min_length=1, max_length=100)
    result: LabOutcome
    quantity: float | None = Field(default=None, ge=0, le=1e15)


@router.get(
    "/exposures", response_model=ExposurePage, dependencies=[needs(Permission.READ_CONTACTS)]
)
def list_exposures(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    person: TextQuery = None,
    place: TextQuery = None,
    route: Route | None = None,
    source: ExposureSource | None = None,
    since: EpochQuery = None,
    until: EpochQuery = None,
) -> ExposurePage:
    """Exposures in time order, filtered by person (either side), place, route, source, time."""
    items, total = records.list_exposures(
        session,
        actor=actor,
        person=person,
        place=place,
        route=route.value if route else None,
        source=source.value if source else None,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return ExposurePage(
        items=[ExposureRead.model_validate(e, from_attributes=True) for e in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/exposures",
    response_model=ExposureRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.IMPORT_CLINICAL)],
)
def record_exposure(body: ExposureCreate, session: SessionDep, actor: ActorDep) -> ExposureRead:
    """Record one exposure (an interview, an observation)."""
    stored = records.record_exposure(
        session,
        Exposure(
            a=body.a,
            b=body.b,
            start=body.start,
            end=body.end,
            route=body.route,
            source=body.source,
            place=body.place,
            duration_s=body.duration_s,
        ),
        actor=actor,
    )
    return ExposureRead.model_validate(stored, from_attributes=True)


@router.get("/lab-results", response_model=LabPage, dependencies=[needs(Permission.READ_CLINICAL)])
def list_lab_results(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    person: TextQuery = None,
    result: LabOutcome | None = None,
    assay: TextQuery = None,
    since: EpochQuery = None,
    until: EpochQuery = None,
) -> LabPage:
    """Lab results by collection time, filtered (a clinical read: audited)."""
    items, total = records.list_lab_results(
        session,
        actor=actor,
        person=person,
        result=result.value if result else None,
        assay=assay,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return LabPage(
        items=[LabRead.model_validate(r, from_attributes=True) for r in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/lab-results",
    response_model=LabRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.IMPORT_CLINICAL)],
)
def record_lab_result(body: LabCreate, session: SessionDep, actor: ActorDep) -> LabRead:
    """Record one lab result."""
    stored = records.record_lab_result(
        session,
        LabResult(
            person=body.person,
            collected_at=body.collected_at,
            assay=body.assay,
            result=body.result,
            quantity=body.quantity,
        ),
        actor=actor,
    )
    return LabRead.model_validate(stored, from_attributes=True)
