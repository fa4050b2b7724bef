"""Follow-up checks, the teams that make them, and self-report links, in the store."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cordon.domain.followup import CheckSource, CheckStatus, FollowUp
from cordon.errors import NotFound
from cordon.store import audit
from cordon.store.models import (
    FollowUpRow,
    FollowUpTeamRow,
    PersonRow,
    PlaceRow,
    ReportLinkRow,
)

__all__ = [
    "Link",
    "add_followup",
    "add_link",
    "checks_of",
    "checks_on",
    "followup_record",
    "get_link",
    "links_of",
    "revoke_link",
    "set_team",
    "teams",
    "touch_link",
]


def followup_record(f: FollowUp) -> dict[str, Any]:
    """A check as JSON-ready data (for the audit log and the interfaces)."""
    return {
        "id": f.id,
        "person": f.person,
        "day": f.day.isoformat(),
        "at": f.at,
        "checker": f.checker,
        "source": f.source.value,
        "status": f.status.value,
        "temperature": f.temperature,
        "symptoms": list(f.symptoms),
        "notes": f.notes,
        "order": f.order,
    }


def _followup(row: FollowUpRow, person: str) -> FollowUp:
    return FollowUp(
        id=row.pk,
        person=person,
        day=date.fromisoformat(row.day),
        at=row.at,
        checker=row.checker,
        source=CheckSource(row.source),
        status=CheckStatus(row.status),
        temperature=row.temperature,
        symptoms=tuple(row.symptoms or ()),
        notes=row.notes,
        order=row.order_pk,
    )


def add_followup(
    session: Session, check: FollowUp, *, person_pk: int, actor: str, batch_pk: int | None = None
) -> FollowUp:
    """Store one check with its audit row; returns it with its id."""
    row = FollowUpRow(
        person_pk=person_pk,
        order_pk=check.order,
        day=check.day.isoformat(),
        at=check.at,
        checker=check.checker,
        source=check.source.value,
        status=check.status.value,
        temperature=check.temperature,
        symptoms=list(check.symptoms),
        notes=check.notes,
        created_at=int(time.time()),
        batch_pk=batch_pk,
    )
    session.add(row)
    session.flush()
    stored = _followup(row, check.person)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="followup",
        entity_id=row.pk,
        after=followup_record(stored),
    )
    return stored


def checks_on(
    session: Session, day: date, people: Collection[str] | None = None
) -> dict[str, list[FollowUp]]:
    """The checks made on station day ``day``, per person, in time order."""
    query = (
        select(FollowUpRow, PersonRow.id)
        .join(PersonRow, FollowUpRow.person_pk == PersonRow.pk)
        .where(FollowUpRow.day == day.isoformat())
        .order_by(FollowUpRow.at, FollowUpRow.pk)
    )
    if people is not None:
        query = query.where(PersonRow.id.in_(list(people)))
    out: dict[str, list[FollowUp]] = {}
    for row, person in session.execute(query):
        out.setdefault(person, []).append(_followup(row, person))
    return out


def checks_of(session: Session, person_pk: int, person: str) -> list[FollowUp]:
    """Every check of one person, in time order."""
    query = (
        select(FollowUpRow)
        .where(FollowUpRow.person_pk == person_pk)
        .order_by(FollowUpRow.at, FollowUpRow.pk)
    )
    return [_followup(row, person) for row in session.scalars(query)]


def teams(session: Session) -> dict[str, str]:
    """Place id -> the follow-up team responsible for the people housed there."""
    query = select(PlaceRow.id, FollowUpTeamRow.team).join(
        PlaceRow, FollowUpTeamRow.place_pk == PlaceRow.pk
    )
    return dict(session.execute(query.order_by(PlaceRow.id)).all())


def set_team(session: Session, place_pk: int, place: str, team: str | None, *, actor: str) -> None:
    """Make ``team`` responsible for a place (None: no team of its own), audited."""
    before = session.get(FollowUpTeamRow, place_pk)
    old = before.team if before is not None else None
    if old == team:
        return
    if before is not None:
        session.execute(delete(FollowUpTeamRow).where(FollowUpTeamRow.place_pk == place_pk))
    if team is not None:
        session.add(FollowUpTeamRow(place_pk=place_pk, team=team))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update" if team else "delete",
        entity="followup_team",
        entity_id=place,
        before={"team": old} if old else None,
        after={"team": team} if team else None,
    )


class Link:
    """A self-report link as stored (never its token)."""

    __slots__ = (
        "created_at",
        "created_by",
        "expires_at",
        "id",
        "last_used_at",
        "order",
        "person",
        "place",
        "revoked_at",
    )

    def __init__(self, row: ReportLinkRow, person: str, place: str | None) -> None:
        self.id = row.pk
        self.person = person
        self.place = place
        self.order = row.order_pk
        self.expires_at = row.expires_at
        self.created_at = row.created_at
        self.created_by = row.created_by
        self.revoked_at = row.revoked_at
        self.last_used_at = row.last_used_at

    def usable(self, now: int) -> bool:
        """Not revoked and not expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (no token)."""
        return {name: getattr(self, name) for name in sorted(self.__slots__)}


def _links(session: Session, where: Sequence[Any]) -> list[Link]:
    query = (
        select(ReportLinkRow, PersonRow.id, PlaceRow.id)
        .join(PersonRow, ReportLinkRow.person_pk == PersonRow.pk)
        .outerjoin(PlaceRow, ReportLinkRow.place_pk == PlaceRow.pk)
        .where(*where)
        .order_by(ReportLinkRow.pk)
    )
    return [Link(row, person, place) for row, person, place in session.execute(query)]


def add_link(
    session: Session,
    *,
    digest: str,
    person_pk: int,
    person: str,
    place_pk: int | None,
    order_pk: int | None,
    expires_at: int,
    now: int,
    actor: str,
) -> Link:
    """Store a link by its token's digest, audited (the audit row names no token)."""
    row = ReportLinkRow(
        digest=digest,
        person_pk=person_pk,
        place_pk=place_pk,
        order_pk=order_pk,
        expires_at=expires_at,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    link = _links(session, [ReportLinkRow.pk == row.pk])[0]
    audit.record(
        session, actor=actor, action="create", entity="report_link", entity_id=row.pk,
        after={"person": person, "place": link.place, "order": order_pk, "expires_at": expires_at},
    )  # fmt: skip
    return link


def get_link(session: Session, *, digest: str | None = None, link_id: int | None = None) -> Link:
    """The link with this token digest or id, or NotFound."""
    where = ReportLinkRow.digest == digest if digest is not None else ReportLinkRow.pk == link_id
    found = _links(session, [where])
    if not found:
        raise NotFound("no such report link")
    return found[0]


def links_of(session: Session, person_pk: int) -> list[Link]:
    """The links issued for a person (their own and those for quarters they answer for)."""
    return _links(session, [ReportLinkRow.person_pk == person_pk])


def revoke_link(session: Session, link_id: int, *, at: int, actor: str) -> Link:
    """Revoke a link (the first revocation stands), audited."""
    row = session.get(ReportLinkRow, link_id)
    if row is None:
        raise NotFound(f"no report link {link_id}")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = at, actor
        session.flush()
        audit.record(
            session, actor=actor, action="revoke", entity="report_link", entity_id=link_id,
            after={"revoked_at": at},
        )  # fmt: skip
    return get_link(session, link_id=link_id)


def touch_link(session: Session, link_id: int, at: int) -> None:
    """Note when a link was last used."""
    row = session.get(ReportLinkRow, link_id)
    if row is not None:
        row.last_used_at = at
