"""Door and airlock controllers: allow or deny one passage, from memory, in milliseconds (mounted
by the doors app, ``cordon.doors.app``, which holds the index)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cordon.api.deps import Needs, SettingsDep, current_actor
from cordon.domain.records import Credential, Direction
from cordon.domain.roles import Actor, Permission, require
from cordon.doors.service import Doors
from cordon.errors import NotAuthenticated
from cordon.services.access import Decision

__all__ = ["DecisionRead", "router"]

router = APIRouter(prefix="/access", tags=["access"])

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


class DecideCreate(BaseModel):
    """One passage a door is asked to let through."""

    person: Id
    door: Id
    direction: Direction = Direction.OUT
    at: int | None = Field(default=None, ge=0, le=10**11, description="Default: now.")
    credential: Credential = Credential.BADGE
    companions: list[Id] = Field(
        default_factory=list, max_length=16, description="Who goes through with the person."
    )


class OverrideCreate(DecideCreate):
    """A guard letting a denied person through on the spot, and why."""

    why: str = Field(min_length=1, max_length=500)


class DecisionRead(BaseModel):
    """Allow or deny, why, and what the answer rests on."""

    allowed: bool
    reason: str
    person: str
    door: str
    direction: Direction
    at: int
    credential: Credential
    order: int | None
    emergency: int | None
    policy: int | None = Field(default=None, description="The exit policy behind the answer.")
    override_by: str | None
    stale: bool = Field(description="Made from the last holds known while the store is away.")


async def doors(request: Request) -> Doors:
    """The app's door service, started on first use (off the event loop: it reads the store)."""
    found: Doors = request.app.state.doors
    if not found.started:
        await run_in_threadpool(found.start)
    return found


DoorsDep = Annotated[Doors, Depends(doors)]


def _session_actor(request: Request) -> Actor:
    store = request.app.state.store
    with store.session() as session:
        return current_actor(request, session)


async def door_actor(request: Request, service: DoorsDep) -> Actor:
    """A door controller's token from the in-memory cache (checked against the store off the
    event loop when it is new or old); browsers sign in as usual."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer":
            raise NotAuthenticated("send the API token as 'Authorization: Bearer ...'")
        secret = secret.strip()
        cached = service.cached_actor(secret)
        if cached is not None:
            return cached
        return await run_in_threadpool(service.actor, secret)
    return await run_in_threadpool(_session_actor, request)


DoorActorDep = Annotated[Actor, Depends(door_actor)]


class DoorNeeds(Needs):
    """A route permission checked against the door's cached token (no database query)."""

    async def __call__(self, actor: DoorActorDep) -> Actor:
        return await super().__call__(actor)


def decision_read(d: Decision) -> DecisionRead:
    """The schema of a decision."""
    return DecisionRead(
        allowed=d.allowed,
        reason=d.reason,
        person=d.person,
        door=d.door,
        direction=d.direction,
        at=d.at,
        credential=d.credential,
        order=d.order,
        emergency=d.emergency,
        policy=d.policy,
        override_by=d.override_by,
        stale=d.stale,
    )


@router.post(
    "/decide",
    response_model=DecisionRead,
    dependencies=[Depends(DoorNeeds(Permission.DECIDE_ACCESS))],
)
async def decide(
    body: DecideCreate, actor: DoorActorDep, service: DoorsDep, cfg: SettingsDep
) -> DecisionRead:
    """Allow or deny ``person`` through ``door``: holds, quarantine, isolation and moratoria,
    answered from memory (no database, no thread hop on this path). Denies at exits raise an
    alert."""
    require(actor, Permission.DECIDE_ACCESS)
    return decision_read(_decide(service, body, cfg.now()))


def _decide(service: Doors, body: DecideCreate, now: int) -> Decision:
    """The index's answer; a time given by the door is checked against the station clock."""
    return service.index.decide(
        body.person,
        body.door,
        body.direction,
        body.at if body.at is not None else now,
        credential=body.credential,
        companions=body.companions,
        now=now if body.at is not None else None,
    )


@router.post(
    "/override",
    response_model=DecisionRead,
    dependencies=[Depends(DoorNeeds(Permission.OVERRIDE_ACCESS))],
)
def override(
    body: OverrideCreate, actor: DoorActorDep, service: DoorsDep, cfg: SettingsDep
) -> DecisionRead:
    """A guard overrides a deny on the spot; recorded with who and why, and alerted."""
    require(actor, Permission.OVERRIDE_ACCESS)
    denied = _decide(service, body, cfg.now())
    return decision_read(service.index.override(denied, guard=actor, why=body.why))
