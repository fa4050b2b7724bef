"""The door side of the service: access decisions from memory, written back in the background.

A door controller's request never waits on the database: its token is checked against an
in-memory cache (re-validated against the store every ``TOKEN_TTL`` seconds, kept as it was while
the store is away), and ``AccessIndex.decide`` reads only in-memory holds. A background thread
writes the queued decisions and alerts every ``FLUSH_SECONDS`` and, every
``REFRESH_SECONDS``, re-reads the holds when another process (the CLI) changed them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from cordon.domain.roles import Actor
from cordon.errors import CordonError, NotAuthenticated
from cordon.services import accounts
from cordon.services.access import AccessIndex, watch
from cordon.store import containment
from cordon.store.db import Store

__all__ = ["FLUSH_SECONDS", "REFRESH_SECONDS", "TOKEN_TTL", "Doors"]

FLUSH_SECONDS = 0.2
REFRESH_SECONDS = 5.0
TOKEN_TTL = 30.0


@dataclass(frozen=True, slots=True)
class _Known:
    actor: Actor | None
    checked: float


class Doors:
    """The access index of one service process, its writer thread and its token cache."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.index = AccessIndex(url=None)
        self._tokens: dict[str, _Known] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refreshed = 0.0
        self._marks: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
        self.lane_answers = 0
        """Decisions answered by the door lane (``api.door_lane``) rather than the route."""

    def start(self) -> None:
        """Load the index (when the store answers) and start the writer thread."""
        with self._lock:
            if self._thread is not None:
                return
            self._load()
            self._thread = threading.Thread(target=self._run, name="cordon-doors", daemon=True)
            self._thread.start()

    @property
    def started(self) -> bool:
        """Whether ``start`` has run."""
        return self._thread is not None

    def stop(self) -> None:
        """Write what is queued and stop the writer thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._flush()

    def actor(self, secret: str) -> Actor:
        """The actor behind a door token, from the cache while it is fresh or the store is away."""
        digest = hashlib.sha256(secret.encode()).hexdigest()
        known = self._tokens.get(digest)
        now = time.monotonic()
        if known is None or now - known.checked > TOKEN_TTL:
            try:
                with self.store.session() as session:
                    known = _Known(accounts.actor_for_token(session, secret), now)
                self._tokens[digest] = known
            except CordonError:
                if known is None:
                    raise
        if known.actor is None:
            raise NotAuthenticated("the API token is unknown, revoked or expired")
        return known.actor

    def cached_actor(self, secret: str) -> Actor | None:
        """The token's actor when the cache holds a fresh, valid answer (no store needed), else
        None (unknown to the cache, old, or refused: ``actor`` then asks the store or says why)."""
        known = self._tokens.get(hashlib.sha256(secret.encode()).hexdigest())
        if known is None or time.monotonic() - known.checked > TOKEN_TTL:
            return None
        return known.actor

    def forget_tokens(self) -> None:
        """Drop the token cache (after a token is revoked in this process)."""
        self._tokens.clear()

    def _load(self) -> None:
        try:
            with self.store.session() as session:
                self.index.url = str(session.get_bind().engine.url)
                self.index.load(session)
            self._refreshed = time.monotonic()
        except CordonError:
            self.index.stale = True
        watch(self.index)

    def _flush(self) -> None:
        try:
            with self.store.session() as session:
                self.index.flush(session)
        except CordonError:
            self.index.stale = True

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()
            if time.monotonic() - self._refreshed > REFRESH_SECONDS:
                self._refresh()

    def _refresh(self) -> None:
        """Re-read what another process changed, and only that: a cheap look at the change
        marks first, so that the writer thread rarely holds the interpreter for long."""
        now = time.monotonic()
        self._refreshed = now
        try:
            with self.store.session() as session:
                orders, directory = containment.change_marks(session)
                if not self.index.loaded or directory != self._marks[1]:
                    self.index.load(session)
                elif orders != self._marks[0] or self.index.stale:
                    self.index.refresh(session)
                self._marks = (orders, directory)
        except (CordonError, SQLAlchemyError):
            self.index.stale = True
