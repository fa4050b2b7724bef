"""Printing results: Rich tables for people, JSON for programs, one clear line for errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any

from rich.console import Console
from rich.table import Table

from cordon.times import local_time

__all__ = ["console", "emit_json", "error", "moment", "table"]

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON to standard output (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def error(message: str) -> None:
    """Print one error line on standard error."""
    errors.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)


def moment(epoch: int | float | None, zone: tzinfo | None = None) -> str:
    """A time as people read it in the station zone: ``2026-11-24 08:00:00``."""
    return local_time(epoch, zone)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a Rich table."""
    grid = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    console.print(grid)
