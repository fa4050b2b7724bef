"""Self-reporting: personal links through which a monitored person (or whoever answers for a
group of quarters) reports the daily check, with no account.

A link's token is 256 random bits; the store keeps only its SHA-256 (as for API tokens), so a
copy of the store cannot forge or use one. A link names whom it reports for and expires with the
monitoring (the order's expiry; an open-ended isolation's link lasts a quarantine's length) or
when revoked; each use checks both against the station clock.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain.followup import CheckSource, CheckStatus, day_of
from cordon.domain.orders import OrderStatus
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue, NotFound
from cordon.services.followup import Recorded, _write_check, monitoring_on
from cordon.services.transaction import unit_of_work
from cordon.store import containment as records
from cordon.store import directory, outbox, profiles
from cordon.store import followup as store
from cordon.store.models import PersonRow, PlaceRow

__all__ = [
    "LinkRefused",
    "LinkView",
    "Member",
    "issue_link",
    "links_of",
    "open_link",
    "revoke_link",
    "submit",
]

SELF_STATUSES = (CheckStatus.WELL, CheckStatus.SYMPTOMATIC)
"""What a person can say of themselves; "not seen" and "refused" are the staff's findings."""


class LinkRefused(NotFound):
    """The link is unknown, expired, revoked or no longer covers anyone under monitoring."""


@dataclass(frozen=True)
class Member:
    """Someone a link reports for, with today's monitoring day and whether today is done."""

    person: str
    name: str
    day_number: int
    reported_today: bool


@dataclass(frozen=True)
class LinkView:
    """What a link's page shows: whom it reports for, the symptom list, until when."""

    link: store.Link
    members: list[Member]
    symptoms: tuple[str, ...]
    fever_c: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (no token)."""
        return {
            **self.link.to_dict(),
            "members": [m.__dict__ for m in self.members],
            "symptoms": list(self.symptoms),
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_link(
    session: Session,
    *,
    actor: Actor,
    person: str,
    now: int,
    zone: tzinfo,
    quarters: str | None = None,
    until: int | None = None,
) -> tuple[str, store.Link]:
    """A new link for ``person`` (who must be under monitoring now), or for whoever is
    responsible for ``quarters`` (``person``) to report for everyone housed there; returns the
    token once (the link's path is ``/r/<token>``) and tells the person through the outbox."""
    require(actor, Permission.FOLLOW_UP)
    with unit_of_work(session):
        pk, _ = directory.get_person(session, person)
        place_pk = directory.get_place(session, quarters)[0] if quarters else None
        period = monitoring_on(session, day_of(now, zone), zone).get(person)
        if quarters is None and period is None:
            raise InvalidValue(f"{person} is under no quarantine or isolation: no link to give")
        default = profiles.active_profile(session).rules.quarantine_s
        ends = period.end if period is not None and quarters is None else None
        expires = until if until is not None else (ends if ends is not None else now + default)
        if expires <= now:
            raise InvalidValue("a link must expire after now")
        token = secrets.token_urlsafe(32)
        link = store.add_link(
            session,
            digest=_digest(token),
            person_pk=pk,
            person=person,
            place_pk=place_pk,
            order_pk=period.order if period is not None and quarters is None else None,
            expires_at=expires,
            now=now,
            actor=actor.name,
        )
        outbox.add_events(
            session,
            [
                outbox.Event(
                    "report_link",
                    f"report_link:{link.id}",
                    pk,
                    place_pk,
                    {"person": person, "path": f"/r/{token}", "expires_at": expires,
                     "quarters": quarters},
                )
            ],
        )  # fmt: skip
    return token, link


def links_of(session: Session, *, actor: Actor, person: str) -> list[store.Link]:
    """The links issued for a person (never their tokens)."""
    require(actor, Permission.FOLLOW_UP)
    pk, _ = directory.get_person(session, person)
    return store.links_of(session, pk)


def revoke_link(session: Session, link_id: int, *, actor: Actor, at: int) -> store.Link:
    """Revoke a link at once; its next use is refused."""
    require(actor, Permission.FOLLOW_UP)
    with unit_of_work(session):
        return store.revoke_link(session, link_id, at=at, actor=actor.name)


def _members(session: Session, link: store.Link, now: int, zone: tzinfo) -> list[Member]:
    day = day_of(now, zone)
    periods = monitoring_on(session, day, zone)
    if link.place is None:
        people = [link.person]
        if link.order is not None:
            order = records.get_order(session, link.order)
            current = periods.get(link.person)
            # A restart or an isolation replaces the order: the link follows the person's
            # monitoring as long as it has not ended.
            if order.status is not OrderStatus.ACTIVE and current is None:
                return []
    else:
        parents = directory.place_parents(session)
        inside = {p for p in parents if _within(p, link.place, parents)}
        query = (
            select(PersonRow.id)
            .join(PlaceRow, PersonRow.home_pk == PlaceRow.pk)
            .where(PlaceRow.id.in_(sorted(inside)))
        )
        people = sorted(session.scalars(query))
    checks = store.checks_on(session, day, people)
    names = select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(people))
    homes: dict[str, str] = dict(session.execute(names).all())
    return [
        Member(p, homes.get(p, p), periods[p].day_number(day, zone), bool(checks.get(p)))
        for p in people
        if p in periods
    ]


def _within(place: str, root: str, parents: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    current: str | None = place
    while current is not None and current not in seen:
        if current == root:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _usable(session: Session, token: str, now: int) -> store.Link:
    try:
        link = store.get_link(session, digest=_digest(token))
    except NotFound as exc:
        raise LinkRefused("this link is not known") from exc
    if link.revoked_at is not None:
        raise LinkRefused("this link was revoked; ask the follow-up team for a new one")
    if now >= link.expires_at:
        raise LinkRefused("this link has expired: the monitoring it was for has ended")
    return link


def open_link(session: Session, token: str, *, now: int, zone: tzinfo) -> LinkView:
    """What the link's page shows, or LinkRefused saying why it cannot be used."""
    link = _usable(session, token, now)
    members = _members(session, link, now, zone)
    if not members:
        raise LinkRefused("no one this link reports for is under monitoring any more")
    rules = profiles.active_profile(session).rules
    return LinkView(link, members, rules.symptoms, rules.fever_c)


def submit(
    session: Session,
    token: str,
    *,
    person: str,
    status: CheckStatus,
    now: int,
    zone: tzinfo,
    temperature: float | None = None,
    symptoms: Sequence[str] = (),
    notes: str | None = None,
) -> Recorded:
    """Record a self-reported (or proxy-reported) check through a link: validated, audited and
    acted on exactly like a staff check."""
    if status not in SELF_STATUSES:
        raise InvalidValue("a self-report says 'well' or 'symptomatic'")
    with unit_of_work(session):
        link = _usable(session, token, now)
        members = {m.person for m in _members(session, link, now, zone)}
        if person not in members:
            raise InvalidValue(f"this link does not report for {person!r}")
        proxy = link.place is not None and person != link.person
        source = CheckSource.PROXY if proxy else CheckSource.SELF
        checker = f"{source.value}:{link.person}"
        recorded = _write_check(
            session,
            person=person,
            at=now,
            status=status,
            temperature=temperature,
            symptoms=symptoms,
            notes=notes,
            source=source,
            checker=checker,
            actor=f"report link {link.id} ({link.person})",
            zone=zone,
        )
        store.touch_link(session, link.id, now)
        return recorded
