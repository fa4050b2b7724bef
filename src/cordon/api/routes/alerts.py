"""Alerts: the feed, acknowledging one, and the live stream (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from cordon.api.deps import (
    ActorDep,
    PageDep,
    SessionDep,
    SettingsDep,
    StoreDep,
    authenticate,
    credential_expiry,
    needs,
)
from cordon.api.schemas import Moment, PageBase, TextQuery
from cordon.domain.alerts import AlertKind, Severity
from cordon.domain.roles import Actor, Permission
from cordon.errors import NotAuthenticated
from cordon.services import alerts
from cordon.services.alerts import AlertView
from cordon.store.db import Store

__all__ = ["AlertRead", "alert_read", "router"]

router = APIRouter(prefix="/alerts", tags=["alerts"])
KEEPALIVE_SECONDS = 15.0
RECHECK_SECONDS = 10.0
"""How often an open stream checks that its session or token is still valid (not revoked; it
ends at the credential's expiry on its own, within one poll)."""


class AlertRead(BaseModel):
    """An alert someone must act on."""

    id: int
    kind: str
    severity: str
    at: Moment
    message: str
    person: str | None
    place: str | None
    evidence: list[str]
    acknowledged_at: Moment | None
    acknowledged_by: str | None


class AlertPage(PageBase):
    """A page of alerts."""

    items: list[AlertRead]


class AcknowledgeMany(BaseModel):
    """Alerts to acknowledge at once (all or none)."""

    ids: list[Annotated[int, Field(ge=1, le=2**31)]] = Field(min_length=1, max_length=1000)


class Acknowledged(BaseModel):
    """The alerts acknowledged, as they now stand."""

    items: list[AlertRead]
    total: int


def alert_read(v: AlertView) -> AlertRead:
    """The schema of an alert."""
    a = v.alert
    return AlertRead(
        id=v.id,
        kind=a.kind.value,
        severity=a.severity.value,
        at=a.at,
        message=a.message,
        person=a.person,
        place=a.place,
        evidence=list(a.evidence),
        acknowledged_at=v.acknowledged_at,
        acknowledged_by=v.acknowledged_by,
    )


@router.get("", response_model=AlertPage, dependencies=[needs(Permission.READ_ALERTS)])
def list_alerts(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    kind: AlertKind | None = None,
    severity: Severity | None = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Only newer ids.")] = None,
    open_only: bool = False,
    person: TextQuery = None,
) -> AlertPage:
    """Alerts, the latest event first, filtered by kind, severity, id, person or whether still
    open."""
    items, total = alerts.list_alerts(
        session,
        actor=actor,
        kind=kind,
        severity=severity,
        after_id=after,
        open_only=open_only,
        person=person,
        limit=page.limit,
        offset=page.offset,
    )
    return AlertPage(
        items=[alert_read(v) for v in items], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/acknowledge",
    response_model=Acknowledged,
    dependencies=[needs(Permission.READ_ALERTS)],
)
def acknowledge_many(
    body: AcknowledgeMany, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> Acknowledged:
    """Mark several alerts as handled at once, all or none (an unknown id: 404, none marked)."""
    done = alerts.acknowledge_many(session, body.ids, actor=actor, at=cfg.now())
    return Acknowledged(items=[alert_read(v) for v in done], total=len(done))


@router.post(
    "/{alert_id}/acknowledge",
    response_model=AlertRead,
    dependencies=[needs(Permission.READ_ALERTS)],
)
def acknowledge(
    alert_id: Annotated[int, Path(ge=1, le=2**31)],
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
) -> AlertRead:
    """Mark an alert as handled by the signed-in user (the first acknowledgement stands); the
    alert as it now stands."""
    return alert_read(alerts.acknowledge(session, alert_id, actor=actor, at=cfg.now()))


def _still_allowed(store: Store, request: Request) -> bool:
    """Whether the credential that opened the stream still holds (not revoked, not expired)."""
    with store.session() as session:
        try:
            actor, _csrf = authenticate(request, session)
        except NotAuthenticated:
            return False
    return actor.can(Permission.READ_ALERTS)


def _newer(store: Store, actor: Actor, after: int | None) -> list[AlertView]:
    with store.session() as session:
        if after is None:
            latest, _ = alerts.list_alerts(session, actor=actor, limit=1, by_time=False)
            return latest
        items, _ = alerts.list_alerts(
            session, actor=actor, after_id=after, limit=100, newest_first=False, by_time=False
        )
        return items


async def _events(
    request: Request,
    store: Store,
    actor: Actor,
    after: int | None,
    poll: float,
    until: float,
    expires: int | None,
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    if after is None:
        latest = await run_in_threadpool(_newer, store, actor, None)
        after = latest[0].id if latest else 0
    quiet_since = checked = time.monotonic()
    while time.monotonic() < until and not await request.is_disconnected():
        if expires is not None and time.time() >= expires:
            yield "event: end\ndata: signed out\n\n"
            return
        if time.monotonic() - checked > RECHECK_SECONDS:
            if not await run_in_threadpool(_still_allowed, store, request):
                yield "event: end\ndata: signed out\n\n"
                return
            checked = time.monotonic()
        items = await run_in_threadpool(_newer, store, actor, after)
        for view in items:
            after = view.id
            data = alert_read(view).model_dump_json()
            yield f"id: {view.id}\nevent: alert\ndata: {data}\n\n"
        if items:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield f": keepalive {json.dumps(int(time.time()))}\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    dependencies=[needs(Permission.READ_ALERTS)],
    responses={200: {"content": {"text/event-stream": {}}, "description": "alert events"}},
)
def stream(
    request: Request,
    store: StoreDep,
    cfg: SettingsDep,
    actor: ActorDep,
    after: Annotated[
        int | None, Query(ge=0, le=2**62, description="Send alerts newer than this id.")
    ] = None,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**62)] = None,
    seconds: Annotated[
        float, Query(gt=0, le=86400, description="Close the stream after this long.")
    ] = 3600,
) -> StreamingResponse:
    """New alerts as they are raised, as Server-Sent Events (``event: alert``, JSON data, the
    alert id as event id so a reconnecting browser resumes where it was)."""
    start = after if after is not None else last_event_id
    until = time.monotonic() + seconds
    with store.session() as session:
        expires = credential_expiry(request, session)
    return StreamingResponse(
        _events(request, store, actor, start, cfg.alert_poll_seconds, until, expires),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
