"""The sign-in throttle on a clock the test holds: a slow, shared machine (an Argon2 hash can
take seconds there) must not let a window pass between two tries that a test means as a burst."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import FastAPI

from cordon.runtime.throttle import SignInThrottle

__all__ = ["FakeClock", "hold_the_clock", "hold_the_throttle"]


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def hold_the_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock that ``limits``' memory storage keeps its windows by, held by the test."""
    import limits.storage.memory

    fake = FakeClock()
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=fake.time))
    return fake


def hold_the_throttle(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Give ``app`` a fresh in-memory sign-in throttle on a held clock."""
    clock = hold_the_clock(monkeypatch)
    app.state.sign_ins = SignInThrottle("memory://", clock=clock.time)
    return clock
