"""Columnar contacts from file to file (issue 22) against the validating pandas path."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cordon.errors import ImportRefused
from cordon.formats.columnar import read_presence
from cordon.formats.tables import Format
from cordon.formats.writers import write_table
from cordon.services import contacts as service
from cordon.store.db import Store
from tests.services.test_contacts import LEAD, files, loaded  # noqa: F401
from tests.services.test_contacts import UTC as UTC_ZONE

ZONE = ZoneInfo("Europe/Paris")
T0 = 1_795_500_000
IDS = ["p1", "p2", "p10", "=sum", "a,b", 'q"t', "é-1", "lab/1", "x y"]
PLACES = ["hall", "m,ess", "lab/1", "=cmd"]


def _rows(path: Path, fmt: Format) -> list[dict[str, object]]:
    """The rows of a contacts file as plain values, whatever the encoding of the ids."""
    if fmt is Format.PARQUET:
        table = pq.read_table(path)
        plain = [
            c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in table.columns
        ]
        return pa.table(plain, names=table.column_names).to_pylist()
    if fmt is Format.JSONL:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.to_dict("records")  # type: ignore[return-value]


def _stamp(seconds: int, style: str) -> object:
    if style == "epoch":
        return seconds
    moment = datetime.fromtimestamp(seconds, UTC)
    if style == "utc":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M:%S")  # naive: station time


intervals = st.lists(
    st.tuples(
        st.sampled_from(IDS),
        st.sampled_from(PLACES),
        st.integers(0, 20_000),
        st.integers(0, 4_000),
    ),
    min_size=1,  # a file with no rows is refused by both paths ("has no rows")
    max_size=60,
)


def _write_presence(
    folder: Path, rows: list[tuple[str, str, int, int]], style: str, kind: str
) -> Path:
    if kind == "parquet":
        path = folder / "presence.parquet"
        table = pa.table(
            {
                "person": pa.array([r[0] for r in rows], pa.string()),
                "place": pa.array([r[1] for r in rows], pa.string()),
                "start": pa.array([T0 + r[2] for r in rows], pa.int64()),
                "end": pa.array([T0 + r[2] + r[3] for r in rows], pa.int64()),
            }
        )
        pq.write_table(table, path, row_group_size=max(len(rows) // 3, 1))
        return path
    path = folder / "presence.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person", "place", "start", "end"])
        for person, place, start, length in rows:
            s = T0 + start
            writer.writerow([person, place, _stamp(s, style), _stamp(s + length, style)])
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=intervals,
    style=st.sampled_from(["epoch", "utc", "naive"]),
    kind=st.sampled_from(["csv", "parquet"]),
    out=st.sampled_from(list(Format)),
    min_overlap=st.sampled_from([0, 60, 300]),
    chunk=st.integers(1, 50),
    exclude=st.lists(st.sampled_from(PLACES), max_size=1),
)
def test_columnar_output_is_the_validating_paths(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, int, int]],
    style: str,
    kind: str,
    out: Format,
    min_overlap: int,
    chunk: int,
    exclude: list[str],
) -> None:
    folder = tmp_path_factory.mktemp("columnar")
    presence = _write_presence(folder, rows, style, kind)
    fmt = Format.CSV if kind == "csv" else Format.PARQUET
    assert read_presence(presence, fmt, ZONE) is not None  # the columnar reader took the file
    old = service.contacts_from_file(
        presence, min_overlap=min_overlap, zone=ZONE, exclude_places=exclude
    )
    old_path = write_table(old.frame, folder / f"old.{out.value}")
    done = service.contacts_file_to_file(
        presence, folder / f"new.{out.value}", min_overlap=min_overlap, zone=ZONE,
        exclude_places=exclude, chunk=chunk, limit=5,
    )  # fmt: skip
    assert done.count == len(old)
    assert done.quality is not None
    assert done.quality.to_dict() == old.quality.to_dict()
    assert done.quality.persons.tolist() == old.quality.persons.tolist()
    assert _rows(done.path, out) == _rows(old_path, out)
    assert done.head == json.loads(json.dumps(old.to_dict(limit=5)["contacts"]))
    plain = not any(c in x for x in IDS + PLACES for c in ',"') or not rows
    if out is Format.CSV and plain:
        assert done.path.read_bytes() == old_path.read_bytes()


def test_a_padded_id_takes_the_validating_reader(tmp_path: Path) -> None:
    presence = tmp_path / "p.csv"
    presence.write_text(
        "person,place,start,end\n p1 ,hall,0,600\nP2,hall,100,900\np3,hall ,0,50\n"
    )  # padded, and in another case than the directory's: both read as the importer reads
    assert read_presence(presence, Format.CSV, ZONE) is None
    old = service.contacts_from_file(presence, min_overlap=60)
    done = service.contacts_file_to_file(presence, tmp_path / "c.csv", min_overlap=60)
    assert _rows(done.path, Format.CSV) == _rows(
        write_table(old.frame, tmp_path / "o.csv"), Format.CSV
    )
    assert done.head[0]["a"] == "p1"


def test_a_bad_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    presence = tmp_path / "p.csv"
    presence.write_text("person,place,start,end\np1,hall,0,600\np2,hall,900,100\n")
    out = tmp_path / "c.parquet"
    with pytest.raises(ImportRefused) as refused:
        service.contacts_file_to_file(presence, out)
    assert [(e.line, e.column) for e in refused.value.errors] == [(3, "end")]
    assert not out.exists()


def test_the_store_path_writes_what_the_file_path_writes(
    loaded: Store,  # noqa: F811
    files: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    with loaded.session() as session:
        from_store = service.contacts_to_file(
            session, tmp_path / "store.parquet", actor=LEAD, min_overlap=300
        )
    from_file = service.contacts_file_to_file(
        files["presence"], tmp_path / "file.parquet", exclude_places=["ring-a"], zone=UTC_ZONE
    )
    assert from_store.count == from_file.count == 3
    assert _rows(from_store.path, Format.PARQUET) == _rows(from_file.path, Format.PARQUET)


def test_ids_are_dictionary_encoded_in_parquet(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    done = service.contacts_file_to_file(files["presence"], tmp_path / "c.parquet")
    schema = pq.read_schema(done.path)
    assert all(pa.types.is_dictionary(schema.field(n).type) for n in ("a", "b", "place"))
    assert schema.field("start").type == pa.int64()
