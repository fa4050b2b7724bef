"""Whole-store backups: every table to Parquet in one zip with a manifest of content checksums.

The checksum of a table is the SHA-256 of its rows in key order, written canonically, so the
same records give the same checksum on SQLite and PostgreSQL: a restore is verified by
recomputing it from the database it was written to.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import JSON, Boolean, Float, Table, func, select, text
from sqlalchemy.orm import Session

from cordon.store.bulk import insert_ignore
from cordon.store.files import open_private
from cordon.store.models import Base

__all__ = ["TableDump", "content_checksum", "data_tables", "dump_table", "load_table", "row_counts"]

CHUNK = 100_000


@dataclass(frozen=True)
class TableDump:
    """One table's rows as written into a backup."""

    name: str
    rows: int
    checksum: str
    parquet: bytes


RUNTIME_TABLES = frozenset({"change_version", "job"})
"""The running service's own state, not records: the change signal's versions (a restore bumps
them through the triggers, as any write does) and the jobs of the queue the store had."""


def data_tables() -> list[Table]:
    """Every table of records (not the runtime's), parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in RUNTIME_TABLES]


def _order(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


def _canonical(table: Table, row: Any) -> str:
    values = []
    for column, value in zip(table.columns, row, strict=True):
        if value is not None and isinstance(column.type, JSON):
            value = json.loads(value) if isinstance(value, str) else value
        elif value is not None and isinstance(column.type, Float):
            value = float(value)
        elif value is not None and isinstance(column.type, Boolean):
            value = bool(value)
        values.append(value)
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def _rows(session: Session, table: Table) -> Iterator[list[Any]]:
    result = session.execute(select(table).order_by(*_order(table)))
    while chunk := result.fetchmany(CHUNK):
        yield from (list(r) for r in chunk)


def content_checksum(session: Session, table: Table) -> tuple[str, int]:
    """SHA-256 of the table's rows in key order, written canonically, and how many rows."""
    digest = hashlib.sha256()
    count = 0
    for row in _rows(session, table):
        digest.update(_canonical(table, row).encode())
        digest.update(b"\n")
        count += 1
    return digest.hexdigest(), count


def _arrow_type(column: Any) -> pa.DataType:
    if isinstance(column.type, JSON):
        return pa.string()
    if isinstance(column.type, Boolean):
        return pa.bool_()
    if isinstance(column.type, Float):
        return pa.float64()
    python = column.type.python_type
    return pa.int64() if python is int else pa.string()


def dump_table(session: Session, table: Table) -> TableDump:
    """The table's rows as Parquet bytes, with their checksum and count."""
    columns: dict[str, list[Any]] = {c.name: [] for c in table.columns}
    digest = hashlib.sha256()
    count = 0
    for row in _rows(session, table):
        digest.update(_canonical(table, row).encode())
        digest.update(b"\n")
        count += 1
        for column, value in zip(table.columns, row, strict=True):
            if value is not None and isinstance(column.type, JSON):
                value = json.dumps(value, sort_keys=True)
            columns[column.name].append(value)
    schema = pa.schema([(c.name, _arrow_type(c)) for c in table.columns])
    batch = pa.table(
        {c.name: pa.array(columns[c.name], type=_arrow_type(c)) for c in table.columns},
        schema=schema,
    )
    buffer = io.BytesIO()
    pq.write_table(batch, buffer, compression="zstd")
    return TableDump(table.name, count, digest.hexdigest(), buffer.getvalue())


def load_table(session: Session, table: Table, parquet: bytes) -> int:
    """Insert a dumped table's rows, keys included; returns how many were written."""
    frame = pq.read_table(io.BytesIO(parquet))
    if frame.num_rows == 0:
        return 0
    data: dict[str, Any] = {}
    for column in table.columns:
        values = frame.column(column.name).to_pylist()
        if isinstance(column.type, JSON):
            values = [None if v is None else json.loads(v) for v in values]
            data[column.name] = values
        else:
            data[column.name] = np.array(values, dtype=object)
    written = insert_ignore(session, table, data)
    if session.get_bind().dialect.name == "postgresql":
        for key in table.primary_key.columns:
            if key.autoincrement is not False and key.type.python_type is int:
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "  # noqa: S608
                        f'(SELECT max("{key.name}") FROM "{table.name}"))'
                    )
                )
    return written


def row_counts(session: Session) -> dict[str, int]:
    """How many rows each table holds."""
    return {
        t.name: int(session.scalar(select(func.count()).select_from(t)) or 0) for t in data_tables()
    }


def write_zip(path: Path, manifest: dict[str, Any], dumps: list[TableDump]) -> None:
    """Write the backup zip: ``manifest.json`` and one Parquet file per table."""
    with (
        open_private(path) as out,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        for dump in dumps:
            archive.writestr(f"{dump.name}.parquet", dump.parquet)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
