"""One process role of the service, run in this process: ``doors``, ``web`` or ``worker``."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the web package (FastAPI) is imported by the role that runs it
    from cordon.api.settings import ServiceSettings

__all__ = ["SUPERVISED", "Role", "run_role"]

SUPERVISED = "CORDON_SUPERVISED"
"""Set by ``cordon serve`` for the processes it starts: they end with their manager."""
PR_SET_PDEATHSIG = 1
NICENESS = {"doors": -5, "web": 5, "worker": 10}
"""On one machine the doors get the processor first, then the pages, then the jobs (measured
with ``python -m bench load``: the web at the doors' priority nearly doubled the doors' p99).
Raising the doors above the default needs the privilege to (root, or CAP_SYS_NICE); without it
they stay at the default."""


class Role(StrEnum):
    """The service's processes."""

    DOORS = "doors"
    """Door and airlock decisions from memory (uvicorn, one process)."""
    WEB = "web"
    """The API and the dashboard (uvicorn, ``--workers N``)."""
    WORKER = "worker"
    """Jobs, rules on arrival and the periodic work (huey's consumer)."""


def run_role(
    role: Role, settings: ServiceSettings, *, host: str, port: int, workers: int = 1
) -> None:
    """Run ``role`` until it is stopped (SIGTERM or SIGINT). The settings reach a uvicorn
    app through the environment, which the caller has set (``serve.manager.environment``)."""
    if os.environ.get(SUPERVISED):
        _end_with_parent()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, NICENESS[role.value])
    if role is Role.WORKER:
        from cordon.worker.main import run

        run(settings)
        return
    import uvicorn

    factory = "cordon.api:doors_from_environment" if role is Role.DOORS else (
        "cordon.api:app_from_environment"
    )  # fmt: skip
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers if role is Role.WEB else 1,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def _end_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when its manager dies, even by kill -9
    (Linux's PR_SET_PDEATHSIG), so that no role outlives a killed ``cordon serve``."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the manager died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)
