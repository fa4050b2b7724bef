"""Writing tables to CSV, Parquet or JSON lines; CSV cells are made safe for spreadsheets."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cordon.formats.tables import Format, detect_format

__all__ = ["safe_cell", "write_rejects", "write_table"]

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` so it is not."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_table(frame: pd.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write ``frame`` in the format named by ``fmt`` or by the file's suffix."""
    file_format = detect_format(path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format is Format.PARQUET:
        frame.to_parquet(path, index=False)
    elif file_format is Format.JSONL:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        safe = frame.copy()
        for name in safe.columns:
            if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name].dtype):
                safe[name] = safe[name].map(safe_cell)
        safe.to_csv(path, index=False)
    return path


def write_rejects(rejected: pd.DataFrame, path: Path) -> Path:
    """Write the refused rows (original columns, their line and every problem) as CSV."""
    return write_table(rejected, path, "csv")
