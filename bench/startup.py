"""Start-up: the wall time of whole ``cordon`` processes that do little (issue 22).

Run: ``.venv/bin/python -m bench startup`` (``BENCH_REPEAT`` runs of each, default 10). Each
command runs as its own process, as a user types it; the table gives the fastest and the median
wall time, and the CPU time (user + system) of the median run. Target: ``cordon --help`` under
0.5 s on a quiet machine.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["contacts", "--help"],
    ["order", "list"],
    ["people"],
]


def _cordon() -> str:
    found = Path(sys.executable).with_name("cordon")
    return str(found) if found.exists() else shutil.which("cordon") or "cordon"


def _once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([_cordon(), *argv], env=env, capture_output=True, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Time each command ``BENCH_REPEAT`` times on a fresh empty SQLite store."""
    repeat = int(os.environ.get("BENCH_REPEAT", "10"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CORDON_DATABASE_URL": f"sqlite:///{tmp}/cordon.db"}
        subprocess.run([_cordon(), "init"], env=env, capture_output=True, check=True)
        print(f"{repeat} runs each; load average {os.getloadavg()[0]:.1f} at start")
        print(f"{'command':<28}{'best s':>9}{'median s':>10}{'cpu s':>8}")
        for argv in COMMANDS:
            runs = sorted(_once(argv, env) for _ in range(repeat))
            walls = [w for w, _ in runs]
            median = runs[len(runs) // 2]
            label = "cordon " + " ".join(argv)
            print(f"{label:<28}{walls[0]:>9.3f}{statistics.median(walls):>10.3f}{median[1]:>8.3f}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
