"""People and places: id lookups, upserts with audit, and listings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from cordon.domain.ids import normalise_id
from cordon.domain.people import Person, Role
from cordon.domain.places import Place, PlaceKind
from cordon.errors import NotFound
from cordon.store import audit
from cordon.store.models import Base, PersonRow, PlaceRow

__all__ = [
    "Upserted",
    "count_people",
    "get_person",
    "get_place",
    "list_people",
    "list_places",
    "person_keys",
    "place_keys",
    "place_parents",
    "upsert_people",
    "upsert_places",
]


@dataclass(frozen=True, slots=True)
class Upserted:
    """How an upsert went: rows added, changed, and left as they were."""

    added: int
    updated: int
    unchanged: int


def person_keys(session: Session) -> dict[str, int]:
    """Every person's id mapped to their store key."""
    return dict(session.execute(select(PersonRow.id, PersonRow.pk)).all())


def place_keys(session: Session) -> dict[str, int]:
    """Every place's id mapped to its store key."""
    return dict(session.execute(select(PlaceRow.id, PlaceRow.pk)).all())


def place_parents(session: Session) -> dict[str, str | None]:
    """Every place's id mapped to its parent's id."""
    parent = aliased(PlaceRow)
    query = select(PlaceRow.id, parent.id).outerjoin(parent, PlaceRow.parent_pk == parent.pk)
    return dict(session.execute(query).all())


def _rows(columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = list(columns)
    values = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns.values()]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _diff(
    records: list[dict[str, Any]], existing: Mapping[str, Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split records into new ones and ones that differ from what the store holds."""
    new = [r for r in records if r["id"] not in existing]
    changed = [
        r
        for r in records
        if r["id"] in existing and any(existing[r["id"]][k] != v for k, v in r.items())
    ]
    return new, changed


def _audit_upsert(
    session: Session,
    entity: str,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    existing: Mapping[str, Mapping[str, Any]],
    actor: str,
) -> None:
    entries = [
        {"action": "create", "entity": entity, "entity_id": r["id"], "after": r} for r in new
    ]
    entries += [
        {
            "action": "update",
            "entity": entity,
            "entity_id": r["id"],
            "before": dict(existing[r["id"]]),
            "after": r,
        }
        for r in changed
    ]
    audit.record_many(session, actor=actor, rows=entries)


def _update_by_pk(
    session: Session, model: type[PersonRow] | type[PlaceRow], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    table = Base.metadata.tables[model.__tablename__]
    fields = [k for k in rows[0] if k != "_pk"]
    statement = (
        update(table)
        .where(table.c.pk == bindparam("_pk"))
        .values({k: bindparam(k) for k in fields})
    )
    session.connection().execute(statement, rows)


def upsert_places(session: Session, columns: Mapping[str, Any], *, actor: str) -> Upserted:
    """Add new places and update changed ones (matched by id); parents may be in the same batch."""
    records = _rows(columns)
    for r in records:
        r["capacity"] = None if r["capacity"] is None or r["capacity"] < 0 else int(r["capacity"])
        r["exit"] = bool(r["exit"])
    parents = place_parents(session)
    existing = {
        p.id: {
            "id": p.id,
            "name": p.name,
            "kind": p.kind,
            "capacity": p.capacity,
            "parent": parents[p.id],
            "exit": p.exit,
        }
        for p in session.scalars(select(PlaceRow))
    }
    new, changed = _diff(records, existing)
    if new:
        session.execute(
            insert(PlaceRow), [{k: v for k, v in r.items() if k != "parent"} for r in new]
        )
    keys = place_keys(session)
    _update_by_pk(
        session,
        PlaceRow,
        [
            {
                **{k: v for k, v in r.items() if k not in ("id", "parent")},
                "_pk": keys[r["id"]],
                "parent_pk": keys[r["parent"]] if r["parent"] else None,
            }
            for r in new + changed
        ],
    )
    _audit_upsert(session, "place", new, changed, existing, actor)
    return Upserted(len(new), len(changed), len(records) - len(new) - len(changed))


def upsert_people(session: Session, columns: Mapping[str, Any], *, actor: str) -> Upserted:
    """Add new people and update changed ones (matched by id)."""
    records = _rows(columns)
    place_ids = {pk: i for i, pk in place_keys(session).items()}
    for r in records:
        home = r.pop("home")
        r["home"] = None if home is None or home < 0 else place_ids[int(home)]
    existing = {
        p.id: {
            "id": p.id,
            "name": p.name,
            "role": p.role,
            "affiliation": p.affiliation,
            "home": p.home,
        }
        for p in list_people(session)
    }
    new, changed = _diff(records, existing)
    keys = {i: pk for pk, i in place_ids.items()}

    def row(r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if k != "home"}
        out["home_pk"] = keys[r["home"]] if r["home"] else None
        return out

    if new:
        session.execute(insert(PersonRow), [row(r) for r in new])
    if changed:
        people = person_keys(session)
        _update_by_pk(session, PersonRow, [{**row(r), "_pk": people[r["id"]]} for r in changed])
    _audit_upsert(session, "person", new, changed, existing, actor)
    return Upserted(len(new), len(changed), len(records) - len(new) - len(changed))


def _person(row: PersonRow, home: str | None) -> Person:
    return Person(row.id, row.name, Role(row.role), row.affiliation, home)


_HOME = aliased(PlaceRow)
_PARENT = aliased(PlaceRow)
"""Aliases made once: a fresh alias per call costs a millisecond of statement building."""


def get_person(session: Session, person_id: str) -> tuple[int, Person]:
    """The store key and the person with this id, or NotFound."""
    home = _HOME
    found = session.execute(
        select(PersonRow, home.id)
        .outerjoin(home, PersonRow.home_pk == home.pk)
        .where(PersonRow.id.in_({person_id, normalise_id(person_id)}))
        .order_by((PersonRow.id == person_id).desc())
    ).first()
    if found is None:
        raise NotFound(f"no person with id {person_id!r}")
    return found[0].pk, _person(found[0], found[1])


def list_people(
    session: Session,
    *,
    role: Role | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Person]:
    """People in id order, optionally of one role or matching a text in id, name or affiliation."""
    home = aliased(PlaceRow)
    query = (
        select(PersonRow, home.id)
        .outerjoin(home, PersonRow.home_pk == home.pk)
        .order_by(PersonRow.id)
    )
    query = _people_filter(query, role, search)
    rows = session.execute(query.offset(offset).limit(limit)).all()
    return [_person(row, home_id) for row, home_id in rows]


def count_people(session: Session, *, role: Role | None = None, search: str | None = None) -> int:
    """How many people ``list_people`` would give without paging."""
    query = _people_filter(select(func.count()).select_from(PersonRow), role, search)
    return int(session.scalar(query) or 0)


def _people_filter(query: Any, role: Role | None, search: str | None) -> Any:
    if role is not None:
        query = query.where(PersonRow.role == role.value)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(PersonRow.id).like(pattern)
            | func.lower(PersonRow.name).like(pattern)
            | func.lower(func.coalesce(PersonRow.affiliation, "")).like(pattern)
        )
    return query


def _place(row: PlaceRow, parent: str | None) -> Place:
    return Place(row.id, row.name, PlaceKind(row.kind), row.capacity, parent, row.exit)


def list_places(session: Session, *, kind: PlaceKind | None = None) -> list[Place]:
    """Places in id order, optionally of one kind."""
    parent = aliased(PlaceRow)
    query = (
        select(PlaceRow, parent.id)
        .outerjoin(parent, PlaceRow.parent_pk == parent.pk)
        .order_by(PlaceRow.id)
    )
    if kind is not None:
        query = query.where(PlaceRow.kind == kind.value)
    return [_place(row, parent_id) for row, parent_id in session.execute(query).all()]


def get_place(session: Session, place_id: str) -> tuple[int, Place]:
    """The store key and the place with this id, or NotFound."""
    parent = _PARENT
    found = session.execute(
        select(PlaceRow, parent.id)
        .outerjoin(parent, PlaceRow.parent_pk == parent.pk)
        .where(PlaceRow.id.in_({place_id, normalise_id(place_id)}))
        .order_by((PlaceRow.id == place_id).desc())
    ).first()
    if found is None:
        raise NotFound(f"no place with id {place_id!r}")
    return found[0].pk, _place(found[0], found[1])
