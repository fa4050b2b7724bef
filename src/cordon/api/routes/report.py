"""The situation report as HTML or PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, JobsDep, SessionDep, SettingsDep, needs
from cordon.api.routes.jobs import JobRead, job_read
from cordon.domain.roles import Permission, require
from cordon.runtime.tasks import ReportTask, Who
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


class ReportJobCreate(BaseModel):
    """A situation report to build as a job."""

    at: int | None = Field(default=None, ge=0, le=10**11, description="Default: now.")


@router.post(
    "/report",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[needs(Permission.READ_AGGREGATES)],
)
def report_job(body: ReportJobCreate, actor: ActorDep, cfg: SettingsDep, jobs: JobsDep) -> JobRead:
    """The report as a job for the worker (``GET /jobs/{id}``: ``result.html`` is the document,
    as the role may see it)."""
    require(actor, Permission.READ_AGGREGATES)
    at = body.at if body.at is not None else cfg.now()
    return job_read(jobs.submit(ReportTask(Who.of(actor), at, cfg.timezone), owner=actor.name))
