"""Schema pieces shared by the routes; each route module defines its own XRead / XPage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, PlainSerializer

from cordon.times import format_time, parse_time

__all__ = ["EpochQuery", "Message", "Moment", "PageBase", "TextQuery"]


def _epoch(value: Any) -> Any:
    """An ISO-8601 text or epoch seconds as epoch seconds (anything else left to the int check)."""
    if isinstance(value, str):
        return parse_time(value)
    return value


Moment = Annotated[
    int,
    BeforeValidator(_epoch),
    PlainSerializer(lambda at: format_time(at), return_type=str, when_used="json"),
]
"""A time in the API's JSON: ISO-8601 with its offset (``2026-11-24T12:00:00+00:00``); read
from ISO-8601 or epoch seconds."""

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
