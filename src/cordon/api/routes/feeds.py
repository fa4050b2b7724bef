"""Live input: presence and passages posted in small batches, as badge readers and door
controllers send them, each batch validated and loaded like a file import (all or none, each bad
row named by its place in the batch) and idempotent (the same batch again adds nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, JsonValue

from cordon.api.deps import ActorDep, SessionDep, SettingsDep, needs
from cordon.domain.roles import Permission
from cordon.formats.schemas import Kind
from cordon.services.imports import import_rows

__all__ = ["MAX_BATCH", "router"]

router = APIRouter(tags=["feeds"])
MAX_BATCH = 10_000
"""Rows in one batch; a reader sends every few seconds, a backlog in several batches."""


class FeedBatch(BaseModel):
    """Rows with the columns of the file of the same kind (``person, place, start, end`` for
    presence; ``person, place, time, direction``, credential, companions, camera for
    passages); times as ISO-8601 or epoch seconds."""

    items: Annotated[list[dict[str, JsonValue]], Field(min_length=1, max_length=MAX_BATCH)]
    source: str = Field(
        default="feed", min_length=1, max_length=200, description="The reader that sent it."
    )


class FeedRead(BaseModel):
    """What the batch did: rows read, added, already there."""

    kind: str
    read: int
    added: int
    unchanged: int
    batch: int | None


def _post(
    kind: Kind, body: FeedBatch, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> FeedRead:
    report = import_rows(
        session, body.items, kind=kind, actor=actor, zone=cfg.zone, source=f"{kind.value} feed "
        f"{body.source}",
    )  # fmt: skip
    return FeedRead(
        kind=report.kind, read=report.read, added=report.added, unchanged=report.unchanged,
        batch=report.batch,
    )  # fmt: skip


@router.post(
    "/presence",
    response_model=FeedRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.IMPORT_LOCATIONS)],
)
def post_presence(
    body: FeedBatch, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> FeedRead:
    """A batch of badge presence intervals (row ``n`` of the batch is named "line n" in a
    refusal)."""
    return _post(Kind.PRESENCE, body, session, actor, cfg)


@router.post(
    "/passages",
    response_model=FeedRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.IMPORT_LOCATIONS)],
)
def post_passages(
    body: FeedBatch, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> FeedRead:
    """A batch of door and airlock passages (row ``n`` of the batch is named "line n" in a
    refusal)."""
    return _post(Kind.PASSAGES, body, session, actor, cfg)
