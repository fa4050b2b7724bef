"""Jobs: a row in the store for each (who asked, what, how it ended), the task in the queue, and
its progress beside the queue while it runs, so every web worker sees every job and a job
outlives a restart of any process.

A running job's worker writes its progress with a heartbeat; ``recover`` (every minute in the
worker) runs again, up to ``MAX_ATTEMPTS``, the jobs whose heartbeat stopped (their worker
died: nothing of them was committed, and their tasks are all-or-nothing), or fails them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from huey import Huey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cordon.errors import CordonError, ImportRefused, StoreUnavailable
from cordon.runtime.tasks import ImportTask, Task, from_payload, payload
from cordon.services.progress import Progress
from cordon.services.transaction import unit_of_work
from cordon.store.db import Store
from cordon.store.models import JobRow

__all__ = ["HEARTBEAT", "MAX_ATTEMPTS", "STALE", "JobView", "Jobs"]

HEARTBEAT = 5.0
"""Seconds between a running job's heartbeats."""
STALE = 3 * HEARTBEAT
"""A running job with no heartbeat for this long has lost its worker."""
MAX_ATTEMPTS = 3
PROGRESS_EVERY = 0.5
"""Seconds between progress writes of a running job."""
LOST = "the job's worker stopped before it finished; nothing of it was committed"
UNQUEUED = "the job queue is unavailable; try again shortly"


@dataclass
class JobView:
    """A job as its owner sees it: status queued, running, done or failed."""

    id: str
    kind: str
    owner: str
    status: str
    phase: str = ""
    done: int = 0
    total: int | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    attempts: int = 0
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None


def _view(row: JobRow) -> JobView:
    return JobView(
        row.id, row.kind, row.owner, row.status, row.phase, row.done, row.total, row.result,
        row.error, list(row.problems or []), row.attempts, row.created_at, row.started_at,
        row.finished_at,
    )  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON-ready data (tuples become lists, anything else odd becomes text)."""
    return json.loads(json.dumps(value, default=str, allow_nan=False))


class _Progress:
    """A job's progress sink in the worker: writes beside the queue, at most every
    ``PROGRESS_EVERY`` seconds, and on every heartbeat."""

    def __init__(self, huey: Huey, job_id: str) -> None:
        self._huey, self._key = huey, f"job:{job_id}"
        self.phase_name, self.done = "", 0
        self.total: int | None = None
        self._sent = 0.0
        self._lock = threading.Lock()

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts: written at once."""
        self.phase_name, self.total, self.done = name, total, 0
        self.beat()

    def advance(self, amount: int) -> None:
        """More is done."""
        self.done += amount
        if time.monotonic() - self._sent >= PROGRESS_EVERY:
            self.beat()

    def beat(self) -> None:
        """Write the progress with the time: the job's worker is alive."""
        with self._lock:
            self._sent = time.monotonic()
            self._huey.put(self._key, (self.phase_name, self.total, self.done, time.time()))


class Jobs:
    """The jobs of one store and its queue (``runtime.queue``)."""

    def __init__(self, store: Store, huey: Huey, run_job: Any) -> None:
        self.store = store
        self.huey = huey
        self._run_job = run_job
        """The queue's task that runs one job by id (``worker.tasks``)."""

    def submit(self, task: Task, *, owner: str, key: str | None = None) -> JobView:
        """Keep a new job and queue its task; returns it as queued (or, with an immediate
        queue, as it ended)."""
        job_id = uuid.uuid4().hex
        with self.store.session() as session, unit_of_work(session):
            session.add(JobRow(
                id=job_id, kind=task.label, owner=owner, status="queued", task=payload(task),
                key=key, phase="", done=0, problems=[], attempts=0, created_at=time.time(),
            ))  # fmt: skip
        try:
            self._run_job(job_id)
        except Exception as exc:  # the queue is away: the job is not left queued for ever
            self._settle(job_id, {"status": "failed", "error": UNQUEUED})
            raise StoreUnavailable(UNQUEUED) from exc
        found = self.get(job_id)
        assert found is not None
        return found

    def run_here(self, task: Task, *, owner: str) -> JobView:
        """Run a task now in the calling thread (a small upload, answered with its outcome).
        A job that is done is kept like any other; a refused one is only answered: a refused
        request leaves the store as it was."""
        started = time.time()
        progress = _Here()
        try:
            outcome = _outcome(task, self.store, progress)
        finally:
            if isinstance(task, ImportTask):
                task.discard()
        job = JobView(
            id=uuid.uuid4().hex, kind=task.label, owner=owner, status=outcome["status"],
            phase=progress.phase_name, done=progress.done, total=progress.total,
            result=outcome.get("result"), error=outcome.get("error"),
            problems=outcome.get("problems", []), attempts=1, created_at=started,
            started_at=started, finished_at=time.time(),
        )  # fmt: skip
        if job.status == "done":
            with self.store.session() as session, unit_of_work(session):
                session.add(JobRow(
                    id=job.id, kind=job.kind, owner=owner, status=job.status,
                    task=payload(task), phase=job.phase, done=job.done, total=job.total,
                    result=job.result, problems=[], attempts=1, created_at=started,
                    started_at=started, finished_at=job.finished_at,
                ))  # fmt: skip
        return job

    def execute(self, job_id: str) -> None:
        """Run a queued job (in the worker): mark it running, beat while it runs, keep how it
        ended. A job already finished, or running elsewhere, is left alone."""
        started = time.time()
        with self.store.session() as session, unit_of_work(session):
            claimed = session.execute(  # type: ignore[attr-defined]
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == "queued")
                .values(status="running", started_at=started, attempts=JobRow.attempts + 1)
            ).rowcount
            row = session.get(JobRow, job_id)
        if not claimed or row is None:
            return
        task = from_payload(row.task)
        progress = _Progress(self.huey, job_id)
        progress.beat()
        stop = threading.Event()
        beating = threading.Thread(target=_beat, args=(progress, stop), daemon=True)
        beating.start()
        try:
            outcome = _outcome(task, self.store, progress)
        finally:
            stop.set()
            beating.join()
        self._settle(job_id, outcome, progress)
        if isinstance(task, ImportTask):
            task.discard()

    def _settle(
        self, job_id: str, outcome: dict[str, Any], progress: _Progress | None = None
    ) -> None:
        reached = {} if progress is None else {
            "phase": progress.phase_name, "total": progress.total, "done": progress.done,
        }  # fmt: skip
        with self.store.session() as session, unit_of_work(session):
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(finished_at=time.time(), **reached, **outcome)
            )
        self.huey.get(f"job:{job_id}")  # the progress is in the row now

    def get(self, job_id: str, session: Session | None = None) -> JobView | None:
        """The job with this id, with its latest progress."""
        if session is None:
            with self.store.session() as own:
                return self.get(job_id, own)
        row = session.get(JobRow, job_id)
        return None if row is None else self._live(_view(row))

    def of(self, owner: str | None, *, limit: int, offset: int) -> tuple[list[JobView], int]:
        """A page of the jobs of one owner (or everyone's), newest first, and their count."""
        with self.store.session() as session:
            query = select(JobRow)
            count = select(func.count()).select_from(JobRow)
            if owner is not None:
                query, count = (
                    query.where(JobRow.owner == owner),
                    count.where(JobRow.owner == owner),
                )
            rows = session.scalars(
                query.order_by(JobRow.created_at.desc()).limit(limit).offset(offset)
            ).all()
            return [self._live(_view(r)) for r in rows], int(session.scalar(count) or 0)

    def latest(self, key: str) -> tuple[JobView | None, JobView | None]:
        """For a service job: the newest job with this key, and the newest finished one with
        any key of the same kind (what to show while the new one runs)."""
        with self.store.session() as session:
            mine = session.scalars(
                select(JobRow).where(JobRow.key == key).order_by(JobRow.created_at.desc()).limit(1)
            ).first()
            found = None if mine is None else self._live(_view(mine))
        return found, None if found is None else self.latest_done(found.kind)

    def latest_done(self, kind: str) -> JobView | None:
        """The newest finished service job of ``kind``."""
        with self.store.session() as session:
            row = session.scalars(
                select(JobRow)
                .where(JobRow.kind == kind, JobRow.status == "done", JobRow.key.is_not(None))
                .order_by(JobRow.finished_at.desc())
                .limit(1)
            ).first()
            return None if row is None else _view(row)

    def recover(self, *, now: float | None = None) -> list[str]:
        """Queue again (or fail, after ``MAX_ATTEMPTS``) the running jobs whose worker died;
        returns their ids."""
        now = time.time() if now is None else now
        found = []
        with self.store.session() as session:
            running = session.scalars(select(JobRow).where(JobRow.status == "running")).all()
            for row in running:
                beat = self.huey.get(f"job:{row.id}", peek=True)
                last = beat[3] if beat else (row.started_at or row.created_at)
                if now - last < STALE:
                    continue
                task = from_payload(row.task)
                again = task.retry_safe and row.attempts < MAX_ATTEMPTS
                with unit_of_work(session):
                    session.execute(
                        update(JobRow)
                        .where(JobRow.id == row.id, JobRow.status == "running")
                        .values(
                            status="queued" if again else "failed",
                            error=None if again else LOST,
                            finished_at=None if again else now,
                        )
                    )
                if again:
                    self._run_job(row.id)
                elif isinstance(task, ImportTask):
                    task.discard()
                found.append(row.id)
        return found

    def _live(self, job: JobView) -> JobView:
        if job.status == "running":
            beat = self.huey.get(f"job:{job.id}", peek=True)
            if beat:
                job.phase, job.total, job.done = beat[0], beat[1], beat[2]
        return job


class _Here:
    """The progress of a job run in the caller: kept in memory for its answer."""

    def __init__(self) -> None:
        self.phase_name, self.done = "", 0
        self.total: int | None = None

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts."""
        self.phase_name, self.total, self.done = name, total, 0

    def advance(self, amount: int) -> None:
        """More is done."""
        self.done += amount


def _beat(progress: _Progress, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT):
        progress.beat()


def _outcome(task: Task, store: Store, progress: Progress) -> dict[str, Any]:
    """Run ``task`` and say how it ended, as column values; a task never raises past here."""
    try:
        return {"status": "done", "result": _plain(task.run(store, progress)), "error": None}
    except ImportRefused as exc:
        problems = [str(e) for e in exc.errors[:200]]
        return {"status": "failed", "error": str(exc), "problems": problems}
    except CordonError as exc:
        return {"status": "failed", "error": str(exc)}
    except Exception as exc:  # a job must never die silently
        return {"status": "failed", "error": f"internal error: {type(exc).__name__}"}
