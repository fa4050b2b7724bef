"""What the plans read: who is where at a moment, and the people of a role with their case."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.store.models import CaseRow, PersonRow, PlaceRow, PresenceRow

__all__ = ["people_of_role", "people_of_roles", "present_at"]


def present_at(session: Session, place_ids: Collection[str], at: int) -> list[tuple[str, str, str]]:
    """(person id, role, place id) of everyone present at ``at`` in one of the places."""
    if not place_ids:
        return []
    query = (
        select(PersonRow.id, PersonRow.role, PlaceRow.id)
        .join(PresenceRow, PresenceRow.person_pk == PersonRow.pk)
        .join(PlaceRow, PresenceRow.place_pk == PlaceRow.pk)
        .where(
            PlaceRow.id.in_(list(place_ids)),
            PresenceRow.start_time <= at,
            PresenceRow.end_time > at,
        )
        .distinct()
        .order_by(PersonRow.id, PlaceRow.id)
    )
    return [(p, r, q) for p, r, q in session.execute(query)]


def people_of_role(session: Session, role: str) -> list[tuple[str, str, str]]:
    """(id, name, containment state: ``free`` without a case) of the people of ``role``, by id."""
    query = (
        select(PersonRow.id, PersonRow.name, CaseRow.containment)
        .outerjoin(CaseRow, CaseRow.person_pk == PersonRow.pk)
        .where(PersonRow.role == role)
        .order_by(PersonRow.id)
    )
    return [(i, n, k or "free") for i, n, k in session.execute(query)]


def people_of_roles(
    session: Session, roles: Collection[str]
) -> list[tuple[str, str, str, str | None, str]]:
    """(id, name, role, affiliation, containment state: ``free`` without a case) of the people
    of any of ``roles``, by id."""
    query = (
        select(
            PersonRow.id, PersonRow.name, PersonRow.role, PersonRow.affiliation,
            CaseRow.containment,
        )
        .outerjoin(CaseRow, CaseRow.person_pk == PersonRow.pk)
        .where(PersonRow.role.in_(list(roles)))
        .order_by(PersonRow.id)
    )  # fmt: skip
    return [(i, n, r, a, k or "free") for i, n, r, a, k in session.execute(query)]
