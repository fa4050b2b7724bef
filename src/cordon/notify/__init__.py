"""Delivery channels of notifications: e-mail over SMTP, a signed webhook, the dashboard's feed.

Each channel sends one message and raises ``DeliveryFailed`` when it could not; what to send,
to whom and when to try again is ``cordon.services.notify``'s business.
"""

from __future__ import annotations

from cordon.notify.base import CHANNELS, Channel, DeliveryFailed, Outgoing

__all__ = ["CHANNELS", "Channel", "DeliveryFailed", "Outgoing"]
