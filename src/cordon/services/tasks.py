"""Tasks for the teams (take a sample, visit, bring back a missing person, deliver meals):
created by the rules and by hand, listed, closed, and alerted on once when overdue.

A sample task says a person is a suspected case: only clinical roles see or make them, and a
list that shows any is audited with the persons it names.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.tasks import Task, TaskKind, TaskStatus, parse_assignee
from cordon.domain.vocab import require_text
from cordon.errors import InvalidValue, PermissionDenied
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory
from cordon.store import containment as records
from cordon.store import tasks as store
from cordon.store.models import RuleFiringRow

__all__ = ["CLINICAL_TASKS", "check_overdue", "close_task", "create_task", "list_tasks"]

CLINICAL_TASKS = frozenset({TaskKind.SAMPLE})
"""Task kinds that reveal clinical detail about their person."""


def _kinds_for(actor: Actor, kind: TaskKind | None) -> tuple[TaskKind, ...]:
    """The kinds the actor may see (all of them with clinical rights)."""
    if actor.can(Permission.READ_CLINICAL):
        return (kind,) if kind else ()
    if kind in CLINICAL_TASKS:
        require(actor, Permission.READ_CLINICAL)
    allowed = tuple(k for k in TaskKind if k not in CLINICAL_TASKS)
    return (kind,) if kind else allowed


def _mine(actor: Actor) -> tuple[str, ...]:
    return (f"user:{actor.name}", f"role:{actor.role.value}")


def create_task(
    session: Session,
    *,
    actor: Actor,
    kind: TaskKind,
    assignee: str,
    due_at: int,
    now: int,
    person: str | None = None,
    place: str | None = None,
    note: str = "",
) -> Task:
    """Create a task by hand, audited; its assignee is told through the outbox."""
    require(actor, Permission.WORK_TASKS)
    if kind in CLINICAL_TASKS:
        require(actor, Permission.READ_CLINICAL)
    who = parse_assignee(assignee)
    if kind is TaskKind.OTHER:
        note = require_text(note, "what an 'other' task is (its note)")
    with unit_of_work(session):
        person_pk = directory.get_person(session, person)[0] if person else None
        place_pk = directory.get_place(session, place)[0] if place else None
        return store.add_task(
            session,
            Task(
                id=None,
                kind=kind,
                person=person,
                place=place,
                assignee=who,
                due_at=due_at,
                status=TaskStatus.OPEN,
                note=note.strip(),
                created_at=now,
            ),
            person_pk=person_pk,
            place_pk=place_pk,
            actor=actor.name,
        )


def list_tasks(
    session: Session,
    *,
    actor: Actor,
    status: TaskStatus | None = TaskStatus.OPEN,
    kind: TaskKind | None = None,
    assignee: str | None = None,
    mine: bool = False,
    overdue_at: int | None = None,
    person: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Task], int]:
    """Tasks by due time, and how many match: open ones unless asked; ``mine`` those assigned
    to the actor or their role; ``overdue_at`` open ones due before that time. Without clinical
    rights no sample task shows."""
    require(actor, Permission.WORK_TASKS)
    assignees: tuple[str, ...] = ()
    if mine:
        assignees = _mine(actor)
    elif assignee:
        assignees = (parse_assignee(assignee),)
    if overdue_at is not None:
        status = TaskStatus.OPEN
    found, total = store.list_tasks(
        session,
        status=status,
        kinds=_kinds_for(actor, kind),
        assignees=assignees,
        person=person,
        due_before=overdue_at,
        limit=limit,
        offset=offset,
    )
    clinical = sorted({t.person for t in found if t.kind in CLINICAL_TASKS and t.person})
    if clinical:
        with unit_of_work(session):
            audit.record(
                session,
                actor=actor.name,
                action="read",
                entity="clinical_tasks",
                entity_id=None,
                after={"persons": clinical},
            )
    return found, total


def close_task(
    session: Session,
    task_id: int,
    *,
    actor: Actor,
    at: int,
    status: TaskStatus = TaskStatus.DONE,
    outcome: str = "",
) -> Task:
    """Mark an open task done or cancelled with its outcome (a cancellation needs a reason)."""
    require(actor, Permission.WORK_TASKS)
    if status is TaskStatus.OPEN:
        raise InvalidValue("a task is closed as done or cancelled")
    if status is TaskStatus.CANCELLED:
        outcome = require_text(outcome, "the reason for cancelling a task")
    with unit_of_work(session):
        task = store.get_task(session, task_id)
        if task.kind in CLINICAL_TASKS and not actor.can(Permission.READ_CLINICAL):
            raise PermissionDenied(f"{actor.name} ({actor.role.value}) may not read_clinical")
        if task.status is not TaskStatus.OPEN:
            raise InvalidValue(f"task {task_id} is already {task.status.value}")
        return store.close_task(
            session, task_id, status, at=at, actor=actor.name, outcome=outcome.strip()
        )


def check_overdue(session: Session, *, now: int, actor: str) -> list[Alert]:
    """One alert for each open task past its due time, raised once (no commit)."""
    raised: list[Alert] = []
    found, _ = store.list_tasks(session, status=TaskStatus.OPEN, due_before=now)
    keys = directory.person_keys(session)
    for task in found:
        key = f"task:{task.id}"
        if session.scalar(
            select(RuleFiringRow.pk).where(
                RuleFiringRow.rule == "task_overdue", RuleFiringRow.evidence == key
            )
        ):
            continue
        who = f" for {task.person}" if task.person else ""
        alert = Alert(
            AlertKind.TASK_OVERDUE,
            task.due_at,
            f"task {task.id} ({task.kind.value.replace('_', ' ')}{who}, {task.assignee}) "
            "is overdue",
            Severity.WARNING,
            task.person,
            task.place,
            (key,),
        )
        records.add_alert(
            session,
            alert,
            person_pk=keys.get(task.person) if task.person else None,
            place_pk=None,
            actor=actor,
        )
        records.add_firing(session, "task_overdue", key, at=now, outcome="alert")
        raised.append(alert)
    return raised
