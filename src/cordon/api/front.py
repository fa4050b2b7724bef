"""The doors' front: door decisions in a process of their own, every other request passed on.

One interpreter cannot promise a door an answer within 20 ms while its threads also render
dashboards: they take turns at the interpreter lock and at the processor (measured with
``python -m bench load``). So ``cordon serve`` runs this small ASGI app on the service's port and
the whole service (``create_app``) in a child process on a private Unix socket
(``cordon.api.backend``, at a lower priority). The front answers well-formed decisions itself
(``DoorLane`` over its own ``Doors``: hold index, writer, token cache) and streams every other
request to the child and the answer back, unchanged. After a write the child accepted, the front
re-reads the holds before the answer goes out: an order placed through the API or the dashboard
is in force at the doors by the time its caller hears of it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx

from cordon.api.door_lane import DoorLane, answer
from cordon.api.doors import Doors
from cordon.api.security import Message, Receive, Scope, SecurityHeaders, Send
from cordon.api.settings import ServiceSettings, service_settings
from cordon.config import Settings
from cordon.store.db import Store

__all__ = ["BACKEND_NICENESS", "Backend", "Front", "create_front", "environment"]

log = logging.getLogger(__name__)

BACKEND_NICENESS = 5
"""Pages and API routes yield the processor to the front's door decisions (at 0) and take it
from the jobs (at ``worker.NICENESS``)."""
START_SECONDS = 120.0
"""How long the front waits for the service behind it to answer at start."""
WATCH_SECONDS = 1.0
"""How often the front looks whether the service behind it is still running."""
RESTART_BACKOFF = 30.0
"""The longest wait between two starts of a service behind that keeps failing."""
SERVICE = httpx.URL("http://cordon")
TIMEOUT = httpx.Timeout(None, connect=10, pool=5)
"""No limit on an answer (an upload, an alert stream), but a request that finds no connection
free within 5 s gets a 503 rather than waiting for ever."""
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=50, keepalive_expiry=2)
"""Idle connections end before the service behind would close them (uvicorn's 5 s)."""
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"forwarded",
    }
)
"""Headers of one connection, not of the request or answer (RFC 9110 7.6.1), and forwarding
headers a client might forge (the front sets its own)."""
ANSWER_HOP = HOP | {b"date", b"server"}
"""The front's server sets these on the answers it sends."""
ACCOUNTS = ("/api/v1/tokens", "/api/v1/users")
"""Writes here may revoke a token: the front forgets the tokens it has cached."""
UNAVAILABLE = json.dumps({"detail": "the service is not answering; try again shortly"}).encode()
BAD_TARGET = json.dumps({"detail": "the request target is not a valid path"}).encode()


class Backend:
    """The service process behind the front, on a Unix socket in a private folder."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._folder = tempfile.TemporaryDirectory(prefix="cordon-")
        self.socket = str(Path(self._folder.name) / "service.sock")
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        """Start the child (it ends with this process, even after kill -9)."""
        os.chmod(self._folder.name, 0o700)
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our module
            [sys.executable, "-m", "cordon.api.backend", self.socket],
            env={**os.environ, **environment(self.settings)},
        )
        self.started_at = time.monotonic()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.process.pid, BACKEND_NICENESS)

    async def wait(self, client: httpx.AsyncClient) -> None:
        """Until the child answers over its socket (any answer: the store may still be away)."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the service exited at start ({self.process.returncode})")
            with contextlib.suppress(httpx.TransportError):
                await client.get("/api/v1/health", timeout=5)
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not answer at start")
            await anyio.sleep(0.1)

    @property
    def exited(self) -> int | None:
        """The child's exit code once it has ended, else None."""
        return None if self.process is None else self.process.poll()

    @property
    def uptime(self) -> float:
        """Seconds since the child was last started."""
        return time.monotonic() - self.started_at

    def end(self, timeout: float = 15) -> None:
        """Let the child finish what it is doing, then end it (killed after ``timeout``)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self, timeout: float = 15) -> None:
        """End the child and remove its socket's folder."""
        self.end(timeout)
        self._folder.cleanup()


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the ``CORDON_`` variables that give them to another process."""
    out = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            out[f"CORDON_{name.upper()}"] = text
    return out


class Front:
    """The ASGI app of the front: door lane, then the proxy to the service behind."""

    def __init__(self, settings: Settings) -> None:
        self.settings = service_settings(settings)
        self.store = Store(self.settings.database_url)
        self.doors = Doors(self.store)
        self.backend = Backend(self.settings)
        self.client: httpx.AsyncClient | None = None
        lane = DoorLane(self._proxy, doors=self.doors, now=self.settings.now)
        self.app = SecurityHeaders(lane, hsts=self.settings.hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Start, watch the service behind until the server stops, then stop."""
        while (await receive())["type"] != "lifespan.startup":
            pass
        try:
            await self._start()
        except Exception as exc:  # told to the server, which stops
            await self._stop()
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch)
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            group.cancel_scope.cancel()
        await self._stop()
        await send({"type": "lifespan.shutdown.complete"})

    async def _start(self) -> None:
        transport = httpx.AsyncHTTPTransport(uds=self.backend.socket, limits=LIMITS)
        self.client = httpx.AsyncClient(transport=transport, base_url=SERVICE, timeout=TIMEOUT)
        self.backend.start()
        await self.backend.wait(self.client)
        await anyio.to_thread.run_sync(self.doors.start)
        # What is loaded now stays for the process's life: a full collection that walked it
        # all (the modules, the index) held the doors for over 100 ms under load.
        gc.freeze()

    async def _stop(self) -> None:
        gc.unfreeze()
        if self.doors.started:
            await anyio.to_thread.run_sync(self.doors.stop)
        if self.client is not None:
            await self.client.aclose()
        await anyio.to_thread.run_sync(self.backend.stop)

    async def _watch(self) -> None:
        """Start the service behind again whenever it ends (a crash, the out-of-memory killer),
        waiting longer between starts while it keeps ending within ``RESTART_BACKOFF``."""
        failures = 0
        while True:
            await anyio.sleep(min(WATCH_SECONDS * 2**failures, RESTART_BACKOFF))
            code = self.backend.exited
            if code is None:
                if self.backend.uptime > RESTART_BACKOFF:
                    failures = 0
                continue
            failures += 1
            log.warning("the service behind the front ended (exit code %s); starting it", code)
            try:
                await self._restart()
            except Exception:  # any failure: log it, end a hung child, and try again later
                log.exception("the service behind the front did not start")
                await anyio.to_thread.run_sync(self.backend.end)

    async def _restart(self) -> None:
        """Start the service behind and, once it answers, re-read the holds."""
        assert self.client is not None
        self.backend.start()
        await self.backend.wait(self.client)
        await anyio.to_thread.run_sync(self.doors.refresh)

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the request to the service behind and its answer back."""
        assert self.client is not None, "the front serves only after its start"
        method: str = scope["method"]
        try:
            url = SERVICE.copy_with(raw_path=_target(scope))
        except (httpx.InvalidURL, UnicodeError):  # "*", a fragment, bytes past ASCII
            await answer(send, BAD_TARGET, status=400)
            return
        request = self.client.build_request(
            method,
            url,
            headers=_forwarded(scope),
            content=_body(receive) if _has_body(scope) else None,
        )
        try:
            response = await self.client.send(request, stream=True)
        except ClientGone:
            return
        except httpx.TransportError:
            await answer(send, UNAVAILABLE, status=503, headers=((b"retry-after", b"5"),))
            return
        try:
            if method not in SAFE and response.status_code < 400:
                await anyio.to_thread.run_sync(self._after_write, scope["path"])
            headers = [(k, v) for k, v in response.headers.raw if k.lower() not in ANSWER_HOP]
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": headers})  # fmt: skip
            await _stream(response, receive, send)
        finally:
            await response.aclose()

    def _after_write(self, path: str) -> None:
        self.doors.refresh()
        if path.startswith(ACCOUNTS):
            self.doors.forget_tokens()


class ClientGone(Exception):
    """The client went away while its request body was being passed on."""


def _target(scope: Scope) -> bytes:
    """The request's path and query as the client sent them (percent-escapes kept)."""
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return path + (b"?" + query if query else b"")


def _has_body(scope: Scope) -> bool:
    """Whether the request says it carries a body (its length, or chunks)."""
    for name, value in scope["headers"]:
        key = name.lower()
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


def _forwarded(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP]
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", str(client[0]).encode()))
    headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode()))
    return headers


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _stream(response: httpx.Response, receive: Receive, send: Send) -> None:
    """Pass the answer's body on as it comes, until it ends or the client goes away."""
    try:
        async with anyio.create_task_group() as watch:
            watch.start_soon(_cancel_on_disconnect, receive, watch.cancel_scope)
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            watch.cancel_scope.cancel()
    except* httpx.TransportError as broken:
        # The answer has begun: the server ends the connection, which the client sees.
        log.warning("the service behind broke off an answer: %r", broken.exceptions[0])


async def _cancel_on_disconnect(receive: Receive, scope: Any) -> None:
    """Stop streaming (an alert stream, say) when the client goes away."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


def create_front(settings: Settings) -> Front:
    """The front for the service on ``settings``'s store (the service starts with it)."""
    return Front(settings)
