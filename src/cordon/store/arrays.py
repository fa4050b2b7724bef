"""Reading observations as NumPy struct-of-arrays for the engine (store keys as integer ids)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Executable, select
from sqlalchemy.orm import Session

from cordon.domain.records import ExposureSource, Route
from cordon.store.models import ExposureRow, PersonRow, PlaceRow, PresenceRow

__all__ = [
    "ROUTE_CODES",
    "SOURCE_CODES",
    "ExposureArrays",
    "PresenceArrays",
    "exposure_arrays",
    "person_ids",
    "place_ids",
    "presence_arrays",
]

ROUTE_CODES: dict[Route, int] = {route: code for code, route in enumerate(Route)}
"""Small integer code of each route in ``ExposureArrays.route``."""
SOURCE_CODES: dict[ExposureSource, int] = {
    source: code for code, source in enumerate(ExposureSource)
}
"""Small integer code of each source in ``ExposureArrays.source``."""


@dataclass(frozen=True)
class PresenceArrays:
    """Presence intervals [start, end) as parallel int64 arrays of person and place keys."""

    person: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class ExposureArrays:
    """Exposures as parallel arrays; ``place`` is -1 where unknown; route and source are codes."""

    a: np.ndarray
    b: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray
    duration: np.ndarray
    route: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def _columns(
    session: Session, query: Executable, n_columns: int, chunk: int = 200_000
) -> list[np.ndarray]:
    """Run ``query`` on the raw connection and gather each column into a NumPy array."""
    result = session.execute(query)
    parts: list[list[np.ndarray]] = [[] for _ in range(n_columns)]
    while rows := result.fetchmany(chunk):
        block = np.array(rows, dtype=object).reshape(len(rows), n_columns)
        for k in range(n_columns):
            parts[k].append(block[:, k])
    return [np.concatenate(p) if p else np.zeros(0, dtype=object) for p in parts]


def presence_arrays(
    session: Session, *, since: int | None = None, until: int | None = None
) -> PresenceArrays:
    """Presence intervals overlapping [since, until), sorted by (place, start)."""
    query = select(
        PresenceRow.person_pk, PresenceRow.place_pk, PresenceRow.start_time, PresenceRow.end_time
    )
    if since is not None:
        query = query.where(PresenceRow.end_time > since)
    if until is not None:
        query = query.where(PresenceRow.start_time < until)
    query = query.order_by(PresenceRow.place_pk, PresenceRow.start_time)
    person, place, start, end = (c.astype(np.int64) for c in _columns(session, query, 4))
    return PresenceArrays(person, place, start, end)


def exposure_arrays(
    session: Session, *, since: int | None = None, until: int | None = None
) -> ExposureArrays:
    """Exposures overlapping the closed window [since, until] (docs/time.md: a contact is the
    closed interval [start, end], so one that ends exactly at ``since`` counts), by start."""
    query = select(
        ExposureRow.a_pk,
        ExposureRow.b_pk,
        ExposureRow.place_pk,
        ExposureRow.start_time,
        ExposureRow.end_time,
        ExposureRow.duration_s,
        ExposureRow.route,
        ExposureRow.source,
    )
    if since is not None:
        query = query.where(ExposureRow.end_time >= since)
    if until is not None:
        query = query.where(ExposureRow.start_time <= until)
    cols = _columns(session, query.order_by(ExposureRow.start_time, ExposureRow.pk), 8)
    place = np.array([-1 if p is None else p for p in cols[2].tolist()], dtype=np.int64)
    route_code = {r.value: c for r, c in ROUTE_CODES.items()}
    source_code = {s.value: c for s, c in SOURCE_CODES.items()}
    return ExposureArrays(
        a=cols[0].astype(np.int64),
        b=cols[1].astype(np.int64),
        place=place,
        start=cols[3].astype(np.int64),
        end=cols[4].astype(np.int64),
        duration=cols[5].astype(np.int64),
        route=np.array([route_code[r] for r in cols[6].tolist()], dtype=np.int8),
        source=np.array([source_code[s] for s in cols[7].tolist()], dtype=np.int8),
    )


def person_ids(session: Session) -> dict[int, str]:
    """Store key of every person mapped to their id, to turn engine output back into names."""
    return dict(session.execute(select(PersonRow.pk, PersonRow.id)).all())


def place_ids(session: Session) -> dict[int, str]:
    """Store key of every place mapped to its id."""
    return dict(session.execute(select(PlaceRow.pk, PlaceRow.id)).all())
