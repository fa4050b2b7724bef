"""The dashboard on the Venus demo, as a commander sees it: the demo loaded at noon of day 6, the
service on a loopback port (in a thread, with a worker for its jobs), a signed-in Chromium. Used
by the page tests (tests/web/test_demo_pages.py) and by ``make screenshots``."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import Actor, UserRole
from cordon.services import accounts
from cordon.services.demo import run_demo
from cordon.store.db import Store
from cordon.times import parse_time

NOON_DAY6 = "2026-11-24T12:00:00Z"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LEAD = "lead"
PASSWORD = "a long enough passphrase 42"
ROOT = Actor("site", UserRole.COMMAND)

PAGES: list[tuple[str, str]] = [
    ("overview", "/"),
    ("cases", "/cases"),
    ("people", "/people"),
    ("person", "/people/perf-007"),
    ("orders", "/orders"),
    ("alerts", "/alerts"),
    ("missing", "/missing"),
    ("gatherings", "/gatherings"),
    ("moratoria", "/moratoria"),
    ("trace", "/trace?person=war-22&direction=both"),
    ("beds", "/plans/beds"),
    ("roster", "/plans/roster"),
    ("audit", "/audit"),
    ("docs", "/docs"),
    ("not-found", "/no-such-page"),
]
"""Every page of the dashboard, by a short name (the screenshots' file names)."""


def demo_store(folder: Path) -> Store:
    """The Venus demo in a SQLite file in ``folder``, with the commander ``lead``."""
    store = Store(f"sqlite:///{folder / 'cordon.db'}")
    run_demo(store, actor=ROOT)
    with store.session() as session:
        accounts.add_user(session, LEAD, role=UserRole.COMMAND, password=PASSWORD, actor=ROOT)
    return store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(store: Store, **settings: Any) -> Iterator[str]:
    """The service on ``store`` at the demo's clock on a loopback port, with a worker for its
    jobs; yields its base URL."""
    import uvicorn

    from tests.support.worker import running_worker

    config = ServiceSettings(
        database_url=store.url, clock=NOON_DAY6, alert_poll_seconds=0.2, **settings
    )
    with running_worker(store, config):
        app = create_app(config, store=store)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        try:
            yield f"http://localhost:{port}"
        finally:
            server.should_exit = True
            thread.join(20)


def only_local(context: Any, blocked: list[str]) -> None:
    """Refuse every request that leaves the machine, noting its URL in ``blocked``."""

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("http://localhost", "http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    context.route("**/*", route)


def sign_in(page: Any, base: str, name: str = LEAD, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def demo_now() -> int:
    """The demo's station clock in epoch seconds."""
    return parse_time(NOON_DAY6)
