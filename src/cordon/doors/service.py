"""The doors' state: access decisions from memory, written back in the background.

A door controller's request never waits on the database: its token is checked against an
in-memory cache (an answer is good for ``TOKEN_TTL`` seconds, kept as it was while the store is
away, but never past the token's own expiry: the cache holds it and refuses the token the moment
it comes), and ``AccessIndex.decide`` reads only in-memory holds. A writer thread writes the queued
decisions and alerts every ``FLUSH_SECONDS`` and re-checks the tokens in use before they go old;
a follower thread (``runtime.changes``) reloads what the change signal says has changed: the
directory, the holds, or the tokens (dropped from the cache). ``sync`` lets the web process wait
until the doors have loaded what it just committed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from cordon.domain.roles import Actor
from cordon.errors import CordonError, NotAuthenticated
from cordon.runtime.changes import ChangeFollower
from cordon.services import accounts
from cordon.services.access import AccessIndex
from cordon.store.changes import Versions
from cordon.store.db import Store

__all__ = ["FLUSH_SECONDS", "TOKEN_RENEW", "TOKEN_TTL", "WATCHED", "Doors"]

FLUSH_SECONDS = 0.2
TOKEN_TTL = 30.0
TOKEN_RENEW = TOKEN_TTL / 2
"""Age at which the writer thread re-checks a cached token that doors still use."""
WATCHED = frozenset({"directory", "holds", "tokens"})
"""The change topics the doors follow."""


@dataclass(frozen=True, slots=True)
class _Known:
    token: accounts.TokenCheck | None
    checked: float


class Doors:
    """The access index of the doors process, its writer and follower threads, its token
    cache."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        """The wall clock tokens expire by (the web's routes judge them by it too)."""
        self.index = AccessIndex(url=None)
        self._tokens: dict[str, _Known] = {}
        self._used: dict[str, float] = {}
        self._forgotten = 0
        self._tokens_lock = threading.Lock()
        """Orders cache writes against ``forget_tokens``: an answer read before a revocation
        must not be put back after it."""
        self._lock = threading.Lock()
        self._reloading = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._following: threading.Thread | None = None
        self.follower = ChangeFollower(store, topics=WATCHED, on_change=self._changed)
        self.lane_answers = 0
        """Decisions answered by the door lane (``doors.lane``) rather than the route."""

    def start(self) -> None:
        """Load the index (when the store answers) and start the writer and follower threads."""
        with self._lock:
            if self._thread is not None:
                return
            self._load()
            self._thread = threading.Thread(target=self._run, name="cordon-doors", daemon=True)
            self._thread.start()
            self._following = threading.Thread(
                target=self.follower.run, name="cordon-door-changes", daemon=True
            )
            self._following.start()

    @property
    def started(self) -> bool:
        """Whether ``start`` has run."""
        return self._thread is not None

    def stop(self) -> None:
        """Write what is queued and stop the threads."""
        self._stop.set()
        self.follower.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._flush()

    def sync(self, wanted: Versions) -> Versions:
        """Load now whatever changed, so that the versions loaded are at least ``wanted`` (read
        by the caller after its commit); returns the versions loaded."""
        if any(self.follower.seen.get(t, -1) < v for t, v in wanted.items() if t in WATCHED):
            self.follower.check()  # the follower's own lock, then the reload's: one order
        return {t: v for t, v in self.follower.seen.items() if t in WATCHED}

    def _changed(self, topics: set[str]) -> None:
        """The follower's handler: reload the index, drop the token cache."""
        with self._reloading:
            if topics & {"directory", "holds"} or self.index.stale:
                try:
                    with self.store.session() as session:
                        self.index.catch_up(session)
                except (CordonError, SQLAlchemyError):
                    self.index.stale = True
            if "tokens" in topics:
                self.forget_tokens()

    def actor(self, secret: str) -> Actor:
        """The actor behind a door token, from the cache while it is fresh or the store is away."""
        digest = hashlib.sha256(secret.encode()).hexdigest()
        known = self._tokens.get(digest)
        now = time.monotonic()
        if known is None or now - known.checked > TOKEN_TTL:
            forgotten = self._forgotten
            try:
                with self.store.session() as session:
                    checked = accounts.check_token(session, secret, now=int(self.clock()))
                known = _Known(checked, now)
            except CordonError:
                if known is None or forgotten != self._forgotten:
                    raise  # nothing known, or what was known may have been revoked since
            else:
                self._remember({digest: known}, forgotten)
        if known.token is None or known.token.expired(self.clock()):
            raise NotAuthenticated("the API token is unknown, revoked or expired")
        return known.token.actor

    def cached_actor(self, secret: str) -> Actor | None:
        """The token's actor when the cache holds a fresh, valid answer (no store needed), else
        None (unknown to the cache, old, or refused: ``actor`` then asks the store or says why)."""
        digest = hashlib.sha256(secret.encode()).hexdigest()
        known = self._tokens.get(digest)
        now = time.monotonic()
        if known is None or now - known.checked > TOKEN_TTL:
            return None
        if known.token is None or known.token.expired(self.clock()):
            return None
        self._used[digest] = now
        return known.token.actor

    def forget_tokens(self) -> None:
        """Drop the token cache (after a token is revoked in this process)."""
        with self._tokens_lock:
            self._forgotten += 1
            self._tokens.clear()
            self._used.clear()

    def _remember(self, answers: dict[str, _Known], forgotten: int) -> None:
        """Cache answers read from the store, unless the cache was dropped since the read began
        (``forgotten`` is the count then): a token revoked meanwhile would come back."""
        with self._tokens_lock:
            if forgotten == self._forgotten:
                self._tokens.update(answers)

    def _load(self) -> None:
        try:
            with self.store.session() as session:
                self.index.url = str(session.get_bind().engine.url)
                self.index.load(session)
        except (CordonError, SQLAlchemyError):
            self.index.stale = True
        self.follower.seen = dict(self.index.versions)

    def _flush(self) -> None:
        try:
            with self.store.session() as session:
                self.index.flush(session)
        except (CordonError, SQLAlchemyError):
            self.index.stale = True

    def _run(self) -> None:
        renewed = time.monotonic()
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()
            if time.monotonic() - renewed > TOKEN_RENEW / 3:
                renewed = time.monotonic()
                self._renew_tokens()

    def _renew_tokens(self) -> None:
        """Re-check the cached tokens that doors used since their last check once they are
        ``TOKEN_RENEW`` old; drop the ones no door used for a ``TOKEN_TTL``."""
        now = time.monotonic()
        due = []
        for digest, known in list(self._tokens.items()):
            used = self._used.get(digest, known.checked)
            if now - used > TOKEN_TTL:
                self._tokens.pop(digest, None)
                self._used.pop(digest, None)
            elif now - known.checked > TOKEN_RENEW and used > known.checked:
                due.append(digest)
        if not due:
            return
        forgotten = self._forgotten
        try:
            with self.store.session() as session:
                at = int(self.clock())
                checked = [(d, accounts.check_digest(session, d, now=at)) for d in due]
        except (CordonError, SQLAlchemyError):
            return  # kept as they were while the store is away
        now = time.monotonic()
        self._remember({d: _Known(token, now) for d, token in checked}, forgotten)
