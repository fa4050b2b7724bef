"""Tasks in the store: written with their audit row and outbox event, read back as domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.domain.tasks import Task, TaskKind, TaskStatus
from cordon.errors import NotFound
from cordon.store import audit, outbox
from cordon.store.models import PersonRow, PlaceRow, TaskRow

__all__ = ["add_task", "close_task", "get_task", "list_tasks", "task_record"]


def task_record(t: Task) -> dict[str, Any]:
    """A task as JSON-ready data."""
    return {
        "id": t.id,
        "kind": t.kind.value,
        "person": t.person,
        "place": t.place,
        "assignee": t.assignee,
        "due_at": t.due_at,
        "status": t.status.value,
        "note": t.note,
        "evidence": list(t.evidence),
        "created_at": t.created_at,
        "created_by": t.created_by,
        "closed_at": t.closed_at,
        "closed_by": t.closed_by,
        "outcome": t.outcome,
    }


def _task(row: TaskRow, person: str | None, place: str | None) -> Task:
    return Task(
        id=row.pk,
        kind=TaskKind(row.kind),
        person=person,
        place=place,
        assignee=row.assignee,
        due_at=row.due_at,
        status=TaskStatus(row.status),
        note=row.note,
        evidence=tuple(row.evidence or ()),
        created_at=row.created_at,
        created_by=row.created_by,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        outcome=row.outcome,
    )


def _query() -> Any:
    return (
        select(TaskRow, PersonRow.id, PlaceRow.id)
        .outerjoin(PersonRow, TaskRow.person_pk == PersonRow.pk)
        .outerjoin(PlaceRow, TaskRow.place_pk == PlaceRow.pk)
    )


def add_task(
    session: Session,
    task: Task,
    *,
    person_pk: int | None,
    place_pk: int | None,
    actor: str,
) -> Task:
    """Store a new task, audited, with its ``task_assigned`` outbox event."""
    row = TaskRow(
        kind=task.kind.value,
        person_pk=person_pk,
        place_pk=place_pk,
        assignee=task.assignee,
        due_at=task.due_at,
        status=TaskStatus.OPEN.value,
        note=task.note,
        evidence=list(task.evidence),
        created_at=task.created_at,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    stored = _task(row, task.person, task.place)
    record = task_record(stored)
    audit.record(
        session, actor=actor, action="create", entity="task", entity_id=row.pk, after=record
    )
    outbox.add_events(
        session, [outbox.Event("task_assigned", f"task:{row.pk}", person_pk, place_pk, record)]
    )
    return stored


def get_task(session: Session, task_id: int) -> Task:
    """The task with this id, or NotFound."""
    found = session.execute(_query().where(TaskRow.pk == task_id)).first()
    if found is None:
        raise NotFound(f"no task {task_id} (see `cordon task list`)")
    return _task(*found)


def list_tasks(
    session: Session,
    *,
    status: TaskStatus | None = None,
    kinds: tuple[TaskKind, ...] = (),
    assignees: tuple[str, ...] = (),
    person: str | None = None,
    due_before: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Task], int]:
    """Tasks by due time (then id), filtered, and how many match in all."""
    where: list[Any] = []
    if status is not None:
        where.append(TaskRow.status == status.value)
    if kinds:
        where.append(TaskRow.kind.in_([k.value for k in kinds]))
    if assignees:
        where.append(TaskRow.assignee.in_(list(assignees)))
    if person is not None:
        where.append(PersonRow.id == person)
    if due_before is not None:
        where.append(TaskRow.due_at < due_before)
    query = _query().where(*where).order_by(TaskRow.due_at, TaskRow.pk)
    rows = session.execute(query.offset(offset).limit(limit)).all()
    count = (
        select(func.count())
        .select_from(TaskRow)
        .outerjoin(PersonRow, TaskRow.person_pk == PersonRow.pk)
        .where(*where)
    )
    return [_task(*r) for r in rows], int(session.scalar(count) or 0)


def close_task(
    session: Session, task_id: int, status: TaskStatus, *, at: int, actor: str, outcome: str
) -> Task:
    """Mark an open task done or cancelled, with who, when and the outcome, audited."""
    before = get_task(session, task_id)
    row = session.get(TaskRow, task_id)
    assert row is not None
    row.status, row.closed_at, row.closed_by, row.outcome = status.value, at, actor, outcome
    session.flush()
    after = get_task(session, task_id)
    audit.record(
        session, actor=actor, action=status.value, entity="task", entity_id=task_id,
        before=task_record(before), after=task_record(after),
    )  # fmt: skip
    return after
