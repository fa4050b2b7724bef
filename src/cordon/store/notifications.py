"""The notification tables: claiming outbox rows and due deliveries (safe with several workers),
the facts routing needs (rosters, follow-up teams, users, channels), and paged reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cordon.store import audit
from cordon.store.account_models import UserRow
from cordon.store.models import (
    ContactChannelRow,
    FollowUpTeamRow,
    JobRow,
    NotificationRow,
    OutboxRow,
    PersonRow,
    PlaceRow,
    TaskRow,
)

__all__ = [
    "ROSTER_JOB",
    "ChannelInfo",
    "NotificationView",
    "active_users",
    "add_channel",
    "channel_rows",
    "claim_due",
    "claim_outbox",
    "event_name",
    "get_channel",
    "latest_roster",
    "list_channels",
    "notification_page",
    "people_of_roles",
    "person_ids",
    "remove_channel",
    "task_assignee",
    "team_of",
]

ROSTER_JOB = "roster plan"
"""The job kind (``runtime.tasks.RosterPlanTask``) whose newest finished result says who guards
which exit when."""


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A contact channel as shown: never its secret, only whether it has one."""

    id: int
    recipient: str
    channel: str
    address: str
    has_secret: bool
    active: bool
    created_at: int
    created_by: str


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One message's delivery state, with the event it tells of."""

    id: int
    outbox_id: int
    event: str
    ref: str
    recipient: str
    channel: str
    address: str
    subject: str
    body: str
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    sent_at: float | None


def _locking(session: Session, query: Any) -> Any:
    """``query`` with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite writes one at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def claim_outbox(session: Session, *, now: float, limit: int) -> list[OutboxRow]:
    """Up to ``limit`` outbox rows not yet relayed, marked relayed in the caller's transaction;
    a row another worker holds or has claimed is skipped (no commit)."""
    query = _locking(
        session,
        select(OutboxRow.pk).where(OutboxRow.relayed_at.is_(None)).order_by(OutboxRow.pk),
    ).limit(limit)
    claimed = []
    for pk in session.scalars(query).all():
        done = session.execute(
            update(OutboxRow)
            .where(OutboxRow.pk == pk, OutboxRow.relayed_at.is_(None))
            .values(relayed_at=now)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            claimed.append(pk)
    if not claimed:
        return []
    return list(
        session.scalars(select(OutboxRow).where(OutboxRow.pk.in_(claimed)).order_by(OutboxRow.pk))
    )


def claim_due(session: Session, *, now: float, lease: float, limit: int) -> list[int]:
    """Ids of up to ``limit`` pending notifications due by ``now``, each leased to the caller
    for ``lease`` seconds (its next attempt moved on), committed: a worker that dies while
    sending leaves it due again when the lease ends."""
    query = _locking(
        session,
        select(NotificationRow.pk, NotificationRow.next_attempt_at)
        .where(NotificationRow.status == "pending", NotificationRow.next_attempt_at <= now)
        .order_by(NotificationRow.next_attempt_at, NotificationRow.pk),
    ).limit(limit)
    claimed = []
    try:
        for pk, due in session.execute(query).all():
            done = session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.pk == pk,
                    NotificationRow.status == "pending",
                    NotificationRow.next_attempt_at == due,
                )
                .values(next_attempt_at=now + lease)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                claimed.append(pk)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return claimed


def next_due(session: Session) -> float | None:
    """When the next pending notification falls due."""
    return session.scalar(
        select(func.min(NotificationRow.next_attempt_at)).where(NotificationRow.status == "pending")
    )


def channel_rows(session: Session) -> dict[str, list[ContactChannelRow]]:
    """Every active channel by recipient."""
    out: dict[str, list[ContactChannelRow]] = {}
    rows = session.scalars(
        select(ContactChannelRow)
        .where(ContactChannelRow.active.is_(True))
        .order_by(ContactChannelRow.pk)
    )
    for row in rows:
        out.setdefault(row.recipient, []).append(row)
    return out


def find_channel(
    session: Session, recipient: str, channel: str, address: str
) -> ContactChannelRow | None:
    """The active channel a notification was addressed through (gone when it was removed)."""
    return session.scalars(
        select(ContactChannelRow).where(
            ContactChannelRow.recipient == recipient,
            ContactChannelRow.channel == channel,
            ContactChannelRow.address == address,
            ContactChannelRow.active.is_(True),
        )
    ).first()


def active_users(session: Session) -> dict[str, str]:
    """Name -> role of every user not disabled."""
    rows = session.execute(select(UserRow.name, UserRow.role).where(UserRow.disabled_at.is_(None)))
    return {str(name): str(role) for name, role in rows}


def people_of_roles(session: Session, roles: Collection[str]) -> list[str]:
    """Ids of the people of these (directory) roles, by id."""
    if not roles:
        return []
    return list(
        session.scalars(
            select(PersonRow.id).where(PersonRow.role.in_(sorted(roles))).order_by(PersonRow.id)
        )
    )


def person_ids(session: Session, pks: Collection[int]) -> dict[int, str]:
    """Person pk -> id."""
    if not pks:
        return {}
    rows = session.execute(select(PersonRow.pk, PersonRow.id).where(PersonRow.pk.in_(list(pks))))
    return {int(pk): str(pid) for pk, pid in rows}


def latest_roster(session: Session) -> dict[str, Any] | None:
    """The result of the newest finished roster job, whoever asked for it."""
    return session.scalars(
        select(JobRow.result)
        .where(JobRow.kind == ROSTER_JOB, JobRow.status == "done")
        .order_by(JobRow.finished_at.desc())
        .limit(1)
    ).first()


def team_of(session: Session, person: str) -> str | None:
    """The follow-up team of a person: that of their home place or its nearest ancestor."""
    home = session.scalar(select(PersonRow.home_pk).where(PersonRow.id == person))
    if home is None:
        return None
    teams = dict(session.execute(select(FollowUpTeamRow.place_pk, FollowUpTeamRow.team)).all())
    parents = dict(session.execute(select(PlaceRow.pk, PlaceRow.parent_pk)).all())
    seen: set[int] = set()
    place: int | None = home
    while place is not None and place not in seen:
        if place in teams:
            return str(teams[place])
        seen.add(place)
        place = parents.get(place)
    return None


def task_assignee(session: Session, task_pk: int) -> str | None:
    """Whom a task is assigned to."""
    return session.scalar(select(TaskRow.assignee).where(TaskRow.pk == task_pk))


def _view(row: NotificationRow, event: str, ref: str) -> NotificationView:
    return NotificationView(
        row.pk, row.outbox_pk, event, ref, row.recipient, row.channel, row.address, row.subject,
        row.body, row.status, row.attempts, row.next_attempt_at, row.last_error, row.created_at,
        row.sent_at,
    )  # fmt: skip


def notification_page(
    session: Session,
    *,
    recipients: Sequence[str] | None = None,
    recipient_prefixes: Sequence[str] = (),
    recipient: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NotificationView], int]:
    """Notifications, newest first, and how many match; ``recipients`` (and recipients starting
    with one of ``recipient_prefixes``) limit them to those addressed to one of them."""
    query = select(NotificationRow, OutboxRow.event, OutboxRow.ref, OutboxRow.payload).join(
        OutboxRow, OutboxRow.pk == NotificationRow.outbox_pk
    )
    if recipients is not None:
        allowed: list[ColumnElement[bool]] = [NotificationRow.recipient.in_(list(recipients))]
        allowed += [NotificationRow.recipient.startswith(p) for p in recipient_prefixes]
        query = query.where(or_(*allowed))
    if recipient is not None:
        query = query.where(NotificationRow.recipient == recipient)
    if status is not None:
        query = query.where(NotificationRow.status == status)
    if channel is not None:
        query = query.where(NotificationRow.channel == channel)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.execute(
        query.order_by(NotificationRow.pk.desc()).limit(limit).offset(offset)
    ).all()
    return [_view(r, event_name(e, p), ref) for r, e, ref, p in rows], total


def event_name(event: str, payload: dict[str, Any] | None) -> str:
    """The event as webhooks name it: ``order_issued``, ``alert.held_at_exit``, ..."""
    kind = (payload or {}).get("kind") if event == "alert" else None
    return f"alert.{kind}" if kind else event


def get_notification(session: Session, pk: int) -> tuple[NotificationRow, str] | None:
    """A notification row and its event name."""
    found = session.execute(
        select(NotificationRow, OutboxRow.event, OutboxRow.payload)
        .join(OutboxRow, OutboxRow.pk == NotificationRow.outbox_pk)
        .where(NotificationRow.pk == pk)
    ).first()
    if found is None:
        return None
    row, event, payload = found
    return row, event_name(event, payload)


def channel_info(row: ContactChannelRow) -> ChannelInfo:
    """The shown form of a channel."""
    return ChannelInfo(
        row.pk, row.recipient, row.channel, row.address, bool(row.secret), row.active,
        row.created_at, row.created_by,
    )  # fmt: skip


def _record(info: ChannelInfo) -> dict[str, Any]:
    return {
        "recipient": info.recipient,
        "channel": info.channel,
        "address": info.address,
        "has_secret": info.has_secret,
    }


def add_channel(
    session: Session,
    *,
    recipient: str,
    channel: str,
    address: str,
    secret: str | None,
    actor: str,
    at: int,
) -> ChannelInfo:
    """Store a channel and audit it (the secret is never in the audit log); no commit."""
    row = ContactChannelRow(
        recipient=recipient, channel=channel, address=address, secret=secret, active=True,
        created_at=at, created_by=actor,
    )  # fmt: skip
    session.add(row)
    session.flush()
    info = channel_info(row)
    audit.record(
        session, actor=actor, action="create", entity="contact_channel", entity_id=row.pk,
        after=_record(info),
    )  # fmt: skip
    return info


def get_channel(session: Session, pk: int) -> ContactChannelRow | None:
    """A channel by id."""
    return session.get(ContactChannelRow, pk)


def remove_channel(session: Session, row: ContactChannelRow, *, actor: str) -> ChannelInfo:
    """Delete a channel and audit it; no commit."""
    info = channel_info(row)
    session.execute(delete(ContactChannelRow).where(ContactChannelRow.pk == row.pk))
    audit.record(
        session, actor=actor, action="delete", entity="contact_channel", entity_id=row.pk,
        before=_record(info),
    )  # fmt: skip
    return info


def list_channels(
    session: Session, *, recipient: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[ChannelInfo], int]:
    """Channels by id, and how many there are."""
    query = select(ContactChannelRow)
    if recipient is not None:
        query = query.where(ContactChannelRow.recipient == recipient)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(ContactChannelRow.pk).limit(limit).offset(offset))
    return [channel_info(r) for r in rows], total
