"""Schema pieces shared by the routes; each route module defines its own XRead / XPage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel

__all__ = ["EpochQuery", "Message", "PageBase", "TextQuery"]

EpochQuery = Annotated[int | None, Query(ge=0, le=10**11, description="A time as epoch seconds.")]
TextQuery = Annotated[
    str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f]*$", description="Text filter.")
]


class PageBase(BaseModel):
    """The paging facts of every list answer (subclasses add ``items``)."""

    total: int
    limit: int
    offset: int


class Message(BaseModel):
    """A plain acknowledgement."""

    detail: str
