"""The situation report as HTML or PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from cordon.api.deps import ActorDep, SessionDep, SettingsDep, needs
from cordon.domain.roles import Permission
from cordon.web.report import build_report, render_html, render_pdf

__all__ = ["router"]

router = APIRouter(tags=["report"])


@router.get(
    "/report",
    response_class=Response,
    dependencies=[needs(Permission.READ_AGGREGATES)],
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
async def report(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",
) -> Response:
    """The dated situation report (figures, curve, lists as far as the role may see them)."""
    built = await run_in_threadpool(build_report, session, actor=actor, settings=cfg)
    html = render_html(built, cfg)
    stamp = built.generated[:16].replace(":", "").replace(" ", "-").replace("T", "-")
    if format == "pdf":
        pdf = await run_in_threadpool(render_pdf, html)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="cordon-report-{stamp}.pdf"'},
        )
    return HTMLResponse(
        html,
        headers={
            "Content-Disposition": f'inline; filename="cordon-report-{stamp}.html"',
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; frame-ancestors 'none'",
        },
    )
