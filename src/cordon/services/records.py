"""Exposures and lab results one at a time: paged lists and recording a single record.

Reading results is a read of clinical records and goes to the audit log with the reader.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cordon.domain.records import Exposure, LabResult
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory, listings
from cordon.store.listings import ExposureRecord, LabRecord
from cordon.store.models import ExposureRow, LabResultRow

__all__ = [
    "ExposureRecord",
    "LabRecord",
    "list_exposures",
    "list_lab_results",
    "record_exposure",
    "record_lab_result",
]


def list_exposures(
    session: Session,
    *,
    actor: Actor,
    person: str | None = None,
    place: str | None = None,
    route: str | None = None,
    source: str | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ExposureRecord], int]:
    """Exposures in time order, filtered, and how many match in all; the read is audited."""
    require(actor, Permission.READ_CONTACTS)
    with unit_of_work(session):
        items, total = listings.exposure_page(
            session,
            person_pk=directory.get_person(session, person)[0] if person else None,
            place_pk=directory.get_place(session, place)[0] if place else None,
            route=route,
            source=source,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        audit.record(
            session,
            actor=actor.name,
            action="read",
            entity="exposure",
            entity_id=person,
            after={"returned": len(items), "offset": offset},
        )
    return items, total


def list_lab_results(
    session: Session,
    *,
    actor: Actor,
    person: str | None = None,
    result: str | None = None,
    assay: str | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LabRecord], int]:
    """Lab results by collection time, filtered; the read is audited."""
    require(actor, Permission.READ_CLINICAL)
    with unit_of_work(session):
        items, total = listings.lab_page(
            session,
            person_pk=directory.get_person(session, person)[0] if person else None,
            result=result,
            assay=assay,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        audit.record(
            session,
            actor=actor.name,
            action="read",
            entity="lab_result",
            entity_id=person,
            after={"returned": len(items), "result": result, "offset": offset},
        )
    return items, total


def record_exposure(session: Session, exposure: Exposure, *, actor: Actor) -> ExposureRecord:
    """Record one exposure (e.g. from an interview), audited."""
    require(actor, Permission.IMPORT_CLINICAL)
    if exposure.a == exposure.b:
        raise InvalidValue("an exposure needs two different persons")
    if exposure.end < exposure.start:
        raise InvalidValue("the exposure ends before it starts")
    with unit_of_work(session):
        a_pk, _ = directory.get_person(session, exposure.a)
        b_pk, _ = directory.get_person(session, exposure.b)
        place_pk = directory.get_place(session, exposure.place)[0] if exposure.place else None
        row = ExposureRow(
            a_pk=a_pk,
            b_pk=b_pk,
            place_pk=place_pk,
            start_time=exposure.start,
            end_time=exposure.end,
            duration_s=exposure.duration,
            route=exposure.route.value,
            source=exposure.source.value,
        )
        session.add(row)
        session.flush()
        record = ExposureRecord(
            row.pk,
            exposure.a,
            exposure.b,
            exposure.place,
            exposure.start,
            exposure.end,
            exposure.duration,
            exposure.route.value,
            exposure.source.value,
        )
        audit.record(
            session,
            actor=actor.name,
            action="create",
            entity="exposure",
            entity_id=row.pk,
            after={
                "a": record.a,
                "b": record.b,
                "place": record.place,
                "start": record.start,
                "end": record.end,
                "route": record.route,
                "source": record.source,
            },
        )
    return record


def record_lab_result(session: Session, result: LabResult, *, actor: Actor) -> LabRecord:
    """Record one lab result, audited; the same specimen and assay twice is refused."""
    require(actor, Permission.IMPORT_CLINICAL)
    if result.quantity is not None and result.quantity < 0:
        raise InvalidValue("a quantity cannot be negative")
    with unit_of_work(session):
        person_pk, _ = directory.get_person(session, result.person)
        existing, _n = listings.lab_page(
            session, person_pk=person_pk, assay=result.assay, limit=None
        )
        if any(r.collected_at == result.collected_at for r in existing):
            raise InvalidValue(
                f"{result.person} already has a {result.assay!r} result for that specimen time"
            )
        row = LabResultRow(
            person_pk=person_pk,
            collected_at=result.collected_at,
            assay=result.assay,
            result=result.result.value,
            quantity=result.quantity,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor.name,
            action="create",
            entity="lab_result",
            entity_id=row.pk,
            after={
                "person": result.person,
                "collected_at": result.collected_at,
                "assay": result.assay,
                "result": result.result.value,
                "quantity": result.quantity,
            },
        )
    return LabRecord(
        row.pk, result.person, result.collected_at, result.assay, row.result, row.quantity
    )
