"""Contacts on a Dask cluster (issue 22): a local ``distributed`` cluster of two workers gives,
row for row, the single-machine output, with intervals crossing day boundaries, own overlaps,
zero-length and excluded places."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import distributed
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cordon.services import contacts as service
from cordon.services.contacts_dask import contacts_on_dask

T0 = 1_795_500_000
HOUR = 3_600


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


def _rows(paths: list[Path]) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    for path in paths:
        table = pq.read_table(path)
        plain = [
            c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in table.columns
        ]
        found += [tuple(r.values()) for r in pa.table(plain, names=table.column_names).to_pylist()]
    return sorted(found)


def _dataset(folder: Path, rows: list[tuple[int, int, int, int]], files: int) -> Path:
    """The presence rows as a dataset of several Parquet files (and one file for one machine)."""
    table = pa.table(
        {
            "person": pa.array([f"p{r[0]}" for r in rows], pa.string()),
            "place": pa.array([f"q{r[1]}" for r in rows], pa.string()),
            "start": pa.array([T0 + r[2] for r in rows], pa.int64()),
            "end": pa.array([T0 + r[2] + r[3] for r in rows], pa.int64()),
        }
    )
    pq.write_table(table, folder / "one.parquet")
    dataset = folder / "dataset"
    dataset.mkdir()
    step = max(len(rows) // files, 1)
    for k, lo in enumerate(range(0, max(len(rows), 1), step)):
        pq.write_table(table.slice(lo, step), dataset / f"part-{k}.parquet")
    return dataset


def _compare(
    client: distributed.Client,
    folder: Path,
    rows: list[tuple[int, int, int, int]],
    *,
    min_overlap: int,
    day: int,
    exclude: list[str],
) -> int:
    dataset = _dataset(folder, rows, files=3)
    single = service.contacts_file_to_file(
        folder / "one.parquet", folder / "single.parquet", min_overlap=min_overlap,
        exclude_places=exclude,
    )  # fmt: skip
    done = contacts_on_dask(
        dataset, folder / "parts", scheduler=client, min_overlap=min_overlap,
        exclude_places=exclude, partitions=3, day=day,
    )  # fmt: skip
    assert done.count == single.count
    assert _rows(sorted(done.folder.glob("*.parquet"))) == _rows([single.path])
    assert single.quality is not None
    assert done.quality == single.quality.to_dict()
    return done.count


def test_a_week_of_presence_gives_the_single_machine_rows(
    client: distributed.Client, tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    n = 3_000
    start = rng.integers(0, 7 * 86_400, n)
    length = np.where(rng.random(n) < 0.1, rng.integers(86_400, 3 * 86_400, n),  # multi-day
                      rng.integers(0, 4 * HOUR, n))  # fmt: skip
    rows = list(zip(rng.integers(0, 300, n).tolist(), rng.integers(0, 12, n).tolist(),
                    start.tolist(), length.tolist(), strict=True))  # fmt: skip
    count = _compare(client, tmp_path, rows, min_overlap=300, day=86_400, exclude=["q3"])
    assert count > 1_000  # a real workload, not an empty comparison


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 6), st.integers(0, 2), st.integers(0, 6 * HOUR), st.integers(0, 3 * HOUR)
        ),
        min_size=1,
        max_size=40,
    ),
    min_overlap=st.sampled_from([0, 60, 900]),
    day=st.sampled_from([HOUR, 2 * HOUR, 86_400]),
)
def test_partitions_by_place_and_day_lose_and_repeat_nothing(
    client: distributed.Client,
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[int, int, int, int]],
    min_overlap: int,
    day: int,
) -> None:
    _compare(client, tmp_path_factory.mktemp("dask"), rows, min_overlap=min_overlap, day=day,
             exclude=[])  # fmt: skip


def test_a_trace_over_contacts_derived_on_dask_is_the_single_machine_trace(
    client: distributed.Client, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    rows = list(zip(rng.integers(0, 200, n).tolist(), rng.integers(0, 8, n).tolist(),
                    rng.integers(0, 5 * 86_400, n).tolist(),
                    rng.integers(0, 6 * HOUR, n).tolist(), strict=True))  # fmt: skip
    dataset = _dataset(tmp_path, rows, files=4)
    kwargs = {"direction": "both", "latent_s": 3_600, "infectious_s": 2 * 86_400}
    here = service.trace_from_files(["p1", "p2"], presence=tmp_path / "one.parquet", **kwargs)
    there = service.trace_from_files(["p1", "p2"], presence=dataset, scheduler=client, **kwargs)
    assert len(here.forward) > 10
    assert there.to_dict() == here.to_dict()
