"""Whole-process ``cordon trace`` repeated on an unchanged store (issue 22: cached indexes).

Run: ``.venv/bin/python -m bench trace_cli`` (``BENCH_INTERVALS``, default 1.5e6 presence
intervals, about 1.1 x 10^7 contacts of at least 5 minutes; ``BENCH_REPEAT`` traces after the
first, default 3). A SQLite store is loaded through ``cordon import`` (20,000 people, 2,000
places, the presence log of ``bench.presence``); then the same ``cordon trace`` runs several
times, each a new process: the first derives the contacts and builds the trace indexes and
keeps them in the store's cache folder, the next ones find them there. Then one presence row is
imported and the trace runs again (the cache must see the change: derived afresh).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.presence import PEOPLE, PLACES, presence_log

T0 = 1_795_000_000


def _cordon() -> str:
    return str(Path(sys.executable).with_name("cordon"))


def _run(db: str, *args: str) -> tuple[float, str]:
    """Wall seconds and output of one ``cordon`` process; its CPU seconds go to ``CPU``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [_cordon(), "--db", db, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-500:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - began, done.stdout


CPU = [0.0]
"""CPU seconds (user + system) of the last process run."""


def _write(folder: Path, n: int) -> dict[str, Path]:
    people = folder / "people.csv"
    people.write_text(
        "id,name,role\n" + "".join(f"P{i:05d},Person {i},staff\n" for i in range(PEOPLE))
    )
    places = folder / "places.csv"
    places.write_text(
        "id,name,kind\n" + "".join(f"Q{i:04d},Place {i},hall\n" for i in range(PLACES))
    )
    p, q, s, e = presence_log(n)
    presence = folder / "presence.csv"
    with presence.open("w") as handle:
        handle.write("person,place,start,end\n")
        lines = np.char.add(np.char.add("P", np.char.zfill(p.astype(str), 5)), ",Q")
        lines = np.char.add(lines, np.char.zfill(q.astype(str), 4))
        lines = np.char.add(np.char.add(lines, ","), (s + T0).astype(str))
        lines = np.char.add(np.char.add(lines, ","), (e + T0).astype(str))
        handle.write("\n".join(lines.tolist()) + "\n")
    return {"people": people, "places": places, "presence": presence}


def main() -> None:
    """Load the store, then time the repeated traces."""
    n = int(float(os.environ.get("BENCH_INTERVALS", "1.5e6")))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = f"sqlite:///{folder / 'cordon.db'}"
        files = _write(folder, n)
        began = time.perf_counter()
        _run(db, "init")
        for kind in ("places", "people", "presence"):
            _run(db, "import", kind, str(files[kind]))
        print(f"store: {n:,} presence intervals loaded in {time.perf_counter() - began:.0f} s")
        trace = ["trace", "P00001", "P00002", "--direction", "both", "--limit", "5"]
        print(f"{'run':<34}{'wall s':>9}{'cpu s':>8}  first line")
        for k in range(repeat + 1):
            seconds, out = _run(db, *trace)
            label = "first (derive, index, keep)" if k == 0 else f"again ({k})"
            print(f"{label:<34}{seconds:>9.2f}{CPU[0]:>8.2f}  {out.splitlines()[0][:50]}",
                  flush=True)  # fmt: skip
        extra = folder / "more.csv"
        extra.write_text(f"person,place,start,end\nP00001,Q0100,{T0 + 10},{T0 + 4000}\n")
        _run(db, "import", "presence", str(extra))
        seconds, out = _run(db, *trace)
        print(f"{'after one more presence row':<34}{seconds:>9.2f}{CPU[0]:>8.2f}  "
              f"{out.splitlines()[0][:50]}")  # fmt: skip
        seconds, out = _run(db, *trace)
        print(f"{'again':<34}{seconds:>9.2f}{CPU[0]:>8.2f}  {out.splitlines()[0][:50]}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
