"""The door lane: well-formed access decisions answered before the web framework.

A door decision is a hash lookup, but FastAPI's routing, dependency solving and response
validation cost about twenty times as much, on the interpreter that all requests share. This
ASGI middleware answers ``POST /api/v1/access/decide`` itself when everything is in order: the
door service is running, a bearer token is known (fresh in its cache, or checked against the
store on a miss) and may decide, and the JSON body is a valid ``DecideCreate``. Anything else
(no token, a refused one, a cookie session, a refused body, a missing permission) goes on to the
route unchanged, which answers it, with its errors, exactly as before. The answer is the route's
own schema, so both paths are identical. It is the outermost layer of the doors app
(``doors.app``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from cordon.api.asgi import answer
from cordon.api.routes.access import DecideCreate, decision_read
from cordon.api.security import Message, Receive, Scope, Send
from cordon.domain.roles import Actor, Permission
from cordon.doors.service import Doors
from cordon.errors import CordonError

__all__ = ["MAX_BODY", "DoorLane"]

PATH = "/api/v1/access/decide"
MAX_BODY = 4096
"""Larger bodies are no door's request: they go the long way, which refuses them properly."""

App = Any


class DoorLane:
    """Answers valid door decisions with a cached token; hands everything else to ``app``."""

    def __init__(self, app: App, *, doors: Doors, now: Callable[[], int]) -> None:
        self.app = app
        self.doors = doors
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        doors = self.doors
        secret, length, json = _headers(scope)
        actor = await _actor(doors, secret) if secret and doors.started else None
        if actor is None or not json or length > MAX_BODY:
            await self.app(scope, receive, send)
            return
        body, more = await _read(receive)
        if body is not None and actor.can(Permission.DECIDE_ACCESS):
            try:
                asked = DecideCreate.model_validate_json(body)
            except ValidationError:
                pass
            else:
                decision = doors.index.decide(
                    asked.person,
                    asked.door,
                    asked.direction,
                    asked.at if asked.at is not None else self.now(),
                    credential=asked.credential,
                    companions=asked.companions,
                    now=self.now() if asked.at is not None else None,
                )
                doors.lane_answers += 1
                await answer(send, decision_read(decision).model_dump_json().encode())
                return
        await self.app(scope, _replay(more, receive), send)


async def _actor(doors: Doors, secret: str) -> Actor | None:
    """The token's actor from the cache, or from the store on a miss (in a thread); None when
    the token is refused or the store cannot tell (the route then answers, with the reason)."""
    actor = doors.cached_actor(secret)
    if actor is not None:
        return actor
    try:
        return await anyio.to_thread.run_sync(doors.actor, secret)
    except CordonError:
        return None


def _headers(scope: Scope) -> tuple[str | None, int, bool]:
    """The bearer secret, the declared length (0 if none) and whether the body is JSON."""
    secret, length, json = None, 0, False
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, rest = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                secret = rest.strip()
        elif name == b"content-length":
            length = int(value) if value.isdigit() else MAX_BODY + 1
        elif name == b"content-type":
            json = value.split(b";", 1)[0].strip().lower() == b"application/json"
    return secret, length, json


async def _read(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body if it fits in MAX_BODY, and the messages read (to replay them)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return None, messages
        if not message.get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives back the messages already read, then reads on."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
