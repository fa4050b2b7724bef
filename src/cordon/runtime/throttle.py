"""Sign-in throttling per account and source, with an exponential delay, on the ``limits`` library.

Failed sign-ins are counted under three keys: the name and the source address together, the
source alone (one address trying many names) and the name alone (many addresses trying one
name). Each key has a ladder of moving windows, ``free + k`` failures per ``base * 2**k``
seconds for k = 0..``steps``, so after ``free + k`` failures in a row the next try waits
``base * 2**k`` seconds: an exponential delay, capped at the last step. Keys are names as typed,
whether or not such a user exists, so the answers never say which accounts exist. A flood on one
name from one source fills only its own (name, source) ladder quickly: the same name from
another address still signs in until the name's own, much larger, ladder is full.

Storage: ``memory://`` counts in this process only (each uvicorn worker of the web role has its
own counts); ``redis://...`` shares the counts between processes and hosts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from cordon.errors import StoreUnavailable, TooManyAttempts

__all__ = ["LADDERS", "Ladder", "SignInThrottle", "throttle_url"]


@dataclass(frozen=True, slots=True)
class Ladder:
    """``free`` failures without delay, then ``base * 2**k`` seconds after ``free + k`` of them
    (k up to ``steps``)."""

    free: int
    base: int
    steps: int

    def items(self) -> list[RateLimitItem]:
        """The moving windows, shortest first."""
        return [
            RateLimitItemPerSecond(self.free + k, self.base << k) for k in range(self.steps + 1)
        ]

    def delay(self, failures: int) -> int:
        """The wait after ``failures`` failures in a row (the closed form of ``items``)."""
        if failures < self.free:
            return 0
        return self.base << min(failures - self.free, self.steps)


LADDERS = {
    "name+source": Ladder(free=5, base=30, steps=8),
    "source": Ladder(free=50, base=60, steps=6),
    "name": Ladder(free=50, base=60, steps=6),
}
"""One name from one address: 5 free tries, then 30 s, 1 min, 2 min ... up to 2 h 8 min (at
most 13 guesses in that time). One address over all names, or one name over all addresses: 50
free tries, then 1 min doubling up to 64 min."""

MESSAGE = "too many failed sign-ins: sign-in is paused for a while, try again later"
"""The one answer to a paused sign-in, whichever key paused it and whether or not the user
exists."""


def throttle_url(rate_limit_url: str | None, queue_url: str | None) -> str:
    """Where failures are counted: the setting, else the queue's Redis, else this process."""
    if rate_limit_url:
        return rate_limit_url
    if queue_url and queue_url.startswith(("redis://", "rediss://")):
        return queue_url
    return "memory://"


class SignInThrottle:
    """Counts failed sign-ins and says when a sign-in must wait."""

    def __init__(
        self,
        url: str = "memory://",
        ladders: dict[str, Ladder] | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.clock = clock
        """The clock the storage keeps its windows by (the wall clock: ``limits`` reads it)."""
        self.storage = storage_from_string(url, wrap_exceptions=True)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.ladders = {
            key: ladder.items() for key, ladder in (ladders or LADDERS).items()
        }  # fmt: skip

    @staticmethod
    def _keys(name: str, source: str) -> dict[str, tuple[str, ...]]:
        folded = name.casefold()[:100]
        return {"name+source": (folded, source), "source": (source,), "name": (folded,)}

    def check(self, name: str, source: str) -> None:
        """Raise ``TooManyAttempts`` (with the seconds to wait) when ``name`` may not try to
        sign in from ``source`` now."""
        waits = []
        try:
            for key, ids in self._keys(name, source).items():
                for item in self.ladders[key]:
                    if not self.limiter.test(item, key, *ids):
                        reset = self.limiter.get_window_stats(item, key, *ids).reset_time
                        waits.append(reset - self.clock())
        except StorageError as exc:
            raise StoreUnavailable(f"the sign-in throttle's storage failed: {exc}") from exc
        if waits:  # a full window pauses, even should the clocks disagree on how long
            raise TooManyAttempts(MESSAGE, retry_after=max(1, math.ceil(max(waits))))

    def failed(self, name: str, source: str) -> None:
        """Count a failed sign-in of ``name`` from ``source`` under every key."""
        try:
            for key, ids in self._keys(name, source).items():
                for item in self.ladders[key]:
                    self.limiter.hit(item, key, *ids)
        except StorageError as exc:
            raise StoreUnavailable(f"the sign-in throttle's storage failed: {exc}") from exc

    def succeeded(self, name: str, source: str) -> None:
        """Forget the failures of ``name`` from ``source`` (the other keys keep theirs, so one's
        own account cannot wash an address's or a name's count)."""
        folded = name.casefold()[:100]
        try:
            for item in self.ladders["name+source"]:
                self.limiter.clear(item, "name+source", folded, source)
        except StorageError as exc:
            raise StoreUnavailable(f"the sign-in throttle's storage failed: {exc}") from exc
