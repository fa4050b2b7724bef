"""``python -m bench [NAME ...]``: run the named benchmarks (all when none is named)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "bulk_load",
    "load",
    "http_decide",
    "decide",
    "plans",
    "venus_demo",
    "sir",
    "temporal_seir",
    "rt_batch",
    "http_load",
    "colocation",
    "trace",
    "startup",
    "contacts_cli",
    "trace_cli",
    "dask_contacts",
]


def main(argv: list[str]) -> None:
    """Run each named benchmark module's ``main``."""
    for name in argv or BENCHMARKS:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
