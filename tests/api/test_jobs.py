"""The job registry runs tasks in worker processes, reports their progress, and outlives a
worker that dies (the job fails with a reason, the next one runs)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cordon.api.jobs import Job, Jobs
from cordon.services.progress import Progress
from cordon.store.db import Store


@dataclass(frozen=True)
class Echo:
    """Says which process ran it, after two units of progress."""

    value: int

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        progress.phase("echo", 2)
        progress.advance(2)
        return {"pid": os.getpid(), "value": self.value, "nice": os.getpriority(os.PRIO_PROCESS, 0)}


@dataclass(frozen=True)
class Crash:
    """Kills the process that runs it, as an out-of-memory kill would."""

    def run(self, store: Store, progress: Progress) -> dict[str, Any]:
        os._exit(3)


def _finished(job: Job, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while job.finished_at is None:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_jobs_run_in_low_priority_workers_and_outlive_a_dead_one(tmp_path: Path) -> None:
    jobs = Jobs(Store(f"sqlite:///{tmp_path / 'jobs.db'}"))
    try:
        done = _finished(jobs.submit(jobs.create("echo", "tester"), Echo(7)))
        assert done.status == "done", done
        assert done.result is not None and done.result["value"] == 7
        assert done.result["pid"] != os.getpid()  # another process
        assert done.result["nice"] > os.getpriority(os.PRIO_PROCESS, 0)  # below the service
        assert (done.phase, done.total, done.done) == ("echo", 2, 2)
        crashed = _finished(jobs.submit(jobs.create("crash", "tester"), Crash()))
        assert crashed.status == "failed"
        assert crashed.error is not None and "worker stopped" in crashed.error
        again = _finished(jobs.submit(jobs.create("echo", "tester"), Echo(8)))
        assert again.status == "done" and again.result is not None and again.result["value"] == 8
        assert [j.kind for j in jobs.of("tester")] == ["echo", "crash", "echo"]
    finally:
        jobs.shutdown()


def test_an_in_memory_store_runs_jobs_on_threads() -> None:
    jobs = Jobs(Store("sqlite://"))
    try:
        done = _finished(jobs.submit(jobs.create("echo", "tester"), Echo(1)))
        assert done.status == "done" and done.result is not None
        assert done.result["pid"] == os.getpid()
    finally:
        jobs.shutdown()
