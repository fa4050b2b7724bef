"""Whole JSON answers sent straight to the ASGI server, for the plain ASGI layers (the door lane,
the body guard) that answer before the web framework."""

from __future__ import annotations

from cordon.api.security import Send

__all__ = ["answer"]


async def answer(
    send: Send, payload: bytes, *, status: int = 200, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Send ``payload`` (JSON) as the whole answer."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
