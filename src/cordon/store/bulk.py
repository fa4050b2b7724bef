"""Fast bulk loads that skip rows already stored: executemany for SQLite, COPY for PostgreSQL.

Both paths run inside the caller's transaction, so a failure or interrupt loses the whole load.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

__all__ = ["insert_ignore"]

Progress = Callable[[int], None]
"""Called with the number of rows just written."""

CHUNK = 100_000


def insert_ignore(
    session: Session,
    table: Table,
    data: Mapping[str, Any],
    *,
    progress: Progress | None = None,
) -> int:
    """Insert the rows given column-wise in ``data``, skipping any that a unique key already holds.

    Returns how many rows were added. Lists of strings (JSON columns) are stored as JSON text.
    """
    names = list(data)
    n = len(next(iter(data.values()))) if names else 0
    if n == 0:
        return 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_postgres(session, table, names, data, n, progress)
    return _executemany(session, table, names, data, n, progress)


def _python_column(table: Table, name: str, values: Any) -> list[Any]:
    if isinstance(table.c[name].type, JSON):
        return ["[]" if isinstance(v, list) and not v else json.dumps(v) for v in values]
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return [None if np.isnan(v) else float(v) for v in values.tolist()]
        if values.dtype.kind == "b":
            return [bool(v) for v in values.tolist()]
        return list(values.tolist())
    return list(values)


def _executemany(
    session: Session,
    table: Table,
    names: Sequence[str],
    data: Mapping[str, Any],
    n: int,
    progress: Progress | None,
) -> int:
    cursor = session.connection().connection.cursor()
    quoted = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" for _ in names)
    sql = f'INSERT OR IGNORE INTO "{table.name}" ({quoted}) VALUES ({marks})'  # noqa: S608 (names are ours)
    added = 0
    try:
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            columns = [_python_column(table, name, data[name][lo:hi]) for name in names]
            cursor.executemany(sql, list(zip(*columns, strict=True)))
            added += max(cursor.rowcount, 0)
            if progress:
                progress(hi - lo)
    finally:
        cursor.close()
    return added


def _arrow_column(table: Table, name: str, values: Any) -> pa.Array:
    if isinstance(table.c[name].type, JSON):
        return pa.array([json.dumps(v) for v in values], type=pa.string())
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return pa.array(values, mask=np.isnan(values))
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pa.array(values.tolist())
    return pa.array(values)


def _copy_postgres(
    session: Session,
    table: Table,
    names: Sequence[str],
    data: Mapping[str, Any],
    n: int,
    progress: Progress | None,
) -> int:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    quoted = ", ".join(f'"{name}"' for name in names)
    staging = f"_cordon_load_{table.name}"
    with raw.cursor() as cursor:
        cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" ON COMMIT DROP AS '  # noqa: S608
            f'SELECT {quoted} FROM "{table.name}" WITH NO DATA'
        )
        cursor.execute(f'TRUNCATE "{staging}"')
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            batch = pa.table(
                {name: _arrow_column(table, name, data[name][lo:hi]) for name in names}
            )
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, write_options=pacsv.WriteOptions(include_header=False))
            with cursor.copy(f'COPY "{staging}" ({quoted}) FROM STDIN (FORMAT csv)') as copy:
                copy.write(buffer.getvalue())
            if progress:
                progress(hi - lo)
        cursor.execute(
            f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{staging}" '  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        added = cursor.rowcount
        cursor.execute(f'TRUNCATE "{staging}"')
    return max(int(added), 0)
