"""People, places and one person's timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from cordon.api.deps import ActorDep, PageDep, SessionDep, needs
from cordon.api.schemas import Moment, PageBase, TextQuery, iso_times
from cordon.domain.people import Person, Role
from cordon.domain.places import PlaceKind
from cordon.domain.roles import Permission
from cordon.services import directory

__all__ = ["CaseRead", "PersonRead", "case_read", "router"]

router = APIRouter(tags=["directory"])
PersonId = Annotated[str, Path(min_length=1, max_length=64)]


class PersonRead(BaseModel):
    """A person aboard."""

    id: str
    name: str
    role: str
    affiliation: str | None
    home: str | None


class PersonPage(PageBase):
    """A page of people."""

    items: list[PersonRead]


class PlaceRead(BaseModel):
    """A zone of the facility."""

    id: str
    name: str
    kind: str
    capacity: int | None
    parent: str | None
    exit: bool


class PlacePage(PageBase):
    """A page of places."""

    items: list[PlaceRead]


class CaseRead(BaseModel):
    """A person's case (``clinical`` is null for roles without clinical rights)."""

    person: str
    clinical: str | None
    containment: str
    assigned_place: str | None
    since: Moment


class EventRead(BaseModel):
    """One event of a timeline."""

    at: Moment
    kind: str
    details: dict[str, Any]


class TimelineRead(PageBase):
    """Everything the actor may see of one person: their case and a page of their events in
    time order (``items``, of ``total``)."""

    person: PersonRead
    case: CaseRead
    items: list[EventRead]


def person_read(p: Person) -> PersonRead:
    """The schema of a person."""
    return PersonRead(
        id=p.id, name=p.name, role=p.role.value, affiliation=p.affiliation, home=p.home
    )


def case_read(c: Any) -> CaseRead:
    """The schema of a case."""
    return CaseRead(
        person=c.person,
        clinical=c.clinical.value if c.clinical else None,
        containment=c.containment.value,
        assigned_place=c.assigned_place,
        since=c.since,
    )


@router.get("/people", response_model=PersonPage, dependencies=[needs(Permission.READ_PEOPLE)])
def list_people(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    role: Role | None = None,
    search: TextQuery = None,
) -> PersonPage:
    """People by id, filtered by role or a text in the id, name or affiliation."""
    found = directory.list_people(
        session, actor=actor, role=role, search=search, limit=page.limit, offset=page.offset
    )
    return PersonPage(
        items=[person_read(p) for p in found.items],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/people/{person_id}/timeline",
    response_model=TimelineRead,
    dependencies=[needs(Permission.READ_PEOPLE)],
)
def person_timeline(
    person_id: PersonId, session: SessionDep, actor: ActorDep, page: PageDep
) -> TimelineRead:
    """One person's presence, passages, exposures, results and orders, as the role may see them
    (a read that includes clinical detail is audited), a page at a time."""
    timeline = directory.person_timeline(session, person_id, actor=actor)
    events = timeline.events()
    shown = events[page.offset : page.offset + page.limit]
    return TimelineRead(
        person=person_read(timeline.person),
        case=case_read(timeline.case),
        items=[EventRead(at=at, kind=kind, details=iso_times(d)) for at, kind, d in shown],
        total=len(events),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/places", response_model=PlacePage, dependencies=[needs(Permission.READ_AGGREGATES)])
def list_places(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    kind: PlaceKind | None = None,
    exit: Annotated[bool | None, Query(description="Only exits (or only non-exits).")] = None,
) -> PlacePage:
    """Places by id, filtered by kind or whether they are exits."""
    found = [
        p
        for p in directory.list_places(session, actor=actor, kind=kind)
        if exit is None or p.exit == exit
    ]
    items = found[page.offset : page.offset + page.limit]
    return PlacePage(
        items=[
            PlaceRead(
                id=p.id,
                name=p.name,
                kind=p.kind.value,
                capacity=p.capacity,
                parent=p.parent,
                exit=p.exit,
            )
            for p in items
        ],
        total=len(found),
        limit=page.limit,
        offset=page.offset,
    )
