"""Background jobs: poll one by id, or list one's own."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from cordon.api.deps import ActorDep, JobsDep, PageDep, needs
from cordon.api.schemas import PageBase
from cordon.domain.roles import Actor, Permission
from cordon.errors import NotFound
from cordon.runtime.jobs import JobView

__all__ = ["JobRead", "job_read", "router"]

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobRead(BaseModel):
    """A background job: ``status`` is queued, running, done or failed."""

    id: str
    kind: str
    owner: str
    status: str
    phase: str
    done: int
    total: int | None
    result: dict[str, Any] | None
    error: str | None
    problems: list[str]
    attempts: int
    created_at: float
    started_at: float | None
    finished_at: float | None


class JobPage(PageBase):
    """A page of jobs."""

    items: list[JobRead]


UPLOAD_FOLDER = re.compile(r"\S*cordon-upload-[^/\s]+/")
"""The server's temporary folder of an upload, as it appears in an import's messages."""


def job_read(job: JobView) -> JobRead:
    """The schema of a job; messages name an upload by its file, not by the server's path."""
    read = JobRead.model_validate(job, from_attributes=True)
    return read.model_copy(
        update={
            "error": UPLOAD_FOLDER.sub("", read.error) if read.error else read.error,
            "problems": [UPLOAD_FOLDER.sub("", p) for p in read.problems],
        }
    )


def _mine(actor: Actor) -> str | None:
    return None if actor.can(Permission.MANAGE_USERS) else actor.name


@router.get("", response_model=JobPage, dependencies=[needs()])
def list_jobs(actor: ActorDep, jobs: JobsDep, page: PageDep) -> JobPage:
    """The signed-in user's jobs (everyone's for a user manager), newest first."""
    found, total = jobs.of(_mine(actor), limit=page.limit, offset=page.offset)
    return JobPage(
        items=[job_read(j) for j in found],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{job_id}", response_model=JobRead, dependencies=[needs()])
def get_job(
    job_id: Annotated[str, Path(min_length=1, max_length=64)], actor: ActorDep, jobs: JobsDep
) -> JobRead:
    """One job and its progress (only its owner, or a user manager, may see it)."""
    job = jobs.get(job_id)
    owner = _mine(actor)
    if job is None or (owner is not None and job.owner != owner):
        raise NotFound(f"no job {job_id}")
    return job_read(job)
