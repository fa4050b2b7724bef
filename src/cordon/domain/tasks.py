"""Tasks for the teams: take a sample, visit, bring back a missing person, deliver meals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cordon.domain.roles import UserRole
from cordon.errors import InvalidValue

__all__ = ["Task", "TaskKind", "TaskStatus", "parse_assignee"]


class TaskKind(StrEnum):
    """What is to be done."""

    SAMPLE = "sample"
    VISIT = "visit"
    BRING_BACK = "bring_back"
    MEALS = "meals"
    OTHER = "other"


class TaskStatus(StrEnum):
    """Where a task is; open tasks past their due time are overdue."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Task:
    """One task with its person and place (either may be absent), assignee and due time."""

    id: int | None
    kind: TaskKind
    person: str | None
    place: str | None
    assignee: str
    due_at: int
    status: TaskStatus
    note: str = ""
    evidence: tuple[str, ...] = ()
    created_at: int = 0
    created_by: str = ""
    closed_at: int | None = None
    closed_by: str | None = None
    outcome: str | None = None

    def overdue(self, now: int) -> bool:
        """Whether the task is still open after its due time."""
        return self.status is TaskStatus.OPEN and now > self.due_at


def parse_assignee(text: str) -> str:
    """``user:NAME``, ``role:ROLE`` or ``team:TEAM`` checked and trimmed; a bare role name means
    that role, anything else bare means that user."""
    raw = text.strip()
    if not raw:
        raise InvalidValue("assignee is empty (write user:NAME, role:ROLE or team:TEAM)")
    kind, sep, name = raw.partition(":")
    if not sep:
        roles = {r.value for r in UserRole}
        return f"role:{raw}" if raw in roles else f"user:{raw}"
    kind, name = kind.strip().lower(), name.strip()
    if kind not in ("user", "role", "team") or not name:
        raise InvalidValue(f"assignee {text!r} is not user:NAME, role:ROLE or team:TEAM")
    if kind == "role" and name not in {r.value for r in UserRole}:
        raise InvalidValue(
            f"assignee role {name!r} is not a role ({', '.join(r.value for r in UserRole)})"
        )
    return f"{kind}:{name}"
