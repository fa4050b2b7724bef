"""Background jobs (a large import, a forecast): run in worker processes, polled by id.

The registry lives in the service; the work runs in spawned worker processes (``api.worker``)
so that pandas parsing and Numba kernels never hold the interpreter that answers the doors. A
store with no file behind it (in-memory SQLite) cannot be shared with a process: its jobs run on
threads instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from cordon.api import worker
from cordon.api.tasks import Task
from cordon.api.worker import Outcome, outcome
from cordon.services.progress import NO_PROGRESS
from cordon.store.db import Store

__all__ = ["Job", "JobProgress", "Jobs"]

MAX_KEPT = 500
"""Finished jobs kept for polling; the oldest are forgotten first."""

WORKERS = 2
"""Jobs that run at once (an import and a forecast side by side)."""
OWN_WORKERS = 1
"""Workers for the service's own work (the overview forecast), so it never queues behind jobs."""

Message = tuple[str, str, int | None, int]
"""A progress message from a worker: job id, phase, total, done."""


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
        self.job.status = "running"
        self.job.phase, self.job.total, self.job.done = name, total, 0

    def advance(self, amount: int) -> None:
        """More of the current phase is done."""
        self.job.done += amount


class Jobs:
    """The service's job registry (in memory: jobs do not outlive the service)."""

    def __init__(self, store: Store, workers: int = WORKERS) -> None:
        self._store = store
        self._workers = workers
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._processes: dict[bool, ProcessPoolExecutor] = {}
        self._threads: ThreadPoolExecutor | None = None
        self._queue: Queue[Message] | None = None
        self._relaying: threading.Thread | None = None
        self._closed = False

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

    def run(self, job: Job, task: Task) -> Job:
        """Run the task now, in the calling thread (small imports answered at once)."""
        job.status = "running"
        _settle(job, outcome(task, self._store, JobProgress(job)))
        return job

    def submit(self, job: Job, task: Task) -> Job:
        """Run the task in a worker process (on a thread for an in-memory store)."""
        self.background(task, job).add_done_callback(lambda done: self._finished(job, done))
        return job

    def background(self, task: Task, job: Job | None = None) -> Future[Outcome]:
        """Run a task in a worker process (on a thread for an in-memory store); without a job
        it is the service's own work, listed nowhere."""
        if self._store.sqlite_path is None and self._store.is_sqlite:
            sink = JobProgress(job) if job is not None else NO_PROGRESS
            return self._thread_pool().submit(outcome, task, self._store, sink)
        pool = self._process_pool(own=job is None)
        future = pool.submit(worker.execute, job.id if job else "", task)
        _lower(pool)
        future.add_done_callback(self._after)
        return future

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
        """Stop: queued jobs are cancelled, running ones stopped (their transactions roll back)."""
        self._closed = True
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            pools, self._processes = list(self._processes.values()), {}
        for pool in pools:
            _stop(pool)
        queue, self._queue = self._queue, None
        if queue is not None:  # stop the relay, then free the queue's semaphores
            queue.put(("", "", None, -1))
            if self._relaying is not None:
                self._relaying.join(timeout=2)
            queue.close()
            queue.join_thread()

    def _finished(self, job: Job, future: Future[Outcome]) -> None:
        error = future.exception() if not future.cancelled() else None
        if future.cancelled() or isinstance(error, BrokenProcessPool):
            reason = "the job's worker stopped before it finished; nothing of it was committed"
            _settle(job, Outcome("failed", error=reason))
        elif error is not None:
            _settle(job, Outcome("failed", error=f"internal error: {type(error).__name__}"))
        else:
            _settle(job, future.result())

    def _process_pool(self, *, own: bool) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the service is stopping")
            if own not in self._processes:
                context = multiprocessing.get_context("spawn")
                if self._queue is None:
                    self._queue = context.Queue()
                    self._relaying = threading.Thread(
                        target=self._relay, args=(self._queue,), name="cordon-job-progress"
                    )
                    self._relaying.daemon = True
                    self._relaying.start()
                self._processes[own] = ProcessPoolExecutor(
                    max_workers=OWN_WORKERS if own else self._workers,
                    mp_context=context,
                    initializer=worker.start,
                    initargs=(self._queue, self._store.url, worker.NICENESS),
                )
            return self._processes[own]

    def _thread_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self._workers, thread_name_prefix="cordon-job")
            return self._threads

    def _after(self, future: Future[Outcome]) -> None:
        """After a worker's task: forget pools whose worker died, so the next starts afresh."""
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            self._discard_broken()

    def _discard_broken(self) -> None:
        with self._lock:
            broken = [own for own, pool in self._processes.items() if getattr(pool, "_broken", 0)]
            pools = [self._processes.pop(own) for own in broken]
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)

    def _relay(self, queue: Queue[Message]) -> None:
        """Copy the workers' progress messages into their jobs."""
        while True:
            job_id, phase, total, done = queue.get()
            if done < 0:
                return
            job = self._jobs.get(job_id)
            if job is not None and job.finished_at is None:
                job.status, job.phase, job.total, job.done = "running", phase, total, done


def _settle(job: Job, result: Outcome) -> None:
    if result.last is not None:
        job.phase, job.total, job.done = result.last
    job.status, job.result, job.error = result.status, result.result, result.error
    job.problems = result.problems
    job.finished_at = time.time()


def _lower(pool: ProcessPoolExecutor) -> None:
    """Lower a pool's new worker processes at once, before they spend seconds importing (their
    own ``worker.start`` runs only after that)."""
    for process in list((pool._processes or {}).values()):
        if process.pid is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, process.pid, worker.NICENESS)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down without waiting for its running tasks: its processes are terminated."""
    processes = list(pool._processes.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
