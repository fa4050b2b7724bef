"""The FastAPI application: ``create_app(settings)`` builds it around one store."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from cordon import __version__, logs
from cordon.api import errors, security
from cordon.api.bodies import BodyGuard
from cordon.api.door_lane import DoorLane
from cordon.api.doors import Doors
from cordon.api.jobs import Jobs
from cordon.api.routes import ROUTERS
from cordon.api.settings import service_settings
from cordon.config import Settings
from cordon.store.db import Store

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
WALK_PATH = "/.well-known/cordon/no-such-route"
SWITCH_INTERVAL = 0.001
"""Seconds a thread (a dashboard page, the door writer) may hold the interpreter before the event
loop answering the doors gets its turn; Python's default of 5 ms made door decisions queue for
tens of milliseconds behind a few busy pages (measured with ``python -m bench load``)."""


async def _walk_routes(app: FastAPI) -> None:
    """Send one request that no route matches, through the whole app, before serving: FastAPI
    prepares each router's routes on the first request that walks them (evaluating every
    signature), which would otherwise stall the first door decisions for a third of a second."""
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": WALK_PATH,
        "raw_path": WALK_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0),
        "server": ("localhost", 0),
    }
    await app(scope, receive, send)


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The service: the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json) and the web
    dashboard at /. Nothing connects to the store until the first request."""
    config = service_settings(settings)
    logs.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await _walk_routes(app)
        sys.setswitchinterval(SWITCH_INTERVAL)
        anyio.to_thread.current_default_thread_limiter().total_tokens = config.request_threads
        yield
        analyses.stop_serving(url, app.state.jobs)
        app.state.doors.stop()
        app.state.jobs.shutdown()

    app = FastAPI(
        title="cordon",
        version=__version__,
        description="Outbreak containment for closed facilities: records, cases, orders, alerts.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the Swagger page needs a CDN and inline scripts; the JSON is enough
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = config
    app.state.store = store or Store(config.database_url)
    app.state.jobs = Jobs(app.state.store)
    app.state.doors = Doors(app.state.store)
    errors.install(app)
    app.add_middleware(
        BodyGuard,
        json_bytes=config.max_json_bytes,
        form_bytes=config.max_form_bytes,
        upload_bytes=config.max_upload_bytes,
    )
    # inside the security headers, which wrap its answers too
    app.add_middleware(DoorLane, doors=app.state.doors, now=config.now)
    security.install(app, hsts=config.hsts)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    from cordon.web import analyses, mount

    mount(app)
    url = str(app.state.store.engine.url)
    analyses.serve_from_workers(url, app.state.jobs)
    return app
