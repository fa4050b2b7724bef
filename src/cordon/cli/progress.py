"""A Rich progress bar that only appears when a job has run for more than a second."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cordon.cli.output import errors

__all__ = ["LazyProgress"]


class LazyProgress:
    """Implements the services' Progress protocol; shows a bar on stderr after ``delay`` seconds."""

    def __init__(self, delay: float = 1.0, enabled: bool = True) -> None:
        self.delay = delay
        self.enabled = enabled and errors.is_terminal
        self.began = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._phase: tuple[str, int | None, int] = ("", None, 0)

    def __enter__(self) -> LazyProgress:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _show(self) -> None:
        if self._bar is None and self.enabled and time.monotonic() - self.began >= self.delay:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=errors,
                transient=True,
            )
            self._bar.start()
            name, total, done = self._phase
            self._task = self._bar.add_task(name, total=total, completed=done)

    def phase(self, name: str, total: int | None = None) -> None:
        """Start a new phase (a new line of the bar)."""
        self._phase = (name, total, 0)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=name, total=total, completed=0)
        self._show()

    def advance(self, amount: int) -> None:
        """Count work done in the current phase."""
        name, total, done = self._phase
        self._phase = (name, total, done + amount)
        self._show()
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done + amount)
