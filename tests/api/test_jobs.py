"""Jobs: kept in the store, queued for the worker process, seen by every web process, and run
again when the worker under them died (all-or-nothing tasks, nothing of the first try kept)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cordon.api.settings import ServiceSettings
from cordon.domain.roles import Actor, UserRole
from cordon.runtime.jobs import STALE, JobView
from cordon.runtime.tasks import ForecastTask, ImportTask, Who
from cordon.services.admin import init_store
from cordon.store.db import Store
from cordon.store.models import JobRow, PlaceRow
from cordon.worker.tasks import runtime_for
from tests.api.conftest import load_facility

LEAD = Who.of(Actor("lead", UserRole.COMMAND))
NOW = 1795348800


def _settings(store: Store, **extra: object) -> ServiceSettings:
    return ServiceSettings(database_url=store.url, **extra)  # type: ignore[arg-type]


@pytest.fixture
def facility(store: Store, tmp_path: Path) -> Store:
    load_facility(store, tmp_path)
    return store


def _worker(store: Store, tmp_path: Path) -> subprocess.Popen[bytes]:
    log = (tmp_path / "worker.log").open("ab")
    env = {**os.environ, "CORDON_DATABASE_URL": store.url, "CORDON_CLOCK": str(NOW)}
    return subprocess.Popen(
        [sys.executable, "-m", "cordon", "serve", "worker"], env=env, stdout=log, stderr=log
    )


@pytest.fixture
def worker(facility: Store, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts worker processes on the facility's store (all stopped afterwards)."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        started.append(_worker(facility, tmp_path))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _until(check: Callable[[], JobView | None], what: str, seconds: float = 300) -> JobView:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds} s"
        time.sleep(0.1)


def _status(jobs: object, job_id: str, *wanted: str) -> Callable[[], JobView | None]:
    def check() -> JobView | None:
        job = jobs.get(job_id)  # type: ignore[attr-defined]
        return job if job is not None and job.status in wanted else None

    return check


def test_a_job_runs_in_the_worker_and_every_web_process_sees_it(
    facility: Store, worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    web = runtime_for(facility, _settings(facility)).jobs
    queued = web.submit(
        ForecastTask(LEAD, days=3, runs=50, seed=1, capacity=None, now=NOW, zone="UTC"),
        owner="lead",
    )
    assert queued.status == "queued"  # nobody runs it yet: the web never does
    process = worker()
    done = _until(_status(web, queued.id, "done", "failed"), "the forecast")
    assert done.status == "done", done
    assert done.result is not None and done.result["runs"] == 50
    assert done.attempts == 1 and done.started_at is not None and done.finished_at is not None
    other = Store(facility.url)  # another web process: a store and a queue of its own
    seen = runtime_for(other, _settings(other, queue_url=None)).jobs.get(queued.id)
    assert seen is not None and seen.result == done.result
    listed, total = web.of("lead", limit=10, offset=0)
    assert total == 1 and listed[0].id == queued.id
    assert process.poll() is None


def test_a_job_whose_worker_died_runs_again_and_commits_once(
    facility: Store, worker: Callable[[], subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    rows = 200_000
    data = tmp_path / "upload" / "presence.csv"
    data.parent.mkdir()
    with data.open("w") as out:
        out.write("person,place,start,end\n")
        for i in range(rows):
            out.write(f"p{1 + i % 3},hall,{NOW + i * 60},{NOW + i * 60 + 30}\n")
    web = runtime_for(facility, _settings(facility)).jobs
    task = ImportTask(str(data), "presence.csv", "presence", LEAD, "UTC")
    first = worker()
    job = web.submit(task, owner="lead")
    _until(_status(web, job.id, "running"), "the import's start")
    first.send_signal(signal.SIGKILL)  # an out-of-memory kill, mid-import
    first.wait()
    assert web.get(job.id).status == "running"  # type: ignore[union-attr]
    assert web.recover(now=time.time() + STALE + 1) == [job.id]  # the heartbeat stopped
    worker()
    done = _until(_status(web, job.id, "done", "failed"), "the second try")
    assert done.status == "done" and done.attempts == 2, done
    assert done.result is not None and done.result["added"] == rows, done.result
    assert not data.parent.exists()  # the upload is gone once the job is over


def test_an_immediate_queue_runs_jobs_in_the_caller(tmp_path: Path) -> None:
    """An in-memory store (no other process can open it) runs its jobs when they are queued."""
    store = Store("sqlite://")
    init_store(store, actor="test")
    load_facility(store, tmp_path)
    runtime = runtime_for(store, _settings(store))
    done = runtime.jobs.submit(
        ForecastTask(LEAD, days=2, runs=5, seed=0, capacity=None, now=NOW, zone="UTC"),
        owner="lead",
    )
    assert done.status == "done" and done.attempts == 1, done
    assert done.result is not None and done.result["runs"] == 5


def test_a_refused_import_fails_with_its_rows_and_leaves_the_store_unchanged(
    facility: Store, tmp_path: Path
) -> None:
    bad = tmp_path / "up" / "places.csv"
    bad.parent.mkdir()
    bad.write_text("id,name,kind\nx1,X,hall\nx2,,nowhere\n")
    with facility.session() as session:
        before = session.scalar(select(func.count()).select_from(PlaceRow))
    jobs = runtime_for(facility, _settings(facility, queue_url="immediate")).jobs
    failed = jobs.run_here(ImportTask(str(bad), "places.csv", "places", LEAD, "UTC"), owner="l")
    assert failed.status == "failed" and failed.problems, failed
    assert any("line 3" in p for p in failed.problems), failed.problems
    with facility.session() as session:
        assert session.scalar(select(func.count()).select_from(PlaceRow)) == before
        assert session.get(JobRow, failed.id) is None  # answered, not kept
    assert not bad.parent.exists()
