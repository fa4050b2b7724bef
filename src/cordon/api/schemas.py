"""Schema pieces shared by the routes; each route module defines its own XRead / XPage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, PlainSerializer

from cordon.times import format_time, parse_time

__all__ = ["TIME_KEYS", "EpochQuery", "Message", "Moment", "PageBase", "TextQuery", "iso_times"]

TIME_KEYS = frozenset({"at", "start", "end", "since", "expiry", "until", "collected_at"})
"""Keys whose integer values are times, in the free-form parts of answers (details, records)."""


def iso_times(value: Any) -> Any:
    """``value`` with every integer under a time key (``TIME_KEYS``) as ISO-8601 text, at any
    depth: the free-form parts of an answer use the one time format too."""
    if isinstance(value, dict):
        return {
            k: format_time(v)
            if k in TIME_KEYS and isinstance(v, int) and not isinstance(v, bool)
            else iso_times(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [iso_times(v) for v in value]
    return value


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
