"""Following the change signal (``store.changes``) from another process.

On PostgreSQL a connection LISTENs on ``cordon_changes`` and the versions are read when a
notification arrives (and every ``PG_POLL`` seconds, should one be lost with a connection); on
SQLite, which has no notifications, the one-row-per-topic table is read every ``SQLITE_POLL``
seconds (a primary-key scan of four rows).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Set

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from cordon.errors import CordonError
from cordon.store.changes import CHANNEL, Versions, newer, read_versions
from cordon.store.db import Store

__all__ = ["PG_POLL", "SQLITE_POLL", "ChangeFollower"]

log = logging.getLogger(__name__)

SQLITE_POLL = 0.25
PG_POLL = 5.0
RECONNECT = 2.0


class ChangeFollower:
    """Calls ``on_change(topics)`` from its own thread (``run``) whenever the version of one of
    ``topics`` moves; the versions it started from are ``seen``."""

    def __init__(
        self,
        store: Store,
        *,
        topics: Set[str],
        on_change: Callable[[set[str]], None],
        seen: Versions | None = None,
    ) -> None:
        self.store = store
        self.topics = topics
        self.on_change = on_change
        self.seen: Versions = dict(seen or {})
        self._stop = threading.Event()
        self._checking = threading.Lock()
        self.poll = SQLITE_POLL if store.is_sqlite else PG_POLL

    def stop(self) -> None:
        """End ``run`` at its next wake-up."""
        self._stop.set()

    def check(self) -> set[str]:
        """Read the versions now and report the topics that moved; returns them."""
        with self._checking:
            return self._check()

    def _check(self) -> set[str]:
        try:
            with self.store.session() as session:
                now = read_versions(session)
        except (CordonError, SQLAlchemyError):
            return set()
        moved = newer(self.seen, now) & self.topics
        if moved:
            try:
                self.on_change(moved)
            except Exception:  # the follower must outlive any failure of its caller
                log.exception("a change follower's handler failed")
                return set()
        self.seen = now
        return moved

    def run(self) -> None:
        """Follow until ``stop``."""
        if self.store.is_sqlite:
            if not self.seen:
                self.check()
            while not self._stop.wait(self.poll):
                self.check()
            return
        while not self._stop.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as exc:
                log.warning("change notifications lost (%s); reconnecting", type(exc).__name__)
                self.check()
                self._stop.wait(RECONNECT)

    def _listen(self) -> None:
        dsn = make_url(self.store.url).set(drivername="postgresql")
        with psycopg.connect(
            dsn.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        ) as connection:
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            self.check()  # what changed before the LISTEN began
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=self.poll, stop_after=1):
                    break
                self.check()
