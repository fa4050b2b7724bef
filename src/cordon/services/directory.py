"""Who is aboard and what places there are: listings and one person's whole timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cordon.domain.cases import Case
from cordon.domain.orders import Order
from cordon.domain.people import Person, Role
from cordon.domain.places import Place, PlaceKind
from cordon.domain.roles import Actor, Permission, require
from cordon.services import cases as case_service
from cordon.services import orders as order_service
from cordon.services.transaction import unit_of_work
from cordon.store import audit, cases, directory, observations

__all__ = ["PeoplePage", "Timeline", "list_people", "list_places", "person_timeline"]


@dataclass(frozen=True)
class PeoplePage:
    """One page of people and how many match in all."""

    items: list[Person]
    total: int
    offset: int


def list_people(
    session: Session,
    *,
    actor: Actor,
    role: Role | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> PeoplePage:
    """People by id, optionally one role or matching a text, a page at a time."""
    require(actor, Permission.READ_PEOPLE)
    items = directory.list_people(session, role=role, search=search, limit=limit, offset=offset)
    return PeoplePage(items, directory.count_people(session, role=role, search=search), offset)


def list_places(session: Session, *, actor: Actor, kind: PlaceKind | None = None) -> list[Place]:
    """Places by id, optionally of one kind (no personal data: every reading role may list them)."""
    require(actor, Permission.READ_AGGREGATES)
    return directory.list_places(session, kind=kind)


@dataclass
class Timeline:
    """Everything the store knows of one person, each list in time order."""

    person: Person
    case: Case
    presence: list[observations.PresenceView] = field(default_factory=list)
    passages: list[observations.PassageView] = field(default_factory=list)
    exposures: list[observations.ExposureView] = field(default_factory=list)
    lab: list[observations.LabView] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    def events(self) -> list[tuple[int, str, dict[str, Any]]]:
        """All records merged into one time-ordered list of (time, kind, details)."""
        out: list[tuple[int, str, dict[str, Any]]] = []
        out += [(p.start, "presence", {"place": p.place, "end": p.end}) for p in self.presence]
        out += [
            (
                p.at,
                "passage",
                {
                    "place": p.place,
                    "direction": p.direction,
                    "credential": p.credential,
                    "companions": p.companions,
                    "camera": p.camera,
                    "exit": p.exit,
                },
            )
            for p in self.passages
        ]
        out += [
            (
                e.start,
                "exposure",
                {
                    "with": e.other,
                    "place": e.place,
                    "end": e.end,
                    "duration_s": e.duration_s,
                    "route": e.route,
                    "source": e.source,
                },
            )
            for e in self.exposures
        ]
        out += [
            (r.collected_at, "lab", {"assay": r.assay, "result": r.result, "quantity": r.quantity})
            for r in self.lab
        ]
        out += [
            (
                o.start,
                "order",
                {
                    "kind": o.kind.value,
                    "status": o.status.value,
                    "expiry": o.expiry,
                    "reason": o.reason,
                    "issuer": o.issuer,
                },
            )
            for o in self.orders
        ]
        return sorted(out, key=lambda item: (item[0], item[1]))


def person_timeline(session: Session, person_id: str, *, actor: Actor) -> Timeline:
    """One person's presence, passages, exposures, results, orders and case state, as far as the
    actor's role may see them (the case and orders masked by their own services); every read is
    written to the audit log, as a clinical record when it includes clinical data."""
    require(actor, Permission.READ_PEOPLE)
    with unit_of_work(session):
        pk, person = directory.get_person(session, person_id)
        case = cases.get_case(session, pk, person_id)
        clinical = actor.can(Permission.READ_CLINICAL)
        timeline = Timeline(
            person=person,
            case=case_service.visible(case, actor),
            presence=observations.presence_of(session, pk)
            if actor.can(Permission.READ_LOCATIONS)
            else [],
            passages=observations.passages_of(session, pk)
            if actor.can(Permission.READ_LOCATIONS)
            else [],
            exposures=observations.exposures_of(session, pk)
            if actor.can(Permission.READ_CONTACTS)
            else [],
            lab=observations.lab_of(session, pk) if clinical else [],
            orders=order_service.orders_of(session, pk, actor=actor)
            if actor.can(Permission.READ_ORDERS)
            else [],
        )
        audit.record(
            session,
            actor=actor.name,
            action="read",
            entity="clinical_record" if clinical else "person_timeline",
            entity_id=person_id,
        )
    return timeline
