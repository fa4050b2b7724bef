"""Liveness and readiness, for load balancers (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from cordon.api.deps import StoreDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


class HealthRead(BaseModel):
    """Whether the service can reach a current store."""

    status: str
    schema_revision: str | None


@router.get("/health", response_model=HealthRead)
async def health(store: StoreDep) -> HealthRead:
    """``ok`` when the store is reachable and current (503 from the error handler otherwise)."""
    await run_in_threadpool(store.check_ready)
    return HealthRead(status="ok", schema_revision=await run_in_threadpool(store.current_revision))
