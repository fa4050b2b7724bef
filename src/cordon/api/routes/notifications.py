"""Notifications and their delivery state; the contact channels that reach each recipient."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, SettingsDep, needs
from cordon.api.schemas import Message, PageBase, TextQuery
from cordon.domain.roles import Permission
from cordon.services import notify
from cordon.services.notify import ChannelInfo, NotificationView

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["notifications"])
Status = Literal["pending", "sent", "failed", "no_channel"]
ChannelName = Literal["email", "webhook", "feed"]


class NotificationRead(BaseModel):
    """One message to one recipient on one channel, with its delivery state (times are epoch
    seconds of the wall clock)."""

    id: int
    event: str
    ref: str
    recipient: str
    channel: str
    address: str
    subject: str
    body: str
    status: str
    attempts: int
    next_attempt_at: float | None
    last_error: str | None
    created_at: float
    sent_at: float | None


class NotificationPage(PageBase):
    """A page of notifications."""

    items: list[NotificationRead]


class ChannelRead(BaseModel):
    """A contact channel (never its secret)."""

    id: int
    recipient: str
    channel: str
    address: str
    has_secret: bool
    active: bool
    created_at: int
    created_by: str


class ChannelPage(PageBase):
    """A page of contact channels."""

    items: list[ChannelRead]


class ChannelCreate(BaseModel):
    """A new channel: ``email`` with an address, ``webhook`` with a URL (and a secret, made when
    not given), or ``feed`` (the dashboard)."""

    recipient: str = Field(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f]*$")
    channel: ChannelName
    address: str | None = Field(default=None, max_length=500, pattern=r"^[^\x00-\x1f]*$")
    secret: str | None = Field(default=None, min_length=16, max_length=200)


class ChannelCreated(ChannelRead):
    """A new channel; ``secret`` is the webhook secret made for it, shown this once."""

    secret: str | None = None


def notification_read(v: NotificationView) -> NotificationRead:
    """The schema of a notification."""
    return NotificationRead(
        id=v.id, event=v.event, ref=v.ref, recipient=v.recipient, channel=v.channel,
        address=v.address, subject=v.subject, body=v.body, status=v.status, attempts=v.attempts,
        next_attempt_at=v.next_attempt_at if v.status == "pending" else None,
        last_error=v.last_error, created_at=v.created_at, sent_at=v.sent_at,
    )  # fmt: skip


def _channel(c: ChannelInfo) -> ChannelRead:
    return ChannelRead(
        id=c.id, recipient=c.recipient, channel=c.channel, address=c.address,
        has_secret=c.has_secret, active=c.active, created_at=c.created_at,
        created_by=c.created_by,
    )  # fmt: skip


@router.get(
    "/notifications",
    response_model=NotificationPage,
    dependencies=[needs(Permission.READ_NOTIFICATIONS)],
)
def list_notifications(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    status: Status | None = None,
    recipient: TextQuery = None,
    channel: Literal["email", "webhook", "feed", "none"] | None = None,
    mine: Annotated[bool, Query(description="Only one's own, even for a manager.")] = False,
) -> NotificationPage:
    """Notifications newest first with their delivery state: everyone's for command, one's own
    (one's user, role, and for medical staff the follow-up teams) for others."""
    items, total = notify.list_notifications(
        session, actor=actor, status=status, recipient=recipient, channel=channel, mine=mine,
        limit=page.limit, offset=page.offset,
    )  # fmt: skip
    return NotificationPage(
        items=[notification_read(v) for v in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/notifications/{notification_id}/retry",
    response_model=Message,
    dependencies=[needs(Permission.MANAGE_NOTIFICATIONS)],
)
def retry(
    notification_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    session: SessionDep,
    actor: ActorDep,
) -> Message:
    """Put a failed notification back in the queue; the worker sends it at once."""
    notify.retry(session, notification_id, actor=actor, now=notify.wall_clock())
    try:
        request.app.state.runtime.notify()
    except Exception as exc:  # the queue is away: the worker's minute sweep sends it
        log.warning("notification pass not queued (%s)", type(exc).__name__)
    return Message(detail=f"notification {notification_id} queued again")


@router.get(
    "/contact-channels",
    response_model=ChannelPage,
    dependencies=[needs(Permission.MANAGE_NOTIFICATIONS)],
)
def list_channels(
    session: SessionDep, actor: ActorDep, page: PageDep, recipient: TextQuery = None
) -> ChannelPage:
    """Contact channels by id (webhook secrets are never shown)."""
    items, total = notify.list_channels(
        session, actor=actor, recipient=recipient, limit=page.limit, offset=page.offset
    )
    return ChannelPage(
        items=[_channel(c) for c in items], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/contact-channels",
    response_model=ChannelCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.MANAGE_NOTIFICATIONS)],
)
def add_channel(
    body: ChannelCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> ChannelCreated:
    """Give a recipient (``person:ID``, ``user:NAME``, ``role:ROLE``, ``team:TEAM``) a channel;
    audited. A webhook's secret is made when not given and then returned this once."""
    info, made = notify.add_channel(
        session, actor=actor, recipient=body.recipient, channel=body.channel,
        address=body.address, secret=body.secret, now=cfg.now(),
    )  # fmt: skip
    return ChannelCreated(**_channel(info).model_dump(), secret=made)


@router.delete(
    "/contact-channels/{channel_id}",
    response_model=ChannelRead,
    dependencies=[needs(Permission.MANAGE_NOTIFICATIONS)],
)
def remove_channel(
    channel_id: Annotated[int, Path(ge=1, le=2**31)], session: SessionDep, actor: ActorDep
) -> ChannelRead:
    """Remove a channel (audited); messages still waiting for it fail with that reason."""
    return _channel(notify.remove_channel(session, channel_id, actor=actor))
