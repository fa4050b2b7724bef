"""The notifications page: the signed-in user's own feed, and the delivery state of the
messages they may see (everyone's for command)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cordon.api.deps import SessionDep, SettingsDep
from cordon.domain.roles import Permission
from cordon.services import notify
from cordon.web.pages import PAGE, _page_actor, form_choice, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
FEED = 30


@router.get("/notifications")
def notifications_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    status: Annotated[str, Query(max_length=20)] = "",
    recipient: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """One's feed, then the delivery state: sent, waiting to be retried, failed, unreachable."""
    actor, csrf = _page_actor(request, session)
    chosen = form_choice(notify.Status, status, "status")
    feed, feed_total = notify.list_notifications(
        session, actor=actor, channel="feed", mine=True, limit=FEED
    )
    items, total = notify.list_notifications(
        session, actor=actor, status=chosen.value if chosen else None,
        recipient=recipient or None, limit=PAGE, offset=offset,
    )  # fmt: skip
    return render(
        request, "notifications.html", cfg, actor, csrf, feed=feed, feed_total=feed_total,
        items=items, total=total, offset=offset, limit=PAGE, status=status,
        recipient=recipient, statuses=notify.STATUSES,
        everyone=actor.can(Permission.MANAGE_NOTIFICATIONS),
    )  # fmt: skip
