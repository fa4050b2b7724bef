"""What every channel is given and what it raises."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CHANNELS", "Channel", "DeliveryFailed", "Outgoing"]


class Channel(StrEnum):
    """How a recipient is reached."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    FEED = "feed"
    """The dashboard's feed: delivered the moment it is written."""
    NONE = "none"
    """No channel: a person nobody could reach (status ``no_channel``)."""


CHANNELS = (Channel.EMAIL, Channel.WEBHOOK, Channel.FEED)
"""The channels a recipient can be given."""


class DeliveryFailed(Exception):
    """One attempt failed; the text says why without any secret (it is kept and shown)."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message on its way: the notification's id (the receiver's idempotency key), the
    event it tells of, where it goes, and what it says (the webhook's JSON document as text)."""

    id: int
    event: str
    address: str
    subject: str
    body: str
    secret: str | None = None
