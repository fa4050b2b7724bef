"""The dashboard's feed: a notification on it is delivered when it is written (the page reads
the ``notification`` rows), so sending is nothing."""

from __future__ import annotations

from cordon.notify.base import Outgoing

__all__ = ["send"]


def send(out: Outgoing) -> None:
    """Nothing to do: the row is the message."""
    del out
