"""Tasks: the teams' work list (samples, visits, bring-backs, meals), made and closed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, SettingsDep, needs
from cordon.api.schemas import PageBase
from cordon.domain.roles import Permission
from cordon.domain.tasks import Task, TaskKind, TaskStatus
from cordon.services import tasks
from cordon.store.tasks import task_record

__all__ = ["router"]

router = APIRouter(prefix="/tasks", tags=["tasks"])
TaskId = Annotated[int, Path(ge=1, le=2**31)]


class TaskRead(BaseModel):
    """One task."""

    id: int
    kind: TaskKind
    person: str | None
    place: str | None
    assignee: str
    due_at: int
    status: TaskStatus
    overdue: bool
    note: str
    evidence: list[str]
    created_at: int
    created_by: str
    closed_at: int | None
    closed_by: str | None
    outcome: str | None


class TaskPage(PageBase):
    """A page of tasks, by due time."""

    items: list[TaskRead]


class TaskCreate(BaseModel):
    """A task made by hand."""

    kind: TaskKind
    assignee: str = Field(min_length=1, max_length=200, description="user:NAME, role:R, team:T")
    due_at: int = Field(ge=0, le=10**11, description="Epoch seconds.")
    person: str | None = Field(default=None, max_length=64)
    place: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)


class TaskClose(BaseModel):
    """What came of a task (a cancellation says why)."""

    outcome: str = Field(default="", max_length=2000)


def _read(t: Task, now: int) -> TaskRead:
    return TaskRead(**task_record(t), overdue=t.overdue(now))


@router.get("", response_model=TaskPage, dependencies=[needs(Permission.WORK_TASKS)])
def list_tasks(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|done|cancelled|all)$")] = "open",
    kind: TaskKind | None = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    mine: bool = False,
    overdue: bool = False,
) -> TaskPage:
    """Tasks by due time: open ones unless asked; ``mine`` those for the caller or their role."""
    now = cfg.now()
    found, total = tasks.list_tasks(
        session,
        actor=actor,
        status=None if status in (None, "all") else TaskStatus(status),
        kind=kind,
        assignee=assignee,
        mine=mine,
        overdue_at=now if overdue else None,
        limit=page.limit,
        offset=page.offset,
    )
    return TaskPage(
        items=[_read(t, now) for t in found], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "", response_model=TaskRead, status_code=201, dependencies=[needs(Permission.WORK_TASKS)]
)
def create_task(
    body: TaskCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> TaskRead:
    """Create a task; its assignee is told."""
    now = cfg.now()
    made = tasks.create_task(
        session,
        actor=actor,
        kind=body.kind,
        assignee=body.assignee,
        due_at=body.due_at,
        now=now,
        person=body.person,
        place=body.place,
        note=body.note,
    )
    return _read(made, now)


@router.post(
    "/{task_id}/done", response_model=TaskRead, dependencies=[needs(Permission.WORK_TASKS)]
)
def done(
    task_id: TaskId, body: TaskClose, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> TaskRead:
    """Mark a task done."""
    now = cfg.now()
    closed = tasks.close_task(
        session, task_id, actor=actor, at=now, status=TaskStatus.DONE, outcome=body.outcome
    )
    return _read(closed, now)


@router.post(
    "/{task_id}/cancel", response_model=TaskRead, dependencies=[needs(Permission.WORK_TASKS)]
)
def cancel(
    task_id: TaskId, body: TaskClose, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> TaskRead:
    """Cancel a task, saying why."""
    now = cfg.now()
    closed = tasks.close_task(
        session, task_id, actor=actor, at=now, status=TaskStatus.CANCELLED, outcome=body.outcome
    )
    return _read(closed, now)
