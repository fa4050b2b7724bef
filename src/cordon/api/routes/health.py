"""Liveness and readiness, for load balancers (no sign-in)."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from cordon.api.deps import StoreDep
from cordon.errors import StoreNotReady
from cordon.store.db import Store

__all__ = ["router"]

router = APIRouter(tags=["health"])


class HealthRead(BaseModel):
    """Whether the service can reach a current store."""

    status: str
    schema_revision: str | None


@cache
def _head(store: Store) -> str:
    """The newest migration (reading the migration scripts is slow: once per store)."""
    return store.head_revision()


def _check(store: Store) -> str:
    current = store.current_revision()
    if current != _head(store):
        store.check_ready()  # raises with the full explanation
        raise StoreNotReady(f"the store is at schema {current}, the code needs {_head(store)}")
    return current


@router.get("/health", response_model=HealthRead)
async def health(store: StoreDep) -> HealthRead:
    """``ok`` when the store is reachable and current (503 otherwise)."""
    return HealthRead(status="ok", schema_revision=await run_in_threadpool(_check, store))
