"""``cordon serve worker``: the huey consumer of the store's queue, with its periodic tasks,
and a follower of the change signal that queues the rules when evidence arrives and a
notification pass when the outbox grows."""

from __future__ import annotations

import logging
import threading

from cordon.api.settings import ServiceSettings
from cordon.runtime.changes import ChangeFollower
from cordon.store.db import Store
from cordon.worker.tasks import Runtime, runtime_for

__all__ = ["WORKERS", "follower", "run"]

log = logging.getLogger(__name__)

WORKERS = 2
"""Jobs that run at once (an import and a forecast side by side)."""


def follower(runtime: Runtime) -> ChangeFollower:
    """The change follower that queues the rules on new evidence and a notification pass on
    new outbox rows (run it on a thread: ``follower.run``)."""

    def changed(topics: set[str]) -> None:
        if "evidence" in topics:
            runtime.apply_rules()
        if "outbox" in topics:
            runtime.notify()

    return ChangeFollower(runtime.store, topics={"evidence", "outbox"}, on_change=changed)


def run(settings: ServiceSettings, *, workers: int = WORKERS) -> None:
    """Run the worker until SIGTERM or SIGINT (a running job is finished first on SIGINT,
    interrupted on SIGTERM: its transaction rolls back and ``recover`` runs it again)."""
    store = Store(settings.database_url)
    store.check_ready()
    runtime = runtime_for(store, settings)
    following = follower(runtime)
    threading.Thread(target=following.run, name="cordon-changes", daemon=True).start()
    runtime.apply_rules()  # whatever arrived while no worker ran
    runtime.notify()
    runtime.jobs.recover()  # jobs of a worker that died (their heartbeat long stopped)
    consumer = runtime.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True,
        flush_locks=True,
    )  # fmt: skip
    try:
        consumer.run()
    finally:
        following.stop()
