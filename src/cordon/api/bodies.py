"""Request bodies checked before any parser sees them: a size limit per kind of body (JSON,
form, upload), and JSON that Python would read but no other JSON reader would (NaN, Infinity,
numbers that overflow to infinity, lone surrogates) refused with a 422 naming the reason.

Python's ``json`` accepts all of those; they then broke the 422 answer (a 500, with the whole
body in the log) or reached the store. A refused body is never echoed, and never logged.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cordon.api.asgi import answer
from cordon.formats import jsondoc

__all__ = ["BodyGuard", "BodyTooLarge", "check_json"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    """A body streamed past its limit."""


class _NotJson(ValueError):
    """A JSON body holds something JSON does not allow."""


def _constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a number JSON allows")


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson("a number too large to represent")
    return value


def _no_surrogates(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _NotJson("a text with a lone surrogate (\\ud800-\\udfff)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_json(body: bytes) -> str | None:
    """Why ``body`` is not JSON every reader agrees on, or None when it is (or is not JSON at
    all: the framework answers that with its own 422)."""
    try:
        _no_surrogates(jsondoc.loads(body, parse_constant=_constant, parse_float=_number))
    except (_NotJson, jsondoc.TooDeep) as exc:
        return str(exc)
    except ValueError:
        return None
    return None


async def _answer(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await answer(send, payload, status=status, headers=((b"cache-control", b"no-store"),))


class BodyGuard:
    """ASGI middleware: bodies over their limit answer 413 before they are read whole; JSON
    bodies are read (up to their limit) and checked by ``check_json`` before the route parses
    them."""

    def __init__(self, app: ASGIApp, *, json_bytes: int, form_bytes: int, upload_bytes: int):
        self.app = app
        self.json_bytes = json_bytes
        self.form_bytes = form_bytes
        self.upload_bytes = upload_bytes

    def _limit(self, content_type: str) -> tuple[int, bool]:
        """The byte limit for a content type, and whether it is JSON to check."""
        if content_type.startswith("multipart/form-data"):
            return self.upload_bytes, False
        if content_type.startswith("application/x-www-form-urlencoded"):
            return self.form_bytes, False
        return self.json_bytes, True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit, is_json = self._limit(headers.get(b"content-type", b"").decode("latin-1").lower())
        declared = headers.get(b"content-length", b"").decode("latin-1")
        too_large = f"the request body is larger than the {limit} bytes allowed here"
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, too_large)
            return
        if is_json:
            await self._json(scope, receive, send, limit, too_large)
            return
        await self._streamed(scope, receive, send, limit, too_large)

    async def _json(
        self, scope: Scope, receive: Receive, send: Send, limit: int, too_large: str
    ) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _answer(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and (why := check_json(body)) is not None:
            await _answer(send, 422, f"the JSON body is refused: {why}")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _streamed(
        self, scope: Scope, receive: Receive, send: Send, limit: int, too_large: str
    ) -> None:
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, too_large)
