"""How long-running services report progress, without knowing who is watching."""

from __future__ import annotations

from typing import Protocol

__all__ = ["NO_PROGRESS", "Progress"]


class Progress(Protocol):
    """Receives the phases of a long job and how far each has come."""

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts; ``total`` units of work if known."""

    def advance(self, amount: int) -> None:
        """``amount`` more units of the current phase are done."""


class _Silent:
    def phase(self, name: str, total: int | None = None) -> None:
        return

    def advance(self, amount: int) -> None:
        return


NO_PROGRESS: Progress = _Silent()
"""A progress sink that ignores everything."""
