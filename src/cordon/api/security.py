"""Security headers on every response: CSP without inline scripts, no framing, no sniffing.

A plain ASGI middleware (no per-request task or body buffering), so it costs next to nothing on
the hot paths such as door decisions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

__all__ = ["CSP", "SecurityHeaders", "install"]

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Plotly sets style attributes on the SVG it draws; no script may be inline.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
FIXED = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SecurityHeaders:
    """Adds the headers to every HTTP response (a route's own CSP is kept)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *, hsts: bool):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")
        https = self.hsts or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED
                ]
                names = {k.lower() for k, _v in headers}
                headers += FIXED
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                if b"cache-control" not in names and (api or _is_html(headers)):
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_REPLACED = {k for k, _v in FIXED} | {HSTS[0]}


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and b"text/html" in v for k, v in headers)


def install(app: FastAPI, *, hsts: bool) -> None:
    """Add the middleware to the app."""
    app.add_middleware(SecurityHeaders, hsts=hsts)
