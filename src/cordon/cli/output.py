"""Printing results: Rich tables for people, JSON for programs, one clear line for errors."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any

from rich.console import Console
from rich.table import Table

from cordon.times import local_time

__all__ = ["NO_WRAP", "console", "emit_json", "error", "moment", "shown", "table"]

NO_WRAP = frozenset(
    {"id", "#", "person", "a", "b", "at", "when", "start", "end", "expiry", "since", "time",
     "kind", "status", "severity", "day", "gen", "order", "exit", "credential", "role", "where",
     "place", "door", "via", "guard", "room", "scenario"}
)  # fmt: skip
"""Columns kept on one line (ids, times, states): the other columns wrap to fit the terminal."""

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
    """Print a Rich table that fits the terminal: ids, times and states (``NO_WRAP``) stay on
    one line, free text wraps."""
    grid = Table(title=title, title_justify="left", header_style="bold", padding=(0, 1))
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    for k, name in enumerate(columns):
        keep = name in NO_WRAP or name.split(" ")[-1] in NO_WRAP or _all_times(cells, k)
        grid.add_column(name, overflow="ellipsis" if keep else "fold", no_wrap=keep)
    for row in cells:
        grid.add_row(*row)
    console.print(grid)


_TIME = re.compile(r"\d{4}-\d\d-\d\d( \d\d:\d\d(:\d\d)?)?")


def _all_times(cells: list[list[str]], column: int) -> bool:
    values = [row[column] for row in cells if column < len(row) and row[column]]
    return bool(values) and all(_TIME.fullmatch(v) for v in values)


def shown(count: int, total: int, what: str = "rows") -> None:
    """Say when a listing is cut: ``50 of 73 rows shown, use --limit 0 for all``."""
    if count < total:
        console.print(f"{count:,} of {total:,} {what} shown, use --limit 0 for all")
