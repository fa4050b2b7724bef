"""Co-location contacts: cordon's band scan against DuckDB (two ways) and Polars ``join_where``.

Run: ``.venv/bin/python -m bench colocation`` (sizes from ``BENCH_SIZES``, default
``1e5,1e6,skewed``; add ``1e7`` for the large run; ``BENCH_TIMEOUT`` seconds per run, default
300; a method that times out is not run on the later sizes; ``BENCH_REPEAT`` runs each method
that many times, each in a fresh process, and keeps the fastest). Each method runs in its own
process on the same presence log (saved once as .npy), after the parent touched ``BENCH_PRIME_GB``
(default 6) of memory once, so that no method pays this VM's first-touch cost of never-used
pages (seconds per GB) alone. Reported: seconds, contacts, a checksum of the output (count,
total overlap, sums of a, b and start), the process's peak RSS (VmHWM), and each method's time
over cordon's.

Every method gets the same input and must give the same output: the peers get the intervals
after cordon's merge of a person's own overlapping intervals (cordon's time includes that merge
and its sort) and materialise their result as a table (DuckDB ``CREATE TABLE AS``, Polars
``collect``), as an analyst would to use it.
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

from bench.presence import presence_log

MIN_OVERLAP = 300
METHODS = ["cordon", "duckdb_place", "duckdb_folded", "polars_folded"]
SHIFT = 1 << 40


def _prime(gigabytes: float) -> None:
    if gigabytes > 0:
        block = np.ones(int(gigabytes * 2**30 // 8), dtype=np.int64)
        del block


def _checksum(a: np.ndarray, b: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[int]:
    return [len(a), int((end - start).sum()), int(a.sum()), int(b.sum()), int(start.sum())]


def _merged(folder: Path) -> tuple[np.ndarray, ...]:
    from cordon.engine.colocation import merge_own_overlaps

    raw = [np.load(folder / f"{c}.npy") for c in ("person", "place", "start", "end")]
    (p, q, s, e), *_ = merge_own_overlaps(*raw)
    return p, q, s, e


def run_cordon(folder: Path) -> tuple[float, list[int]]:
    from cordon.engine.colocation import colocation_contacts

    raw = [np.load(folder / f"{c}.npy") for c in ("person", "place", "start", "end")]
    colocation_contacts(*(x[:1000] for x in raw), min_overlap=MIN_OVERLAP)  # load compiled code
    began = time.perf_counter()
    found, _quality = colocation_contacts(*raw, min_overlap=MIN_OVERLAP)
    seconds = time.perf_counter() - began
    return seconds, _checksum(found.a, found.b, found.start, found.end)


def _frame(folder: Path) -> dict[str, np.ndarray]:
    p, q, s, e = _merged(folder)
    keep = (e - s) >= MIN_OVERLAP
    p, q, s, e = p[keep], q[keep], s[keep], e[keep]
    t0 = int(s.min())
    return {
        "id": np.arange(len(p), dtype=np.int64),
        "person": p,
        "place": q,
        "s": s,
        "e": e,
        "ks": q * SHIFT + (s - t0),
        "ke": q * SHIFT + (e - MIN_OVERLAP - t0),
    }


_DUCK_SELECT = """
    SELECT least(x.person, y.person) AS a, greatest(x.person, y.person) AS b, x.place AS place,
           greatest(x.s, y.s) AS s, least(x.e, y.e) AS e
    FROM p x JOIN p y ON {condition}
"""


def _duckdb(folder: Path, condition: str) -> tuple[float, list[int]]:
    import duckdb
    import pandas as pd

    frame = pd.DataFrame(_frame(folder))  # noqa: F841 - DuckDB reads it by name
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT * FROM frame")
    began = time.perf_counter()
    con.execute("CREATE TABLE out AS " + _DUCK_SELECT.format(condition=condition))
    seconds = time.perf_counter() - began
    row = con.execute("SELECT count(*), sum(e - s), sum(a), sum(b), sum(s) FROM out").fetchone()
    assert row is not None
    return seconds, [int(v or 0) for v in row]


def run_duckdb_place(folder: Path) -> tuple[float, list[int]]:
    """DuckDB's default plan for the natural query: equal place, overlap of at least d."""
    return _duckdb(
        folder,
        f"x.place = y.place AND x.id < y.id AND x.s <= y.e - {MIN_OVERLAP} "
        f"AND y.s <= x.e - {MIN_OVERLAP}",
    )


def run_duckdb_folded(folder: Path) -> tuple[float, list[int]]:
    """The place folded into the time axis: a pure inequality (IEJoin) on shrunk intervals."""
    return _duckdb(folder, "x.ks <= y.ke AND y.ks <= x.ke AND x.id < y.id")


def run_polars_folded(folder: Path) -> tuple[float, list[int]]:
    """Polars ``join_where`` on the folded keys (its IEJoin), then the pair order filter."""
    import polars as pl

    frame = pl.DataFrame(_frame(folder))
    began = time.perf_counter()
    out = (
        frame.lazy()
        .join_where(
            frame.lazy(),
            pl.col("ks") <= pl.col("ke_right"),
            pl.col("ks_right") <= pl.col("ke"),
        )
        .filter(pl.col("id") < pl.col("id_right"))
        .select(
            pl.min_horizontal("person", "person_right").alias("a"),
            pl.max_horizontal("person", "person_right").alias("b"),
            pl.col("place"),
            pl.max_horizontal("s", "s_right").alias("s"),
            pl.min_horizontal("e", "e_right").alias("e"),
        )
        .collect()
    )
    seconds = time.perf_counter() - began
    cols = [out[c].to_numpy() for c in ("a", "b", "s", "e")]
    return seconds, _checksum(*cols)


def _peak_gb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def worker(method: str, folder: Path) -> None:
    """Run one method in this process and print its figures as JSON."""
    seconds, checksum = globals()[f"run_{method}"](folder)
    peak = _peak_gb()
    print(json.dumps({"seconds": seconds, "checksum": checksum, "peak_gb": peak}))


def _run(method: str, folder: Path, timeout: float) -> dict[str, object] | None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.colocation", "--worker", method, str(folder)],
            capture_output=True, text=True, timeout=timeout, env=env, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        print(f"  {method} failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
        return {"failed": True}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _sizes() -> list[str]:
    return [s.strip() for s in os.environ.get("BENCH_SIZES", "1e5,1e6,skewed").split(",")]


def main() -> None:
    """Generate each data set, run every method on it, and print a table with ratios."""
    timeout = float(os.environ.get("BENCH_TIMEOUT", "300"))
    methods = os.environ.get("BENCH_METHODS", ",".join(METHODS)).split(",")
    began = time.perf_counter()
    _prime(float(os.environ.get("BENCH_PRIME_GB", "6")))
    print(
        f"min overlap {MIN_OVERLAP} s; memory primed in {time.perf_counter() - began:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    timed_out: dict[tuple[str, bool], str] = {}
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    for size in _sizes():
        skewed = size == "skewed"
        n = 1_000_000 if skewed else int(float(size))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for name, values in zip(
                ("person", "place", "start", "end"), presence_log(n, skewed=skewed), strict=True
            ):
                np.save(folder / f"{name}.npy", values)
            label = f"{n:,} intervals" + (" (skewed: 30% in one canteen)" if skewed else "")
            print(f"\n{label}", flush=True)
            print(f"{'method':<16}{'seconds':>10}{'contacts':>14}{'peak GB':>9}{'x cordon':>10}")
            base: dict[str, object] | None = None
            for method in methods:
                if (method, skewed) in timed_out:
                    print(
                        f"{method:<16}{'':>10}  (not run: timed out on "
                        f"{timed_out[(method, skewed)]})"
                    )
                    continue
                runs = [_run(method, folder, timeout) for _ in range(repeat)]
                if any(r is None for r in runs):
                    print(f"{method:<16}{'> ' + format(timeout, '.0f'):>10}  (timed out)")
                    timed_out[(method, skewed)] = label
                    continue
                result = min(runs, key=lambda r: float(r.get("seconds", 0)))  # type: ignore[union-attr, arg-type]
                assert result is not None
                if result.get("failed"):
                    continue
                seconds = float(result["seconds"])  # type: ignore[arg-type]
                checksum = result["checksum"]
                if method == "cordon":
                    base = result
                same = "" if base is None or checksum == base["checksum"] else "  DIFFERENT OUTPUT"
                ratio = seconds / float(base["seconds"]) if base else float("nan")  # type: ignore[arg-type]
                print(
                    f"{method:<16}{seconds:>10.2f}{checksum[0]:>14,}"  # type: ignore[index]
                    f"{float(result['peak_gb']):>9.2f}{ratio:>9.1f}x{same}",  # type: ignore[arg-type]
                    flush=True,
                )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
