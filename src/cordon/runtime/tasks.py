"""What a job does: tasks made of plain JSON values, so that a task can wait in the queue, be
kept with its job in the store, and run again after the worker under it died."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

from cordon.domain.roles import Actor, Permission, UserRole
from cordon.formats.schemas import Kind
from cordon.services.progress import Progress
from cordon.store.db import Store

__all__ = [
    "TASKS",
    "ForecastTask",
    "HousingPlanTask",
    "ImportTask",
    "OverviewForecastTask",
    "ReportTask",
    "RosterPlanTask",
    "Task",
    "from_payload",
]


@dataclass(frozen=True, slots=True)
class Who:
    """The actor a task acts for, as plain values."""

    name: str
    role: str
    scopes: list[str] | None = None

    @classmethod
    def of(cls, actor: Actor) -> Who:
        """The plain form of ``actor``."""
        scopes = sorted(str(p) for p in actor.scopes) if actor.scopes is not None else None
        return cls(actor.name, actor.role.value, scopes)

    def actor(self) -> Actor:
        """The actor again."""
        scopes = frozenset(Permission(s) for s in self.scopes) if self.scopes is not None else None
        return Actor(self.name, UserRole(self.role), scopes)


class Task(Protocol):
    """One job's work on a store."""

    name: ClassVar[str]
    retry_safe: ClassVar[bool]
    """Whether running it again after a worker died under it is safe (all-or-nothing work)."""

    @property
    def label(self) -> str:
        """What the job is, for its owner."""
        ...

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Do the work and return the job's result as JSON-ready data."""
        ...


class _Named:
    """A task whose job is labelled by its name."""

    __slots__ = ()
    name: ClassVar[str]

    @property
    def label(self) -> str:
        """What the job is."""
        return self.name


@dataclass(frozen=True, slots=True)
class ImportTask(_Named):
    """Import an uploaded file (all rows or none), then delete its folder."""

    name: ClassVar[str] = "import"
    retry_safe: ClassVar[bool] = True

    path: str
    filename: str
    kind: str
    who: Who
    zone: str
    fmt: str | None = None

    @property
    def label(self) -> str:
        """What the job is."""
        return f"import {self.kind}"

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Load the file in one transaction; the upload is removed once the import is over."""
        from dataclasses import asdict as plain

        from cordon.services.imports import import_file

        path = Path(self.path)
        with store.session() as session:
            report = import_file(
                session,
                path,
                kind=Kind(self.kind),
                actor=self.who.actor(),
                zone=ZoneInfo(self.zone),
                fmt=self.fmt,
                progress=progress,
            )
        return {**plain(report), "path": self.filename}

    def discard(self) -> None:
        """Remove the uploaded file's folder (the job has ended for good)."""
        shutil.rmtree(Path(self.path).parent, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class ForecastTask(_Named):
    """An ensemble forecast of the standard scenarios."""

    name: ClassVar[str] = "forecast"
    retry_safe: ClassVar[bool] = True

    who: Who
    days: int
    runs: int
    seed: int
    capacity: int | None
    now: int
    zone: str

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Run the ensembles and return the report as JSON-ready data."""
        from cordon.services import analytics

        with store.session() as session:
            report = analytics.forecast(
                session,
                actor=self.who.actor(),
                days=self.days,
                runs=self.runs,
                seed=self.seed,
                capacity=self.capacity,
                now=self.now,
                zone=ZoneInfo(self.zone),
                progress=progress,
            )
        return report.to_dict()


@dataclass(frozen=True, slots=True)
class OverviewForecastTask(_Named):
    """The dashboard's small forecast, turned into the overview's figures and chart."""

    name: ClassVar[str] = "overview forecast"
    retry_safe: ClassVar[bool] = True

    who: Who
    now: int
    extra: dict[str, Any] = field(default_factory=dict)

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Run the small forecast; the result is the overview's analysis as plain data."""
        from cordon.web import analyses

        with store.session() as session:
            return analyses.overview_forecast(session, self.who.actor(), self.now, progress)


@dataclass(frozen=True, slots=True)
class HousingPlanTask(_Named):
    """The bed plan (CP-SAT, up to its time limit)."""

    name: ClassVar[str] = "housing plan"
    retry_safe: ClassVar[bool] = True

    who: Who
    at: int
    convert: bool = True
    include_missing: bool = True
    bring_back: bool = False
    extra: tuple[str, ...] = ()
    mix: tuple[str, ...] = ()
    forecast_auto: bool = False
    zone: str = "UTC"
    time_limit_s: float = 10.0

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Plan the beds; the plan as JSON-ready data."""
        from cordon.services.plans import parse_extra, parse_mix, plan_housing

        progress.phase("planning beds")
        with store.session() as session:
            return plan_housing(
                session, actor=self.who.actor(), at=self.at, convert=self.convert,
                include_missing=self.include_missing, bring_back=self.bring_back,
                extra=parse_extra(self.extra), mix=parse_mix(self.mix),
                forecast="auto" if self.forecast_auto else None, zone=ZoneInfo(self.zone),
                time_limit_s=self.time_limit_s,
            ).to_dict()  # fmt: skip


@dataclass(frozen=True, slots=True)
class RosterPlanTask(_Named):
    """The guards' roster (CP-SAT, up to its time limit)."""

    name: ClassVar[str] = "roster plan"
    retry_safe: ClassVar[bool] = True

    who: Who
    start: int
    days: int = 7
    shift_hours: int = 8
    min_rest_hours: float = 11
    max_hours_week: float = 48
    exclude: tuple[str, ...] = ()
    include_supervisors: bool = False
    time_limit_s: float = 10.0

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Plan the guards; the roster as JSON-ready data."""
        from cordon.services.roster import plan_roster

        progress.phase("planning the roster")
        with store.session() as session:
            return plan_roster(
                session, actor=self.who.actor(), start=self.start, days=self.days,
                shift_hours=self.shift_hours, min_rest_hours=self.min_rest_hours,
                max_hours_week=self.max_hours_week, exclude=self.exclude,
                include_supervisors=self.include_supervisors, time_limit_s=self.time_limit_s,
            ).to_dict()  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportTask(_Named):
    """The situation report at a station time, as one HTML document (the API's
    ``/report?format=pdf`` renders the same document as PDF)."""

    name: ClassVar[str] = "report"
    retry_safe: ClassVar[bool] = True

    who: Who
    at: int
    zone: str

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Build the report; ``html`` is the document."""
        from cordon.config import Settings
        from cordon.web.report import build_report, render_html

        progress.phase("building the report")
        settings = Settings(database_url=store.url, timezone=self.zone, clock=str(self.at))
        with store.session() as session:
            built = build_report(session, actor=self.who.actor(), settings=settings)
        return {"html": render_html(built, settings), "generated": built.generated}


TASKS: dict[str, type[Any]] = {
    t.name: t
    for t in (
        ImportTask, ForecastTask, OverviewForecastTask, HousingPlanTask, RosterPlanTask,
        ReportTask,
    )
}  # fmt: skip


def payload(task: Task) -> dict[str, Any]:
    """The task as plain values, with its name."""
    return {"task": task.name, **asdict(task)}  # type: ignore[call-overload]


def from_payload(data: dict[str, Any]) -> Task:
    """The task again from ``payload``'s output."""
    fields = dict(data)
    cls = TASKS[fields.pop("task")]
    fields["who"] = Who(**fields["who"])
    task: Task = cls(**fields)
    return task
