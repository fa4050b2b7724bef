"""The doors' ASGI app: the door lane in front of the access routes, plus status and sync.

``POST /api/v1/access/decide`` and ``/override`` (the same routes and answers the web API had),
``GET /api/v1/health``, ``GET /api/v1/doors/status`` and ``POST /api/v1/doors/sync``: the web
process calls it after each write, with the change versions it read after its commit, and the
answer comes once the doors have loaded them (the promise that an order is in force at the
doors by the time its caller hears of it).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cordon import __version__
from cordon.api import errors, security
from cordon.api.app import API_PREFIX, SWITCH_INTERVAL, walk_routes
from cordon.api.routes import access, health
from cordon.api.settings import service_settings
from cordon.config import Settings
from cordon.doors.lane import DoorLane
from cordon.doors.service import WATCHED, Doors
from cordon.store.db import Store

__all__ = ["create_doors_app"]

router = APIRouter(prefix="/doors", tags=["doors"])


class DoorsStatus(BaseModel):
    """What the doors hold: whether the holds are loaded, or the last known (store away)."""

    loaded: bool
    stale: bool
    versions: dict[str, int] = Field(description="The change signal's versions loaded.")
    lane_answers: int


class SyncCreate(BaseModel):
    """The change versions a writer read after its commit."""

    versions: dict[str, int] = Field(max_length=16)


def _status(doors: Doors) -> DoorsStatus:
    return DoorsStatus(
        loaded=doors.index.loaded,
        stale=doors.index.stale,
        versions={t: v for t, v in doors.follower.seen.items() if t in WATCHED},
        lane_answers=doors.lane_answers,
    )  # fmt: skip


@router.get("/status", response_model=DoorsStatus)
async def status(request: Request) -> DoorsStatus:
    """Whether the holds are loaded and at which versions (no sign-in: no person or order)."""
    return _status(request.app.state.doors)


@router.post("/sync", response_model=DoorsStatus)
async def sync(body: SyncCreate, request: Request) -> DoorsStatus:
    """Load now what changed up to ``versions``; answers once it is loaded."""
    doors: Doors = request.app.state.doors
    await run_in_threadpool(doors.sync, body.versions)
    return _status(doors)


def create_doors_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The doors' app on ``settings``'s store; the index loads at start."""
    config = service_settings(settings)
    doors = Doors(store or Store(config.database_url))
    doors.index.max_skew = config.decision_skew_seconds

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await walk_routes(app)
        sys.setswitchinterval(SWITCH_INTERVAL)
        await anyio.to_thread.run_sync(doors.start)
        # What is loaded now stays for the process's life: a full collection that walked it
        # all (the modules, the index) held the doors for over 100 ms under load.
        gc.freeze()
        yield
        gc.unfreeze()
        await anyio.to_thread.run_sync(doors.stop)

    app = FastAPI(
        title="cordon doors",
        version=__version__,
        description="Door and airlock decisions from memory.",
        openapi_url=f"{API_PREFIX}/doors/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = config
    app.state.store = doors.store
    app.state.doors = doors
    errors.install(app)
    app.add_middleware(DoorLane, doors=doors, now=config.now)
    security.install(app, hsts=config.hsts)
    for module in (access, health):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(router, prefix=API_PREFIX)
    return app
