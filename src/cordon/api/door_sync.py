"""After a write, the answer waits (bounded) until the doors process has loaded it.

A pure ASGI middleware of the web app: when a write (any method but GET, HEAD, OPTIONS) is
answered with a success, it reads the change signal's versions (after the write's commit) and
posts them to the doors' ``/api/v1/doors/sync``, which answers once they are loaded; only then
does the answer go out. So an order, a hold, a case moved, a person or a place changed, or a
token revoked through the API or the pages is in force at the doors when its caller hears of
it. With no doors configured (a web process alone) nothing waits; doors that do not answer
within ``door_sync_seconds`` are logged and the answer goes out (they catch up from the signal).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
import httpx

from cordon.api.security import Message, Receive, Scope, Send
from cordon.errors import CordonError
from cordon.store.changes import read_versions
from cordon.store.db import Store

__all__ = ["DoorSync"]

log = logging.getLogger(__name__)

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
SYNC_PATH = "/api/v1/doors/sync"


class DoorSync:
    """Holds a successful write's answer until the doors have loaded what it changed."""

    def __init__(
        self,
        app: Any,
        *,
        store: Store,
        doors_url: str | None,
        seconds: float,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.doors_url = doors_url.rstrip("/") if doors_url else None
        self.seconds = seconds
        self._client = client
        self.synced = 0
        """Writes whose answer waited for the doors (for tests)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE or self._target() is None:
            await self.app(scope, receive, send)
            return

        async def held(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await self._sync()
            await send(message)

        await self.app(scope, receive, held)

    def _target(self) -> str | None:
        return None if self.doors_url is None else self.doors_url + SYNC_PATH

    async def _sync(self) -> None:
        target = self._target()
        assert target is not None
        try:
            versions = await anyio.to_thread.run_sync(self._versions)
        except CordonError:
            return  # the store is away: the doors keep their last holds
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.seconds)
        try:
            answer = await self._client.post(target, json={"versions": versions})
            answer.raise_for_status()
            self.synced += 1
        except httpx.HTTPError as exc:
            log.warning("the doors did not confirm a write (%s)", type(exc).__name__)

    def _versions(self) -> dict[str, int]:
        with self.store.session() as session:
            return read_versions(session)

    async def aclose(self) -> None:
        """Close the connection to the doors."""
        if self._client is not None:
            await self._client.aclose()
