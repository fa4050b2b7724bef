"""Presence, passages, exposures and lab results: bulk loading and per-person reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session, aliased

from cordon.store.bulk import Progress, insert_ignore
from cordon.store.models import (
    Base,
    ExposureRow,
    LabResultRow,
    PassageRow,
    PersonRow,
    PlaceRow,
    PresenceRow,
)

__all__ = [
    "TABLES",
    "ExposureView",
    "LabView",
    "PassageView",
    "PresenceView",
    "add_records",
    "exposures_of",
    "lab_of",
    "passages_of",
    "presence_of",
]

TABLES: dict[str, Table] = {
    kind: Base.metadata.tables[model.__tablename__]
    for kind, model in (
        ("presence", PresenceRow),
        ("passages", PassageRow),
        ("exposures", ExposureRow),
        ("lab", LabResultRow),
    )
}
"""The table each observation kind loads into."""


def add_records(
    session: Session,
    kind: str,
    columns: Mapping[str, Any],
    *,
    batch_pk: int,
    progress: Progress | None = None,
) -> int:
    """Load validated rows of one observation kind, skipping stored ones; returns how many added."""
    table = TABLES[kind]
    n = len(next(iter(columns.values())))
    data = {name: values for name, values in columns.items() if name in table.c}
    if kind == "exposures":
        data["place_pk"] = np.array(
            [None if pk < 0 else pk for pk in data["place_pk"].tolist()], dtype=object
        )
    data["batch_pk"] = np.full(n, batch_pk, dtype=np.int64)
    return insert_ignore(session, table, _in_key_order(data, SORT_KEYS[kind]), progress=progress)


SORT_KEYS = {
    "presence": ("person_pk", "place_pk", "start_time"),
    "passages": ("person_pk", "place_pk", "at"),
    "exposures": ("a_pk", "b_pk", "start_time"),
    "lab": ("person_pk", "collected_at"),
}
"""The leading columns of each table's unique key: rows inserted in this order fill its index
sequentially, which is several times faster than random order on both databases."""


def _in_key_order(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    order = np.lexsort(tuple(np.asarray(data[k]) for k in reversed(keys)))
    return {
        name: [values[i] for i in order.tolist()]
        if isinstance(values, list)
        else np.asarray(values)[order]
        for name, values in data.items()
    }


@dataclass(frozen=True, slots=True)
class PresenceView:
    """One presence interval with the place named."""

    place: str
    place_name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PassageView:
    """One passage with the place named."""

    place: str
    place_name: str
    at: int
    direction: str
    credential: str
    companions: list[str]
    camera: str | None
    exit: bool


@dataclass(frozen=True, slots=True)
class ExposureView:
    """One exposure seen from one person: who the other was."""

    other: str
    other_name: str
    place: str | None
    start: int
    end: int
    duration_s: int
    route: str
    source: str
    as_source: bool
    """Whether this person is ``a`` (the source, when direction is known)."""


@dataclass(frozen=True, slots=True)
class LabView:
    """One lab result."""

    collected_at: int
    assay: str
    result: str
    quantity: float | None


def presence_of(session: Session, person_pk: int) -> list[PresenceView]:
    """A person's presence intervals in time order."""
    query = (
        select(PlaceRow.id, PlaceRow.name, PresenceRow.start_time, PresenceRow.end_time)
        .join(PlaceRow, PresenceRow.place_pk == PlaceRow.pk)
        .where(PresenceRow.person_pk == person_pk)
        .order_by(PresenceRow.start_time)
    )
    return [PresenceView(*row) for row in session.execute(query)]


def passages_of(session: Session, person_pk: int) -> list[PassageView]:
    """A person's passages in time order."""
    query = (
        select(
            PlaceRow.id,
            PlaceRow.name,
            PassageRow.at,
            PassageRow.direction,
            PassageRow.credential,
            PassageRow.companions,
            PassageRow.camera,
            PlaceRow.exit,
        )
        .join(PlaceRow, PassageRow.place_pk == PlaceRow.pk)
        .where(PassageRow.person_pk == person_pk)
        .order_by(PassageRow.at)
    )
    return [PassageView(*row) for row in session.execute(query)]


def exposures_of(session: Session, person_pk: int) -> list[ExposureView]:
    """Every exposure a person was part of, on either side, in time order."""
    a, b = aliased(PersonRow), aliased(PersonRow)
    query = (
        select(ExposureRow, a.id, a.name, b.id, b.name, PlaceRow.id)
        .join(a, ExposureRow.a_pk == a.pk)
        .join(b, ExposureRow.b_pk == b.pk)
        .outerjoin(PlaceRow, ExposureRow.place_pk == PlaceRow.pk)
        .where(or_(ExposureRow.a_pk == person_pk, ExposureRow.b_pk == person_pk))
        .order_by(ExposureRow.start_time)
    )
    out = []
    for row, a_id, a_name, b_id, b_name, place in session.execute(query):
        as_source = row.a_pk == person_pk
        out.append(
            ExposureView(
                other=b_id if as_source else a_id,
                other_name=b_name if as_source else a_name,
                place=place,
                start=row.start_time,
                end=row.end_time,
                duration_s=row.duration_s,
                route=row.route,
                source=row.source,
                as_source=as_source,
            )
        )
    return out


def lab_of(session: Session, person_pk: int) -> list[LabView]:
    """A person's lab results in time order."""
    query = (
        select(
            LabResultRow.collected_at,
            LabResultRow.assay,
            LabResultRow.result,
            LabResultRow.quantity,
        )
        .where(LabResultRow.person_pk == person_pk)
        .order_by(LabResultRow.collected_at)
    )
    return [LabView(*row) for row in session.execute(query)]
