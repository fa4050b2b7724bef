"""Reading a CSV, Parquet or JSON-lines file into columns of text, with each row's line number."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cordon.errors import ImportRefused, RowError
from cordon.formats import jsondoc

if TYPE_CHECKING:  # pandas is imported by the readers that build frames
    import pandas as pd

__all__ = ["Format", "RawTable", "detect_format", "read_table", "records_table"]


class Format(StrEnum):
    """The file formats cordon reads and writes."""

    CSV = "csv"
    PARQUET = "parquet"
    JSONL = "jsonl"


_SUFFIXES = {
    ".csv": Format.CSV,
    ".tsv": Format.CSV,
    ".txt": Format.CSV,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,
}


def detect_format(path: Path, given: str | None = None) -> Format:
    """The format named by ``given``, or else by the file's suffix."""
    if given:
        try:
            return Format(given.lower())
        except ValueError:
            raise ImportRefused(
                str(path), [], problem=f"unknown format {given!r} (use csv, parquet or jsonl)"
            ) from None
    for suffix in reversed(path.suffixes):
        if suffix.lower() in _SUFFIXES:
            return _SUFFIXES[suffix.lower()]
    raise ImportRefused(
        str(path),
        [],
        problem="cannot tell the format from the name: pass --format csv|parquet|jsonl",
    )


@dataclass
class RawTable:
    """A file's rows as a DataFrame (text, or typed for Parquet), their line numbers, and rows
    that could not even be split into fields."""

    frame: pd.DataFrame
    lines: np.ndarray
    broken: list[RowError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)


def read_table(path: Path, fmt: Format) -> RawTable:
    """Read ``path`` in ``fmt``; refuses the file whole only when it cannot be read at all."""
    if not path.exists():
        raise ImportRefused(str(path), [], problem="no such file")
    if path.is_dir():
        raise ImportRefused(str(path), [], problem="is a folder, not a file")
    try:
        if fmt is Format.CSV:
            raw = _read_csv(path)
        elif fmt is Format.PARQUET:
            raw = _read_parquet(path)
        else:
            raw = _read_jsonl(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ImportRefused(str(path), [], problem=f"cannot be read as {fmt.value}: {exc}") from exc
    if not len(raw) and not raw.broken:
        raise ImportRefused(str(path), [], problem="has no rows")
    return raw


def records_table(records: Sequence[Mapping[str, Any]]) -> RawTable:
    """Rows posted as JSON objects (a badge reader's batch), as a file's rows would be read:
    values as text, row ``n`` numbered as line ``n``."""
    import pandas as pd

    rows = [{str(k).strip(): _as_text(v) for k, v in record.items()} for record in records]
    frame = pd.DataFrame.from_records(rows).fillna("") if rows else pd.DataFrame()
    return RawTable(frame=frame, lines=np.arange(1, len(rows) + 1, dtype=np.int64))


def _first_bad_utf8_line(path: Path) -> int | None:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _read_csv(path: Path) -> RawTable:
    bad_line = _first_bad_utf8_line(path)
    if bad_line is not None:
        raise ImportRefused(
            str(path), [], problem=f"is not UTF-8 text (first bad byte on line {bad_line})"
        )
    with path.open("r", encoding="utf-8-sig") as handle:
        header = handle.readline()
    if not header.strip():
        raise ImportRefused(str(path), [], problem="is empty (no header line)")
    delimiter = "\t" if header.count("\t") > header.count(",") else ","
    names = [n.strip() for n in next(csv.reader([header.rstrip("\r\n")], delimiter=delimiter))]
    if path.stat().st_size <= len(header.encode("utf-8")) + 3:
        import pandas as pd

        return RawTable(frame=pd.DataFrame(columns=names), lines=np.zeros(0, dtype=np.int64))
    broken: list[RowError] = []

    def invalid(row: pacsv.InvalidRow) -> str:
        broken.append(
            RowError(
                line=row.number or 0,  # a record number until _physical_lines
                column="(row)",
                value=row.text,
                reason=f"has {row.actual_columns} fields, the header has {row.expected_columns}",
            )
        )
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )
    table = table.rename_columns([n.strip() for n in table.column_names])
    lines, broken = _physical_lines(table, broken)
    return RawTable(frame=table.to_pandas(), lines=lines, broken=broken)


def _physical_lines(table: pa.Table, broken: list[RowError]) -> tuple[np.ndarray, list[RowError]]:
    """Turn record numbers into the line numbers an editor shows (quoted values may span lines).

    pyarrow numbers skipped rows by record (the header is record 1); good rows get theirs from
    their position among the skipped ones.
    """
    n = table.num_rows
    newlines = np.zeros(n, dtype=np.int64)
    for column in table.columns:
        counts = pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
        newlines += np.nan_to_num(counts).astype(np.int64)
    skipped = np.asarray(sorted(e.line for e in broken), dtype=np.int64)
    records = 2 + np.arange(n, dtype=np.int64)
    if len(skipped):
        records = records + np.searchsorted(
            skipped - np.arange(len(skipped)), records, side="right"
        )
    by_record = sorted(broken, key=lambda e: e.line)
    all_records = np.concatenate([records, skipped])
    all_newlines = np.concatenate([newlines, [e.value.count("\n") for e in by_record]]).astype(
        np.int64
    )
    order = np.argsort(all_records, kind="stable")
    before = np.zeros(len(order), dtype=np.int64)
    before[order] = np.concatenate(([0], np.cumsum(all_newlines[order])[:-1])) if len(order) else []
    lines = all_records + before
    fixed = [replace(e, line=int(lines[n + k])) for k, e in enumerate(by_record)]
    return np.asarray(lines[:n], dtype=np.int64), fixed


def _read_parquet(path: Path) -> RawTable:
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(frame=frame, lines=np.arange(1, len(frame) + 1, dtype=np.int64))


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _read_jsonl(path: Path) -> RawTable:
    import pandas as pd

    rows: list[dict[str, str]] = []
    lines: list[int] = []
    broken: list[RowError] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = jsondoc.loads(raw)
            except jsondoc.TooDeep as exc:
                text = raw[:200].decode("utf-8", errors="replace").strip()
                broken.append(RowError(number, "(row)", text, f"is refused: it {exc}"))
                continue
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                text = raw.decode("utf-8", errors="replace").strip()
                broken.append(RowError(number, "(row)", text, f"is not valid JSON: {exc}"))
                continue
            if not isinstance(record, dict):
                broken.append(
                    RowError(number, "(row)", raw.decode().strip(), "is not a JSON object")
                )
                continue
            rows.append({str(k).strip(): _as_text(v) for k, v in record.items()})
            lines.append(number)
    frame = pd.DataFrame.from_records(rows).fillna("") if rows else pd.DataFrame()
    return RawTable(frame=frame, lines=np.asarray(lines, dtype=np.int64), broken=broken)
