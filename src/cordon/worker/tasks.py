"""The queue's tasks, registered on the queue of one store in every process: the web and the
CLI queue them, the worker runs them."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from huey import Huey, crontab
from huey.exceptions import RetryTask, TaskLockedException
from sqlalchemy.exc import SQLAlchemyError

from cordon.api.settings import ServiceSettings
from cordon.errors import CordonError
from cordon.runtime.jobs import Jobs
from cordon.runtime.queue import make_queue
from cordon.store.db import Store

__all__ = ["Runtime", "close_runtimes", "runtime_for"]

log = logging.getLogger(__name__)

RETRY_DELAY = 2
"""A rules task that finds the rules running waits this long and tries again."""
RULES_QUEUED = "rules-queued"
NOTIFY_QUEUED = "notify-queued"
NOTIFY_AT = "notify-at"
"""When the scheduled delivery pass for the next retry runs (so one is scheduled, not many)."""


@dataclass
class Runtime:
    """A store's queue, its jobs, and the tasks that run on them."""

    store: Store
    settings: ServiceSettings
    huey: Huey
    jobs: Jobs
    apply_rules: Any
    """Queues the rules unless a run is already waiting: ``runtime.apply_rules()``."""
    notify: Any
    """Queues a notification pass (relay, then delivery) unless one is already waiting."""


_runtimes: dict[tuple[str, str | None], Runtime] = {}


def runtime_for(store: Store, settings: ServiceSettings) -> Runtime:
    """The runtime of ``store`` in this process, made once."""
    key = (store.url, settings.queue_url)
    if key not in _runtimes:
        holder: dict[str, Any] = {}
        huey = make_queue(
            store,
            settings.queue_url,
            lambda h: holder.update(_register(h, store, settings, holder)),
        )
        _runtimes[key] = Runtime(
            store, settings, huey, holder["jobs"], holder["apply_rules"], holder["notify"]
        )
    return _runtimes[key]


def close_runtimes(store_url: str | None = None) -> int:
    """Close the queue connections of this process's runtimes (of one store, or all) and forget
    them; how many were closed. For a process that opens many stores (the tests): a runtime
    keeps its queue's database connection for as long as the process lives."""
    closed = 0
    for key in [k for k in _runtimes if store_url is None or k[0] == store_url]:
        runtime = _runtimes.pop(key)
        with contextlib.suppress(Exception):
            runtime.huey.storage.close()
        closed += 1
    return closed


def _register(
    huey: Huey, store: Store, settings: ServiceSettings, holder: dict[str, Any]
) -> dict[str, Any]:
    from cordon.worker import periodic

    @huey.task(name="run_job")
    def run_job(job_id: str) -> None:
        try:
            holder["jobs"].execute(job_id)
        except (CordonError, SQLAlchemyError) as exc:  # the store is away: the job waits
            log.warning("job %s waits for the store (%s)", job_id, type(exc).__name__)
            raise RetryTask(delay=RETRY_DELAY * 5) from None

    rules = huey.lock_task("cordon-rules")

    def locked(work: Any) -> None:
        """Run ``work`` under the rules' lock; when the rules are running, or the store fails,
        try again after ``RETRY_DELAY`` (the failure logged by its kind: an error's text may
        carry clinical values)."""
        try:
            with rules:
                work()
        except TaskLockedException as exc:
            raise RetryTask(delay=RETRY_DELAY) from exc
        except Exception as exc:  # never a traceback with values in the worker's log
            log.warning("rules not applied (%s); trying again", type(exc).__name__)
            raise RetryTask(delay=RETRY_DELAY * 5) from None

    @huey.task(name="apply_rules")
    def apply_rules() -> None:
        huey.delete(RULES_QUEUED)  # evidence arriving from now on queues another run
        locked(lambda: periodic.apply_rules(store, settings))

    def queue_rules() -> None:
        """Queue the rules unless a run is already waiting."""
        if huey.put_if_empty(RULES_QUEUED, "1"):
            apply_rules()

    @huey.task(name="notify")
    def notify() -> None:
        huey.delete(NOTIFY_QUEUED)  # outbox rows arriving from now on queue another pass
        try:
            due = periodic.notify(store, settings)
        except Exception as exc:  # never a traceback with values in the worker's log
            log.warning("notifications not sent (%s); trying again", type(exc).__name__)
            raise RetryTask(delay=RETRY_DELAY * 5) from None
        if due is not None:
            schedule_notify(due)

    def schedule_notify(due: float) -> None:
        """Run a pass when the next retry falls due, unless one is scheduled by then."""
        now = time.time()
        planned = huey.get(NOTIFY_AT, peek=True)
        if planned is not None and now <= float(planned) <= due + 0.05:
            return
        huey.put(NOTIFY_AT, due)
        notify.schedule(delay=max(0.0, due - now) + 0.05)

    def queue_notify() -> None:
        """Queue a notification pass unless one is already waiting."""
        if huey.put_if_empty(NOTIFY_QUEUED, "1"):
            notify()

    @huey.periodic_task(crontab(minute="*"), name="every_minute")
    def every_minute() -> None:
        locked(lambda: periodic.every_minute(store, settings, holder["jobs"]))

    jobs = Jobs(store, huey, run_job)
    return {
        "jobs": jobs, "apply_rules": queue_rules, "notify": queue_notify,
        "every_minute": every_minute,
    }  # fmt: skip
