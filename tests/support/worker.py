"""A worker for tests: huey's consumer on a store's queue, on threads of the test process (the
real worker process is ``cordon serve worker``, tested in ``tests/api/test_jobs.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cordon.api.settings import ServiceSettings
from cordon.store.db import Store
from cordon.worker.tasks import Runtime, runtime_for


@contextmanager
def running_worker(store: Store, settings: ServiceSettings) -> Iterator[Runtime]:
    """Run the queued jobs of ``store`` while the block lasts (no periodic tasks: tests call
    the periodic work themselves)."""
    runtime = runtime_for(store, settings)
    consumer = runtime.huey.create_consumer(workers=2, periodic=False, worker_type="thread")
    consumer.start()
    try:
        yield runtime
    finally:
        consumer.stop(graceful=True)
