"""A worker for tests: huey's consumer on a store's queue, on threads of the test process (the
real worker process is ``cordon serve worker``, tested in ``tests/api/test_jobs.py``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from cordon.api.settings import ServiceSettings
from cordon.store.db import Store
from cordon.worker.main import follower
from cordon.worker.tasks import Runtime, runtime_for


@contextmanager
def running_worker(
    store: Store, settings: ServiceSettings, *, follow: bool = False
) -> Iterator[Runtime]:
    """Run the queued jobs of ``store`` while the block lasts (no periodic tasks: tests call
    the periodic work themselves); with ``follow``, also the worker's change follower (rules
    on new evidence, notifications on new outbox rows), as ``cordon serve worker`` runs it."""
    runtime = runtime_for(store, settings)
    consumer = runtime.huey.create_consumer(
        workers=2, periodic=False, worker_type="thread", scheduler_interval=1
    )
    consumer.start()
    following = follower(runtime) if follow else None
    thread = threading.Thread(target=following.run, daemon=True) if following else None
    if thread is not None:
        thread.start()
    try:
        yield runtime
    finally:
        if following is not None and thread is not None:
            following.stop()
            thread.join(60)
        consumer.stop(graceful=True)
