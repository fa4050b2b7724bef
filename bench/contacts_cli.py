"""Whole-process ``cordon contacts`` file to file, against DuckDB's COPY and Polars' join_where.

Run: ``.venv/bin/python -m bench contacts_cli`` (sets from ``BENCH_SIZES``, default
``1.5e6,skewed``; add ``15e6`` for the large one; ``BENCH_TIMEOUT`` seconds per run, default 600;
``BENCH_METHODS`` to pick). Each method is a whole process started from the shell's point of view
(interpreter start, imports, reading the presence Parquet file, the join, writing the contacts
Parquet file), timed from outside; peak memory is the process's maximum resident set.

The presence file has string ids (``P00001``, ``Q0001``) and epoch-second times; each person's
own overlapping intervals in a place are merged beforehand, so that the plain SQL self-join
(same place, other person, overlap of at least 300 s) means what cordon computes. Every method
must give the same rows: the benchmark reads each output back and compares the row count and
the total overlap, and prints DIFFERENT OUTPUT otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.presence import presence_log

MIN_OVERLAP = 300
METHODS = ["cordon", "duckdb", "polars"]

DUCKDB = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute(f'''
COPY (
  SELECT least(x.person, y.person) AS a, greatest(x.person, y.person) AS b, x.place AS place,
         greatest(x.start, y.start) AS start, least(x."end", y."end") AS "end",
         least(x."end", y."end") - greatest(x.start, y.start) AS duration_s,
         'shared_air' AS route, 'derived' AS source
  FROM read_parquet('{sys.argv[1]}') x JOIN read_parquet('{sys.argv[1]}') y
    ON x.place = y.place AND x.person < y.person
   AND least(x."end", y."end") - greatest(x.start, y.start) >= {MIN}
) TO '{sys.argv[2]}' (FORMAT parquet)
''')
"""

POLARS = """
import polars as pl, sys
MIN = {MIN}
p = pl.scan_parquet(sys.argv[1]).filter(pl.col("end") - pl.col("start") >= MIN).with_columns(
    (pl.col("place").cast(pl.Categorical).to_physical().cast(pl.Int64) * (1 << 40)).alias("k")
)
p = p.with_columns((pl.col("k") + pl.col("start")).alias("ks"),
                   (pl.col("k") + pl.col("end") - MIN).alias("ke"))
out = (
    p.join_where(p, pl.col("ks") <= pl.col("ke_right"), pl.col("ks_right") <= pl.col("ke"))
    .filter(pl.col("person") < pl.col("person_right"))
    .select(
        pl.col("person").alias("a"), pl.col("person_right").alias("b"), pl.col("place"),
        pl.max_horizontal("start", "start_right").alias("start"),
        pl.min_horizontal("end", "end_right").alias("end"),
    )
    .with_columns((pl.col("end") - pl.col("start")).alias("duration_s"),
                  pl.lit("shared_air").alias("route"), pl.lit("derived").alias("source"))
    .collect()
)
out.write_parquet(sys.argv[2])
"""


def _presence(n: int, skewed: bool, path: Path) -> int:
    """Write the presence Parquet file (own overlaps merged, zero-length dropped)."""
    from cordon.engine.colocation import merge_own_overlaps

    (p, q, s, e), *_ = merge_own_overlaps(*presence_log(n, skewed=skewed))
    keep = e > s
    p, q, s, e = p[keep], q[keep], s[keep], e[keep]
    order = np.random.default_rng(5).permutation(len(p))
    t0 = 1_795_000_000
    person = np.char.add("P", np.char.zfill(p[order].astype(str), 5))
    place = np.char.add("Q", np.char.zfill(q[order].astype(str), 4))
    table = pa.table(
        {
            "person": pa.array(person.tolist(), pa.string()),
            "place": pa.array(place.tolist(), pa.string()),
            "start": pa.array(s[order] + t0, pa.int64()),
            "end": pa.array(e[order] + t0, pa.int64()),
        }
    )
    pq.write_table(table, path, row_group_size=1 << 20)
    return len(p)


def _command(method: str, presence: Path, out: Path) -> list[str]:
    if method == "cordon":
        cordon = str(Path(sys.executable).with_name("cordon"))
        return [cordon, "contacts", "--presence", str(presence), "--min-overlap",
                str(MIN_OVERLAP), "--out", str(out), "--limit", "0"]  # fmt: skip
    script = (DUCKDB if method == "duckdb" else POLARS).replace("{MIN}", str(MIN_OVERLAP))
    return [sys.executable, "-c", script, str(presence), str(out)]


def _timed(command: list[str], timeout: float) -> tuple[float, float] | None:
    """Wall seconds and peak resident GB of one process (measured by a fresh wrapper)."""
    wrapper = (
        "import resource, subprocess, sys, json, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(json.loads(sys.argv[1]), stdout=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20\n"
        "print(json.dumps([done.returncode, wall, peak]))\n"
    )
    env = {**os.environ, "POLARS_MAX_THREADS": "2", "NUMBA_NUM_THREADS": "2"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", wrapper, json.dumps(command)],
            capture_output=True, text=True, timeout=timeout, env=env, check=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    code, wall, peak = json.loads(done.stdout.strip().splitlines()[-1])
    if code != 0:
        raise RuntimeError(f"{command[0]} failed with exit code {code}")
    return float(wall), float(peak)


def _checksum(path: Path) -> tuple[int, int]:
    table = pq.read_table(path, columns=["start", "end"])
    total = int(np.sum(table["end"].to_numpy() - table["start"].to_numpy()))
    return table.num_rows, total


def main() -> None:
    """Write each presence set, run every method on it in a fresh process, print the table."""
    timeout = float(os.environ.get("BENCH_TIMEOUT", "600"))
    methods = os.environ.get("BENCH_METHODS", ",".join(METHODS)).split(",")
    sizes = os.environ.get("BENCH_SIZES", "1.5e6,skewed").split(",")
    print(f"min overlap {MIN_OVERLAP} s; load average {os.getloadavg()[0]:.1f} at start")
    for size in sizes:
        skewed = size == "skewed"
        n = 1_000_000 if skewed else int(float(size))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            presence = folder / "presence.parquet"
            began = time.perf_counter()
            rows = _presence(n, skewed, presence)
            label = f"{rows:,} presence intervals" + (
                " (skewed: 30% in one canteen)" if skewed else ""
            )
            print(f"\n{label} (written in {time.perf_counter() - began:.0f} s)", flush=True)
            print(f"{'method':<10}{'wall s':>9}{'contacts':>14}{'overlap s':>18}{'peak GB':>9}"
                  f"{'x cordon':>10}")  # fmt: skip
            base: tuple[float, tuple[int, int]] | None = None
            for method in methods:
                out = folder / f"{method}.parquet"
                timed = _timed(_command(method, presence, out), timeout)
                if timed is None:
                    print(f"{method:<10}{'> ' + format(timeout, '.0f'):>9}  (stopped)", flush=True)
                    continue
                wall, peak = timed
                check = _checksum(out)
                out.unlink()
                if base is None:
                    base = (wall, check)
                same = "" if check == base[1] else "  DIFFERENT OUTPUT"
                print(f"{method:<10}{wall:>9.2f}{check[0]:>14,}{check[1]:>18,}{peak:>9.2f}"
                      f"{wall / base[0]:>9.1f}x{same}", flush=True)  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
