"""Presence in and contacts out as Arrow columns: ids dictionary-encoded, no Python objects.

:func:`read_presence` reads a canonical presence file (CSV or Parquet) with pyarrow into integer
codes over the sorted ids (the order the validating reader gives them), with times as epoch
seconds. It answers ``None`` when the file needs the row-by-row validation of
:mod:`cordon.formats.schemas` (a missing, empty or padded id, a time that is not clean ISO-8601
or epoch seconds, an end before its start, a type it does not read): the caller then takes that
path, which names every bad row. :class:`ContactWriter` writes contacts chunk by chunk to
Parquet, CSV or JSON lines, so memory is bounded by a chunk, not by the output.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cordon.domain.ids import normalise_id
from cordon.formats.tables import Format
from cordon.times import MAX_TIME, MIN_TIME

__all__ = ["CONTACT_COLUMNS", "ContactWriter", "PresenceCodes", "id_codes", "read_presence"]

CONTACT_COLUMNS = ("a", "b", "place", "start", "end", "duration_s", "route", "source")
"""The columns of a contacts file, in order (times as epoch seconds, as the store keeps them)."""
_PRESENCE = ("person", "place", "start", "end")
_ID_TYPES = (pa.string(), pa.large_string())


@dataclass(frozen=True)
class PresenceCodes:
    """A presence log as int64 codes into sorted id lists, and epoch seconds."""

    people: pa.Array
    places: pa.Array
    person: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


def read_presence(path: Path, fmt: Format, zone: ZoneInfo) -> PresenceCodes | None:
    """The presence file at ``path`` as codes, or None when it needs row-by-row validation."""
    try:
        if fmt is Format.CSV:
            table = _read_csv(path)
        elif fmt is Format.PARQUET:
            table = _read_parquet(path)
        else:
            return None
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table is None:
        return None
    people, person = _codes(table.column("person"))
    places, place = _codes(table.column("place"))
    start = _seconds(table.column("start"), zone)
    end = _seconds(table.column("end"), zone)
    if people is None or places is None or start is None or end is None:
        return None
    assert person is not None and place is not None
    if len(start) and (
        start.min() < MIN_TIME
        or end.min() < MIN_TIME
        or start.max() >= MAX_TIME
        or end.max() >= MAX_TIME
        or bool((end < start).any())
    ):
        return None
    return PresenceCodes(people, places, person, place, start, end)


def _names(path: Path) -> dict[str, str] | None:
    """Each canonical column's name as written in the CSV header (names are stripped)."""
    with path.open("r", encoding="utf-8-sig") as handle:
        header = handle.readline()
    if "\t" in header or not header.strip():
        return None
    written = next(csv.reader([header.rstrip("\r\n")]))
    stripped = {n.strip(): n for n in written}
    if len(stripped) != len(written) or not all(c in stripped for c in _PRESENCE):
        return None
    return {c: stripped[c] for c in _PRESENCE}


def _read_csv(path: Path) -> pa.Table | None:
    names = _names(path)
    if names is None:
        return None
    ids = pa.dictionary(pa.int32(), pa.string())
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            include_columns=[names[c] for c in _PRESENCE],
            column_types={
                names["person"]: ids,
                names["place"]: ids,
                names["start"]: pa.string(),
                names["end"]: pa.string(),
            },
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.rename_columns(list(_PRESENCE))


def _read_parquet(path: Path) -> pa.Table | None:
    schema = pq.read_schema(path)
    stripped = {n.strip(): n for n in schema.names}
    if len(stripped) != len(schema.names) or not all(c in stripped for c in _PRESENCE):
        return None
    columns = [stripped[c] for c in _PRESENCE]
    text = [stripped[c] for c in ("person", "place") if schema.field(stripped[c]).type in _ID_TYPES]
    table = pq.read_table(path, columns=columns, read_dictionary=text)
    return table.rename_columns(list(_PRESENCE))


def id_codes(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Sorted distinct ids of a text column and each row's code into them."""
    if column.null_count or not len(column):
        if not len(column):
            return pa.array([], pa.string()), np.zeros(0, dtype=np.int64)
        raise ValueError("ids must not be missing")
    dictionary, codes = _codes(column, check=False)
    assert dictionary is not None and codes is not None
    return dictionary, codes


def _codes(
    column: pa.ChunkedArray, *, check: bool = True
) -> tuple[pa.Array | None, np.ndarray | None]:
    """Sorted distinct ids and each row's code into them; (None, None) if not clean ids."""
    if column.null_count:
        return None, None
    if pa.types.is_integer(column.type):
        column = pc.cast(column, pa.string())  # the validating reader reads 12 as "12"
    if not pa.types.is_dictionary(column.type):
        if column.type not in _ID_TYPES:
            return None, None
        column = pc.dictionary_encode(column)
    joined = pa.chunked_array(column.chunks, type=column.type).unify_dictionaries()
    chunks = joined.chunks
    dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
    indices = np.concatenate(
        [c.indices.to_numpy(zero_copy_only=False).astype(np.int64) for c in chunks]
        or [np.zeros(0, dtype=np.int64)]
    )
    if dictionary.type not in _ID_TYPES:
        return None, None
    used = np.bincount(indices, minlength=len(dictionary)) > 0
    if not used.all():
        keep = np.flatnonzero(used)
        remap = np.full(len(dictionary), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        dictionary, indices = dictionary.take(pa.array(keep)), remap[indices]
    if (
        check
        and len(dictionary)
        and (
            not pc.all(pc.equal(pc.utf8_trim_whitespace(dictionary), dictionary)).as_py()
            or pc.min(pc.utf8_length(dictionary)).as_py() == 0
        )
    ):
        return None, None  # padded or empty ids: the validating reader strips and flags them
    if check and any(v != normalise_id(v) for v in dictionary.to_pylist()):
        return None, None  # ids not in the directory's form (case, NFKC): the validating reader
    order = pc.array_sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return dictionary.take(pa.array(order)).cast(pa.string()), rank[indices]


def _seconds(column: pa.ChunkedArray, zone: ZoneInfo) -> np.ndarray | None:
    """Epoch seconds (floored) of integer, timestamp or ISO-8601 / epoch text values."""
    if column.null_count:
        return None
    kind = column.type
    if pa.types.is_integer(kind):
        return np.asarray(column.to_numpy(), dtype=np.int64)
    if pa.types.is_timestamp(kind):
        return _stamp_seconds(column, zone)
    if kind not in _ID_TYPES:
        return None
    try:
        return np.asarray(pc.cast(column, pa.int64()).to_numpy(), dtype=np.int64)
    except pa.ArrowInvalid:
        pass
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            return _stamp_seconds(pc.cast(column, target), zone)
        except pa.ArrowInvalid:
            continue
    return None


def _stamp_seconds(column: pa.ChunkedArray, zone: ZoneInfo) -> np.ndarray | None:
    stamps = (
        column.cast(pa.timestamp("us", tz=column.type.tz)) if column.type.unit != "us" else column
    )
    if stamps.type.tz is None:  # naive means station time
        try:
            stamps = pc.assume_timezone(
                stamps, timezone=zone.key, ambiguous="raise", nonexistent="raise"
            )
        except pa.ArrowInvalid:
            return None
    micros = np.asarray(pc.cast(stamps, pa.int64()).to_numpy(), dtype=np.int64)
    return np.floor_divide(micros, 1_000_000)


# --- contacts out ---------------------------------------------------------------------------


class ContactWriter:
    """Writes contacts chunk by chunk to Parquet, CSV or JSON lines.

    Each chunk gives the codes (into ``people``, ``places``, ``routes``, ``sources``; place -1
    for none) and the times; ids are written dictionary-encoded in Parquet, as text elsewhere.
    """

    def __init__(
        self,
        path: Path,
        fmt: Format,
        *,
        people: pa.Array,
        places: pa.Array,
        routes: list[str],
        sources: list[str],
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._dicts = {
            "person": _strings(people),
            "place": _strings(places),
            "route": pa.array(routes, pa.string()),
            "source": pa.array(sources, pa.string()),
        }
        if fmt is Format.CSV:
            self._dicts = {k: _safe_cells(v) for k, v in self._dicts.items()}
        elif fmt is Format.JSONL:
            self._dicts = {k: _json_strings(v) for k, v in self._dicts.items()}
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pacsv.CSVWriter | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> ContactWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _ids(self, which: str, codes: np.ndarray) -> pa.Array:
        dictionary = self._dicts[which]
        mask = codes < 0
        indices = pa.array(
            np.where(mask, 0, codes).astype(np.int32), mask=mask if mask.any() else None
        )
        if self.fmt is Format.PARQUET:
            return pa.DictionaryArray.from_arrays(indices, dictionary)
        return dictionary.take(indices)

    def write(
        self,
        a: np.ndarray,
        b: np.ndarray,
        place: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        duration: np.ndarray,
        route: np.ndarray,
        source: np.ndarray,
    ) -> None:
        """Append one chunk of contacts."""
        columns = [
            self._ids("person", a),
            self._ids("person", b),
            self._ids("place", place),
            pa.array(start, pa.int64()),
            pa.array(end, pa.int64()),
            pa.array(duration, pa.int64()),
            self._ids("route", route),
            self._ids("source", source),
        ]
        batch = pa.RecordBatch.from_arrays(columns, names=list(CONTACT_COLUMNS))
        self.rows += batch.num_rows
        if self.fmt is Format.PARQUET:
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(
                    self.path, batch.schema, use_dictionary=["a", "b", "place", "route", "source"]
                )
            self._parquet.write_batch(batch)
        elif self.fmt is Format.CSV:
            if self._csv is None:
                plain = all(_plain(d) for d in self._dicts.values())
                self._file = self.path.open("wb")
                self._file.write((",".join(CONTACT_COLUMNS) + "\n").encode())
                self._csv = pacsv.CSVWriter(
                    self._file,
                    batch.schema,
                    write_options=pacsv.WriteOptions(
                        include_header=False, quoting_style="none" if plain else "needed"
                    ),
                )
            self._csv.write_batch(batch)
        else:
            self._write_jsonl(batch)

    def _write_jsonl(self, batch: pa.RecordBatch) -> None:
        if self._file is None:
            self._file = self.path.open("wb")
        pieces: list[pa.Array | str] = []
        for k, name in enumerate(CONTACT_COLUMNS):
            column = batch.column(k)
            text = column if column.type == pa.string() else pc.cast(column, pa.string())
            pieces += [
                ("{" if k == 0 else ",") + json.dumps(name) + ":",
                pc.fill_null(text, "null"),
            ]
        pieces.append("}\n")
        if not batch.num_rows:
            return
        lines = pc.binary_join_element_wise(*pieces, "").cast(pa.large_string())
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
            lines.offset : lines.offset + len(lines) + 1
        ]
        data = lines.buffers()[2]
        assert data is not None
        self._file.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])

    def close(self) -> None:
        """Finish the file (an empty output still gets its header or schema)."""
        if self.rows == 0 and self._parquet is None and self._csv is None and self._file is None:
            z = np.zeros(0, dtype=np.int64)
            self.write(z, z, z, z, z, z, z, z)
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._file is not None:
            self._file.close()


def _strings(values: pa.Array | np.ndarray) -> pa.Array:
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array([str(v) for v in values.tolist()], pa.string())


def _plain(values: pa.Array) -> bool:
    """No value needs CSV quoting (so the file is written as pandas writes it: unquoted)."""
    if not len(values):
        return True
    return not pc.any(pc.match_substring_regex(values, r'[,"\r\n]')).as_py()


def _safe_cells(values: pa.Array) -> pa.Array:
    """Text a spreadsheet would run as a formula, prefixed with ``'`` (as ``write_table``)."""
    from cordon.formats.writers import safe_cell

    return pa.array([safe_cell(v) for v in values.to_pylist()], pa.string())


def _json_strings(values: pa.Array) -> pa.Array:
    return pa.array([json.dumps(v, ensure_ascii=False) for v in values.to_pylist()], pa.string())
