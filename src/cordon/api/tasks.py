"""What a background job does: picklable tasks, so a job can run in a worker process."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from cordon.domain.roles import Actor
from cordon.formats.schemas import Kind
from cordon.services import analytics
from cordon.services.imports import import_file
from cordon.services.progress import Progress
from cordon.store.db import Store

__all__ = ["ForecastTask", "ImportTask", "OverviewForecastTask", "Task"]


class Task(Protocol):
    """One job's work on a store; plain data, so it can cross to a worker process."""

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Do the work and return the job's result."""
        ...


@dataclass(frozen=True, slots=True)
class ImportTask:
    """Import an uploaded file (all rows or none), then delete its folder."""

    path: Path
    name: str
    kind: Kind
    actor: Actor
    zone: ZoneInfo
    fmt: str | None = None

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Load the file in one transaction; the upload is removed whatever happens."""
        try:
            with store.session() as session:
                report = import_file(
                    session,
                    self.path,
                    kind=self.kind,
                    actor=self.actor,
                    zone=self.zone,
                    fmt=self.fmt,
                    progress=progress,
                )
        finally:
            shutil.rmtree(self.path.parent, ignore_errors=True)
        return {**asdict(report), "path": self.name}


@dataclass(frozen=True, slots=True)
class ForecastTask:
    """An ensemble forecast of the standard scenarios."""

    actor: Actor
    days: int
    runs: int
    seed: int
    capacity: int | None
    now: int
    zone: ZoneInfo

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Run the ensembles and return the report as JSON-ready data."""
        return self.forecast(store, progress).to_dict()

    def forecast(self, store: Store, progress: Progress) -> analytics.ForecastReport:
        """Run the ensembles."""
        with store.session() as session:
            return analytics.forecast(
                session,
                actor=self.actor,
                days=self.days,
                runs=self.runs,
                seed=self.seed,
                capacity=self.capacity,
                now=self.now,
                zone=self.zone,
                progress=progress,
            )


@dataclass(frozen=True, slots=True)
class OverviewForecastTask(ForecastTask):
    """The dashboard's small forecast, for the service itself: the report object, not JSON."""

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        """Run the ensembles; the result holds the ``ForecastReport`` under "report"."""
        return {"report": self.forecast(store, progress)}
