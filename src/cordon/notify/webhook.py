"""A signed webhook: the JSON document POSTed with an HMAC-SHA256 signature over the time and
the body (``docs/webhooks.md`` shows how a receiver checks it)."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from cordon.notify.base import DeliveryFailed, Outgoing

__all__ = ["TOLERANCE", "send", "sign", "signature_header", "verify"]

TOLERANCE = 300
"""A receiver refuses signatures older (or newer) than this many seconds: replays."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Cordon-Signature`` value: ``t=<unix>,v1=<hex>``."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float, tolerance: int = TOLERANCE
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance`` of ``now``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, timestamp, body))


def send(out: Outgoing, *, timeout: float, client: httpx.Client | None = None) -> None:
    """POST the document; any answer but 2xx, or no answer, raises DeliveryFailed."""
    if not out.secret:
        raise DeliveryFailed("the webhook has no secret")
    body = out.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "cordon-notify",
        "X-Cordon-Event": out.event,
        "X-Cordon-Delivery": str(out.id),
        "X-Cordon-Signature": signature_header(out.secret, int(time.time()), body),
    }
    try:
        if client is not None:
            answer = client.post(out.address, content=body, headers=headers, timeout=timeout)
        else:
            with httpx.Client(follow_redirects=False) as own:
                answer = own.post(out.address, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook unreachable ({type(exc).__name__})") from None
    if not answer.is_success:
        raise DeliveryFailed(f"webhook answered HTTP {answer.status_code}")
