"""Background jobs (a large import, a forecast): run on a small thread pool, polled by id."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cordon.errors import CordonError, ImportRefused

__all__ = ["Job", "JobProgress", "Jobs"]

MAX_KEPT = 500
"""Finished jobs kept for polling; the oldest are forgotten first."""


@dataclass
class Job:
    """One background job and how far it has come."""

    id: str
    kind: str
    owner: str
    status: str = "queued"
    phase: str = ""
    done: int = 0
    total: int | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None


class JobProgress:
    """A ``services.progress.Progress`` that writes into a job."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts."""
        self.job.phase, self.job.total, self.job.done = name, total, 0

    def advance(self, amount: int) -> None:
        """More of the current phase is done."""
        self.job.done += amount


class Jobs:
    """The service's job registry (in memory: jobs do not outlive the process)."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cordon-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def create(self, kind: str, owner: str) -> Job:
        """A new queued job."""
        job = Job(id=uuid.uuid4().hex, kind=kind, owner=owner)
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > MAX_KEPT:
                done = [j for j in self._jobs.values() if j.finished_at is not None]
                for old in sorted(done, key=lambda j: j.created_at)[: len(self._jobs) - MAX_KEPT]:
                    del self._jobs[old.id]
        return job

    def run(self, job: Job, work: Callable[[JobProgress], dict[str, Any]]) -> Job:
        """Run the job's work now, in this thread, recording its outcome."""
        job.status = "running"
        try:
            job.result = work(JobProgress(job))
            job.status = "done"
        except ImportRefused as exc:
            job.status, job.error = "failed", str(exc)
            job.problems = [str(e) for e in exc.errors[:200]]
        except CordonError as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # a job must never die silently
            job.status, job.error = "failed", f"internal error: {type(exc).__name__}"
        job.finished_at = time.time()
        return job

    def submit(self, job: Job, work: Callable[[JobProgress], dict[str, Any]]) -> Job:
        """Run the job's work on the pool."""
        self._pool.submit(self.run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if it is still kept."""
        return self._jobs.get(job_id)

    def of(self, owner: str | None) -> list[Job]:
        """Jobs of one owner (or all), newest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        return sorted(
            (j for j in jobs if owner is None or j.owner == owner),
            key=lambda j: j.created_at,
            reverse=True,
        )

    def shutdown(self) -> None:
        """Stop taking jobs; running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
