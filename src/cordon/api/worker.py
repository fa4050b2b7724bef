"""The job worker process: runs tasks away from the service, so doors never wait on a job.

A large import parses and validates in pandas and a forecast runs Numba kernels; in the service
process either would hold the interpreter for seconds and stall the door decisions. The worker
is a spawned process, niced below the service and ending with it, holding its own store
connection; progress comes back over a queue, the outcome as plain data.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from cordon.api.tasks import Task
from cordon.errors import CordonError, ImportRefused
from cordon.services.progress import Progress
from cordon.store.db import Store

__all__ = ["NICENESS", "Outcome", "QueueProgress", "execute", "follow", "outcome", "start"]

NICENESS = 10
"""How far below the service a worker runs: the kernel gives the doors the CPU first."""

PROGRESS_EVERY = 0.25
"""Seconds between progress messages from a worker."""

PARENT_CHECK = 0.5
"""Seconds between checks that the service is still there (a worker dies with it)."""

_state: dict[str, Any] = {}


@dataclass
class Outcome:
    """How a task ended: done with a result, or failed with a reason (and bad rows)."""

    status: str
    result: dict[str, Any] | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    last: tuple[str, int | None, int] | None = None
    """The progress when it ended (phase, total, done), from a worker."""


def outcome(task: Task, store: Store, progress: Progress) -> Outcome:
    """Run ``task`` and say how it ended; a task never raises past here."""
    try:
        return Outcome("done", result=task.run(store, progress))
    except ImportRefused as exc:
        return Outcome("failed", error=str(exc), problems=[str(e) for e in exc.errors[:200]])
    except CordonError as exc:
        return Outcome("failed", error=str(exc))
    except Exception as exc:  # a job must never die silently
        return Outcome("failed", error=f"internal error: {type(exc).__name__}")


class QueueProgress:
    """A progress sink in the worker that sends (job, phase, total, done) to the service."""

    def __init__(self, queue: Queue[tuple[str, str, int | None, int]], job_id: str) -> None:
        self._queue = queue
        self._job = job_id
        self._phase, self._done = "", 0
        self._total: int | None = None
        self._sent = 0.0

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts: sent at once."""
        self._phase, self._total, self._done = name, total, 0
        self._send()

    def advance(self, amount: int) -> None:
        """More is done: sent at most every PROGRESS_EVERY seconds."""
        self._done += amount
        if time.monotonic() - self._sent >= PROGRESS_EVERY:
            self._send()

    def last(self) -> tuple[str, int | None, int]:
        """Where the job stands: phase, total, done."""
        return self._phase, self._total, self._done

    def _send(self) -> None:
        self._sent = time.monotonic()
        self._queue.put((self._job, self._phase, self._total, self._done))


def start(queue: Queue[tuple[str, str, int | None, int]], url: str, niceness: int) -> None:
    """Set up a worker process: lower priority, die with the service, open the store."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    follow(os.getppid())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service decides when workers stop
    _state["queue"] = queue
    _state["store"] = Store(url)


def follow(parent: int) -> None:
    """End this process when ``parent`` is gone (a thread watches for it)."""
    threading.Thread(target=_follow, args=(parent,), name="cordon-parent", daemon=True).start()


def _follow(parent: int) -> None:
    """Exit at once when the service is gone (even by kill -9): an open transaction rolls back."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(1)


def execute(job_id: str, task: Task) -> Outcome:
    """Run one task in the worker, reporting progress to the service."""
    progress = QueueProgress(_state["queue"], job_id)
    ended = outcome(task, _state["store"], progress)
    ended.last = progress.last()
    return ended
