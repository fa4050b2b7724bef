"""Scheduled gatherings and their planned participants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cordon.domain.gatherings import Gathering, GatheringStatus
from cordon.store import audit
from cordon.store.directory import Upserted
from cordon.store.models import GatheringParticipantRow, GatheringRow, PersonRow, PlaceRow

__all__ = ["list_gatherings", "upsert_gatherings"]


def upsert_gatherings(session: Session, columns: Mapping[str, Any], *, actor: str) -> Upserted:
    """Add new gatherings and update changed ones (matched by id), with their participant lists."""
    people = dict(session.execute(select(PersonRow.id, PersonRow.pk)).all())
    current = {g.id: g for g in list_gatherings(session)}
    place_ids = dict(session.execute(select(PlaceRow.pk, PlaceRow.id)).all())
    added = updated = 0
    names = list(columns)
    for values in zip(*(columns[n] for n in names), strict=True):
        record = dict(zip(names, values, strict=True))
        wanted = Gathering(
            id=record["id"],
            name=record["name"],
            place=place_ids[int(record["place_pk"])],
            start=int(record["start_time"]),
            end=int(record["end_time"]),
            participants=tuple(record["participants"]),
            kind=record["kind"],
            status=current[record["id"]].status
            if record["id"] in current
            else GatheringStatus.SCHEDULED,
        )
        before = current.get(wanted.id)
        if before == wanted:
            continue
        row = session.scalar(select(GatheringRow).where(GatheringRow.id == wanted.id))
        if row is None:
            row = GatheringRow(id=wanted.id, status=wanted.status.value)
            session.add(row)
            added += 1
        else:
            updated += 1
        row.name, row.kind, row.place_pk = wanted.name, wanted.kind, int(record["place_pk"])
        row.start_time, row.end_time = wanted.start, wanted.end
        session.flush()
        session.execute(
            delete(GatheringParticipantRow).where(GatheringParticipantRow.gathering_pk == row.pk)
        )
        if wanted.participants:
            session.execute(
                insert(GatheringParticipantRow),
                [{"gathering_pk": row.pk, "person_pk": people[p]} for p in wanted.participants],
            )
        audit.record(
            session,
            actor=actor,
            action="update" if before else "create",
            entity="gathering",
            entity_id=wanted.id,
            before=_as_dict(before) if before else None,
            after=_as_dict(wanted),
        )
    total = len(columns["id"]) if "id" in columns else 0
    return Upserted(added, updated, total - added - updated)


def _as_dict(g: Gathering) -> dict[str, Any]:
    return {
        "name": g.name,
        "place": g.place,
        "start": g.start,
        "end": g.end,
        "participants": list(g.participants),
        "kind": g.kind,
        "status": g.status.value,
    }


def list_gatherings(
    session: Session, *, start: int | None = None, end: int | None = None
) -> list[Gathering]:
    """Gatherings in time order, optionally those overlapping [start, end)."""
    query = select(GatheringRow, PlaceRow.id).join(PlaceRow, GatheringRow.place_pk == PlaceRow.pk)
    if start is not None:
        query = query.where(GatheringRow.end_time > start)
    if end is not None:
        query = query.where(GatheringRow.start_time < end)
    rows = session.execute(query.order_by(GatheringRow.start_time, GatheringRow.id)).all()
    members: dict[int, list[str]] = {}
    participants = select(GatheringParticipantRow.gathering_pk, PersonRow.id).join(
        PersonRow, GatheringParticipantRow.person_pk == PersonRow.pk
    )
    for gathering_pk, person_id in session.execute(participants.order_by(PersonRow.id)):
        members.setdefault(gathering_pk, []).append(person_id)
    return [
        Gathering(
            id=row.id,
            name=row.name,
            place=place,
            start=row.start_time,
            end=row.end_time,
            participants=tuple(members.get(row.pk, ())),
            kind=row.kind,
            status=GatheringStatus(row.status),
        )
        for row, place in rows
    ]
