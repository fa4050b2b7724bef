"""Case state rows: reading, listing and saving a person's case (transitions are the domain's)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from cordon.domain.cases import Case, Clinical, Containment
from cordon.store import audit
from cordon.store.models import CaseRow, PersonRow, PlaceRow

__all__ = ["count_by_state", "get_case", "list_cases", "save_case"]


def _case(row: CaseRow, person: str, place: str | None) -> Case:
    return Case(
        person=person,
        clinical=Clinical(row.clinical) if row.clinical else None,
        containment=Containment(row.containment),
        assigned_place=place,
        since=row.since,
    )


_PLACE = aliased(PlaceRow)
"""Made once: a fresh alias per call costs a millisecond of statement building."""


def get_case(session: Session, person_pk: int, person_id: str) -> Case:
    """The person's case, or a fresh one (no clinical state, free) when they have none."""
    place = _PLACE
    found = session.execute(
        select(CaseRow, place.id)
        .outerjoin(place, CaseRow.assigned_place_pk == place.pk)
        .where(CaseRow.person_pk == person_pk)
    ).first()
    if found is None:
        return Case(person=person_id, clinical=None)
    return _case(found[0], person_id, found[1])


def list_cases(
    session: Session,
    *,
    clinical: Clinical | None = None,
    containment: Containment | None = None,
    limit: int | None = None,
    offset: int = 0,
    containments: Sequence[Containment] = (),
) -> list[Case]:
    """Cases in person-id order, filtered by clinical or containment state (or any of
    ``containments``)."""
    place = aliased(PlaceRow)
    query = (
        select(CaseRow, PersonRow.id, place.id)
        .join(PersonRow, CaseRow.person_pk == PersonRow.pk)
        .outerjoin(place, CaseRow.assigned_place_pk == place.pk)
        .order_by(PersonRow.id)
    )
    if clinical is not None:
        query = query.where(CaseRow.clinical == clinical.value)
    if containment is not None:
        query = query.where(CaseRow.containment == containment.value)
    if containments:
        query = query.where(CaseRow.containment.in_([k.value for k in containments]))
    rows = session.execute(query.offset(offset).limit(limit)).all()
    return [_case(row, person, place_id) for row, person, place_id in rows]


def count_by_state(session: Session) -> dict[tuple[str | None, str], int]:
    """How many cases are in each (clinical, containment) pair."""
    query = select(CaseRow.clinical, CaseRow.containment, func.count()).group_by(
        CaseRow.clinical, CaseRow.containment
    )
    return {(c, k): int(n) for c, k, n in session.execute(query)}


def save_case(
    session: Session,
    person_pk: int,
    before: Case,
    after: Case,
    *,
    actor: str,
    reason: str,
    place_pk: int | None,
) -> None:
    """Write the case's new state and its audit row; the caller checked the transition."""
    row = session.scalar(select(CaseRow).where(CaseRow.person_pk == person_pk))
    if row is None:
        row = CaseRow(person_pk=person_pk)
        session.add(row)
    row.clinical = after.clinical.value if after.clinical else None
    row.containment = after.containment.value
    row.assigned_place_pk = place_pk
    row.since = after.since
    if after.clinical is Clinical.EXPOSED and before.clinical is not Clinical.EXPOSED:
        row.exposed_at = after.since
    if after.clinical is Clinical.CONFIRMED and before.clinical is not Clinical.CONFIRMED:
        row.confirmed_at = after.since
    audit.record(
        session,
        actor=actor,
        action="transition",
        entity="case",
        entity_id=after.person,
        before=_state(before),
        after={**_state(after), "reason": reason},
    )


def _state(case: Case) -> dict[str, str | int | None]:
    return {
        "clinical": case.clinical.value if case.clinical else None,
        "containment": case.containment.value,
        "assigned_place": case.assigned_place,
        "since": case.since,
    }
