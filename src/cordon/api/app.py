"""The FastAPI application: ``create_app(settings)`` builds it around one store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import httpx
from fastapi import FastAPI

from cordon import __version__, logs
from cordon.api import errors, security
from cordon.api.bodies import BodyGuard
from cordon.api.door_sync import DoorSync
from cordon.api.routes import ROUTERS
from cordon.api.settings import service_settings
from cordon.config import Settings
from cordon.runtime.throttle import SignInThrottle, throttle_url
from cordon.store.db import Store

__all__ = ["API_PREFIX", "SWITCH_INTERVAL", "create_app", "walk_routes"]

API_PREFIX = "/api/v1"
WALK_PATH = "/.well-known/cordon/no-such-route"
SWITCH_INTERVAL = 0.001
"""Seconds a thread (the door writer, a token lookup) may hold the doors process's interpreter
before the event loop answering the doors gets its turn; Python's default of 5 ms made door
decisions queue for tens of milliseconds (measured with ``python -m bench load``)."""


async def walk_routes(app: FastAPI) -> None:
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


def create_app(
    settings: Settings, *, store: Store | None = None, doors: httpx.AsyncClient | None = None
) -> FastAPI:
    """The web service: the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json) and the
    web dashboard at /. Jobs go to the store's queue (``worker.tasks``); after each write the
    answer waits for the doors at ``doors_url`` (``doors``: a client to reach them, for tests).
    Nothing connects to the store until the first request."""
    from cordon.worker.tasks import runtime_for

    config = service_settings(settings)
    client = doors or (httpx.AsyncClient(timeout=config.door_sync_seconds)
                       if config.doors_url else None)  # fmt: skip
    logs.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await walk_routes(app)
        anyio.to_thread.current_default_thread_limiter().total_tokens = config.request_threads
        yield
        if client is not None:
            await client.aclose()

    app = FastAPI(
        title="cordon",
        version=__version__,
        description="Outbreak containment for closed facilities: records, cases, orders, alerts.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # /docs is the dashboard's: Swagger UI from fastapi-offline, no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = config
    app.state.store = store or Store(config.database_url)
    app.state.runtime = runtime_for(app.state.store, config)
    app.state.sign_ins = SignInThrottle(throttle_url(config.rate_limit_url, config.queue_url))
    errors.install(app)
    app.add_middleware(
        DoorSync,
        store=app.state.store,
        doors_url=config.doors_url or ("http://doors" if doors is not None else None),
        seconds=config.door_sync_seconds,
        client=client,
    )
    app.add_middleware(
        BodyGuard,
        json_bytes=config.max_json_bytes,
        form_bytes=config.max_form_bytes,
        upload_bytes=config.max_upload_bytes,
    )
    security.install(app, hsts=config.hsts)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    from cordon.web import analyses, mount

    mount(app)
    analyses.serve_from_queue(str(app.state.store.engine.url), app.state.runtime.jobs)
    return app
