"""What the epidemic analytics read from the store: case times, current cases, bed capacity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.cases import Clinical
from cordon.domain.places import PlaceKind
from cordon.domain.records import LabOutcome
from cordon.store.models import (
    CaseRow,
    GatheringParticipantRow,
    GatheringRow,
    LabResultRow,
    PersonRow,
    PlaceRow,
)

__all__ = [
    "CaseTimes",
    "bed_capacity",
    "case_times",
    "gathering_windows",
    "person_keys",
]


@dataclass(frozen=True)
class CaseTimes:
    """Per person with a case or a positive result: store key, clinical and containment state,
    and the times of exposure, onset and confirmation (NaN where unknown)."""

    person: np.ndarray
    clinical: list[str | None]
    containment: list[str]
    since: np.ndarray
    exposed: np.ndarray
    onset: np.ndarray
    confirmed: np.ndarray


def case_times(session: Session) -> CaseTimes:
    """Cases with their times; confirmation falls back to the first positive result."""
    first_positive = dict(
        session.execute(
            select(LabResultRow.person_pk, func.min(LabResultRow.collected_at))
            .where(LabResultRow.result == LabOutcome.POSITIVE.value)
            .group_by(LabResultRow.person_pk)
        ).all()
    )
    rows = session.execute(
        select(
            CaseRow.person_pk,
            CaseRow.clinical,
            CaseRow.containment,
            CaseRow.since,
            CaseRow.exposed_at,
            CaseRow.onset_at,
            CaseRow.confirmed_at,
        ).order_by(CaseRow.person_pk)
    ).all()
    seen = {r[0] for r in rows}
    extra = [
        (pk, None, "free", t, None, None, None)
        for pk, t in first_positive.items()
        if pk not in seen
    ]
    everything: list[tuple[Any, ...]] = [tuple(r) for r in rows] + extra

    def col(k: int) -> np.ndarray:
        return np.array([np.nan if r[k] is None else float(r[k]) for r in everything])

    confirmed = col(6)
    for i, r in enumerate(everything):
        if (
            np.isnan(confirmed[i])
            and r[0] in first_positive
            and (r[1] in (None, Clinical.CONFIRMED.value, Clinical.CLEARED.value))
        ):
            confirmed[i] = float(first_positive[r[0]] or 0)
    return CaseTimes(
        person=np.array([r[0] for r in everything], dtype=np.int64),
        clinical=[
            r[1] if r[1] is not None or np.isnan(confirmed[i]) else "confirmed"
            for i, r in enumerate(everything)
        ],
        containment=[r[2] for r in everything],
        since=col(3),
        exposed=col(4),
        onset=col(5),
        confirmed=confirmed,
    )


def person_keys(session: Session) -> np.ndarray:
    """Store key of every person aboard (the nodes of the simulations), ascending."""
    return np.array(session.scalars(select(PersonRow.pk).order_by(PersonRow.pk)).all(), np.int64)


def person_roles(session: Session) -> list[str]:
    """The role of every person, in the order of ``person_keys``."""
    return list(session.scalars(select(PersonRow.role).order_by(PersonRow.pk)).all())


def bed_capacity(session: Session) -> int:
    """Beds for isolated cases: the isolation rooms when the facility has any (cases are not
    mixed with other patients), else every ward."""
    for kinds in ((PlaceKind.ISOLATION_ROOM.value,), (PlaceKind.WARD.value,)):
        total = session.scalar(select(func.sum(PlaceRow.capacity)).where(PlaceRow.kind.in_(kinds)))
        if total:
            return int(total)
    return 0


def gathering_people(session: Session) -> list[tuple[str, int, int, int, np.ndarray]]:
    """Every gathering as (kind, place key, start, end, participant keys)."""
    rows = session.execute(
        select(
            GatheringRow.pk,
            GatheringRow.kind,
            GatheringRow.place_pk,
            GatheringRow.start_time,
            GatheringRow.end_time,
        ).order_by(GatheringRow.pk)
    ).all()
    members: dict[int, list[int]] = {}
    for gathering, person in session.execute(
        select(GatheringParticipantRow.gathering_pk, GatheringParticipantRow.person_pk)
    ):
        members.setdefault(gathering, []).append(person)
    return [
        (kind, place, start, end, np.array(sorted(members.get(pk, [])), np.int64))
        for pk, kind, place, start, end in rows
    ]


def gathering_windows(session: Session) -> np.ndarray:
    """Rows of (place key, start, end) of every scheduled gathering."""
    rows = session.execute(
        select(GatheringRow.place_pk, GatheringRow.start_time, GatheringRow.end_time)
    ).all()
    return np.array(rows, dtype=np.int64).reshape(-1, 3)
