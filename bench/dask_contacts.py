"""Contacts on Dask, out of core: a partitioned presence dataset on disk, workers with a memory
limit well below the data's size (issue 22).

Run: ``.venv/bin/python -m bench dask_contacts`` (``BENCH_INTERVALS`` presence intervals,
default 3e7, written as ``BENCH_FILES`` Parquet files, default 60; ``BENCH_WORKERS`` worker
processes, default 2, each one thread with ``BENCH_WORKER_MEMORY``, default 1GiB;
``BENCH_PARTITIONS`` partitions of each shuffle, default 64). The presence log is the one of
``bench.presence`` (20,000 people, 2,000 places), written day by day with string ids. Reported:
contacts and wall time of ``contacts_on_dask`` into a folder of Parquet parts, intervals per
second, the peak resident memory of each worker process, and the sizes on disk.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.presence import presence_log

T0 = 1_795_000_000


def _size(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**30


def _write(folder: Path, n: int, files: int) -> None:
    folder.mkdir()
    rng = np.random.default_rng(9)
    per = -(-n // files)
    for k in range(files):
        m = min(per, n - k * per)
        if m <= 0:
            break
        p, q, s, e = presence_log(m, seed=int(rng.integers(1 << 30)))
        offset = k * (m // (20_000 * 12) or 1) * 86_400  # each file its own days
        table = pa.table(
            {
                "person": pa.array(np.char.add("P", np.char.zfill(p.astype(str), 5)).tolist()),
                "place": pa.array(np.char.add("Q", np.char.zfill(q.astype(str), 4)).tolist()),
                "start": pa.array(s + T0 + offset, pa.int64()),
                "end": pa.array(e + T0 + offset, pa.int64()),
            }
        )
        pq.write_table(table, folder / f"presence-{k:04d}.parquet")


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    """Write the dataset, start the local cluster with its memory limit, run, report."""
    import distributed

    from cordon.services.contacts_dask import contacts_on_dask

    n = int(float(os.environ.get("BENCH_INTERVALS", "3e7")))
    files = int(os.environ.get("BENCH_FILES", "60"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    memory = os.environ.get("BENCH_WORKER_MEMORY", "1GiB")
    partitions = int(os.environ.get("BENCH_PARTITIONS", "64"))
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        _write(folder / "presence", n, files)
        print(f"presence: {n:,} intervals in {files} files, {_size(folder / 'presence'):.2f} GB "
              f"on disk (written in {time.perf_counter() - began:.0f} s)", flush=True)  # fmt: skip
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, memory_limit=memory,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):  # fmt: skip
            began = time.perf_counter()
            done = contacts_on_dask(
                folder / "presence", folder / "contacts", scheduler=client, partitions=partitions
            )
            seconds = time.perf_counter() - began
            peaks = client.run(_peak_gb)
        print(f"{workers} workers x 1 thread, memory limit {memory} each, {partitions} partitions")
        print(f"contacts {done.count:,} in {done.parts} parts, {_size(done.folder):.2f} GB on disk")
        print(f"wall {seconds:.1f} s: {n / seconds:,.0f} intervals/s, "
              f"{done.count / seconds:,.0f} contacts/s")  # fmt: skip
        print("peak resident GB per worker: "
              + ", ".join(f"{v:.2f}" for v in sorted(peaks.values())))  # fmt: skip
        shutil.rmtree(folder / "contacts", ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
