"""The job queue: huey, on the store's own kind of storage, so no server needs starting.

A SQLite store queues in a SQLite file beside it (``cordon.db-queue``); a PostgreSQL store in its
own database (huey's ``PostgresHuey``: tables ``huey_*`` and LISTEN/NOTIFY to wake the worker); a
``redis://`` ``CORDON_QUEUE_URL`` puts it in Redis instead; ``immediate`` runs every task when
it is queued, in the caller (tests, and in-memory stores, which no other process can open).
"""

from __future__ import annotations

import threading
from typing import Any

from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
from sqlalchemy.engine import make_url

from cordon.store.db import Store

__all__ = ["IMMEDIATE", "QUEUE_NAME", "describe", "make_queue", "queue_target"]

QUEUE_NAME = "cordon"
IMMEDIATE = "immediate"

_lock = threading.Lock()
_made: dict[tuple[str, str | None], Huey] = {}


def queue_target(store: Store, queue_url: str | None) -> str:
    """Where the queue of ``store`` lives: ``immediate``, a ``redis://`` URL, a SQLite file
    path or the PostgreSQL DSN."""
    if queue_url:
        return queue_url
    if store.is_sqlite:
        path = store.sqlite_path
        return IMMEDIATE if path is None else f"{path}-queue"
    url = make_url(store.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def describe(store: Store, queue_url: str | None) -> str:
    """The queue's place, for messages (no password)."""
    target = queue_target(store, queue_url)
    if target.startswith(("postgresql://", "redis://", "rediss://")):
        return make_url(target).render_as_string(hide_password=True)
    return target


def make_queue(store: Store, queue_url: str | None, setup: Any) -> Huey:
    """The huey instance of ``store`` in this process (one per store and queue), with its tasks
    registered by ``setup(huey)`` the first time."""
    key = (store.url, queue_url)
    with _lock:
        if key in _made:
            return _made[key]
        target = queue_target(store, queue_url)
        huey: Huey
        if target == IMMEDIATE:
            huey = MemoryHuey(QUEUE_NAME, immediate=True, results=False)
        elif target.startswith(("redis://", "rediss://")):
            huey = RedisHuey(QUEUE_NAME, url=target, results=False)
        elif target.startswith("postgresql://"):
            huey = PostgresHuey(QUEUE_NAME, dsn=target, results=False)
        else:
            huey = SqliteHuey(QUEUE_NAME, filename=target, results=False)
        setup(huey)
        _made[key] = huey
        return huey
