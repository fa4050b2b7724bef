"""``cordon serve``: the doors, web and worker processes on one machine, under supervisord.

supervisord (a maintained process manager) starts each role as ``cordon serve ROLE``, restarts
one that ends (a crash, the out-of-memory killer, ``kill -9``), sends their output to this
terminal, and stops them all on Ctrl-C or SIGTERM. Its configuration and control socket live in
a private folder (mode 0700) removed when it ends. ``deploy/`` has the same three processes as a
Procfile and as systemd units, for a deployment across hosts.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from cordon.config import Settings
from cordon.serve.roles import SUPERVISED

__all__ = ["START_SECONDS", "environment", "supervise", "supervisor_config"]

START_SECONDS = 120.0
"""How long ``supervise`` waits for the web and the doors to answer before saying so."""


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the ``CORDON_`` variables that give them to another process (a SQLite
    path made absolute, since the processes may start elsewhere)."""
    out = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out[f"CORDON_{name.upper()}"] = text
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        out["CORDON_DATABASE_URL"] = f"sqlite:///{Path(url[len('sqlite:///') :]).resolve()}"
    return out


def supervisor_config(folder: Path, *, host: str, port: int, doors_port: int, workers: int) -> str:
    """supervisord's configuration for the three roles, with its files in ``folder`` (its
    control socket in that 0700 folder, behind a random password as well)."""
    python = sys.executable
    user = f"user={getpass.getuser()}\n" if os.geteuid() == 0 else ""
    secret = secrets.token_urlsafe(24)
    common = (
        "autostart=true\nautorestart=true\nstartsecs=1\nstartretries=1000000\n"
        "stopsignal=TERM\nstopwaitsecs=15\nstopasgroup=true\nkillasgroup=true\n"
        "stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n"
        f"directory={Path.cwd()}\n"
    )
    programs = {
        "doors": (1, f"{python} -m cordon serve doors --host {host} --port {doors_port}"),
        "web": (2, f"{python} -m cordon serve web --host {host} --port {port} --workers {workers}"),
        "worker": (3, f"{python} -m cordon serve worker"),
    }
    parts = [
        f"[supervisord]\nnodaemon=true\nlogfile={folder / 'supervisord.log'}\n"
        f"logfile_maxbytes=1MB\nlogfile_backups=0\npidfile={folder / 'supervisord.pid'}\n"
        f"childlogdir={folder}\nloglevel=warn\n{user}",
        f"[unix_http_server]\nfile={folder / 'supervisor.sock'}\nchmod=0700\n"
        f"username=cordon\npassword={secret}\n",
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
        f"[supervisorctl]\nserverurl=unix://{folder / 'supervisor.sock'}\n"
        f"username=cordon\npassword={secret}\n",
    ]
    for name, (priority, command) in programs.items():
        parts.append(f"[program:{name}]\ncommand={command}\npriority={priority}\n{common}")
    return "\n".join(parts)


def supervise(
    settings: Settings,
    *,
    host: str,
    port: int,
    doors_port: int,
    workers: int,
    say: Callable[[str], None],
) -> int:
    """Run the three roles under supervisord until it is stopped; returns its exit code."""
    folder = Path(tempfile.mkdtemp(prefix="cordon-serve-"))
    os.chmod(folder, 0o700)
    config = folder / "supervisord.conf"
    config.write_text(
        supervisor_config(folder, host=host, port=port, doors_port=doors_port, workers=workers)
    )
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    env = {
        **os.environ,
        **environment(settings),
        "CORDON_DOORS_URL": f"http://{local}:{doors_port}",
        SUPERVISED: "1",
    }
    manager = subprocess.Popen(  # noqa: S603 - supervisord of this environment, our file
        [str(Path(sys.executable).with_name("supervisord")), "-n", "-c", str(config)],
        env=env,
        start_new_session=True,
    )

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            manager.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        if _wait_ready(manager, f"http://{local}:{port}", f"http://{local}:{doors_port}"):
            say(f"cordon on http://{local}:{port} (doors on http://{local}:{doors_port}; "
                f"jobs in the worker); Ctrl-C stops all")  # fmt: skip
        return manager.wait()
    finally:
        if manager.poll() is None:
            manager.terminate()
            manager.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(manager: subprocess.Popen[bytes], web: str, doors: str) -> bool:
    """Until both answer their health check (the store may still be away: any answer counts)."""
    deadline = time.monotonic() + START_SECONDS
    pending = {web, doors}
    while pending and time.monotonic() < deadline:
        if manager.poll() is not None:
            return False
        for base in list(pending):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{base}/api/v1/health", timeout=2)
                pending.discard(base)
        time.sleep(0.2)
    return not pending
