"""The service under a mixed load on PostgreSQL: doors, dashboards, an import and a forecast.

Run: ``.venv/bin/python -m bench load`` (``BENCH_SECONDS``, default 300; ``BENCH_RATE``, default
500 door decisions/s; ``BENCH_IMPORT_ROWS``, default 10^6; ``BENCH_RUNS``, default 1000). On a
fresh schema at CORDON_TEST_PG: 10,000 people, 100 places, 200 egress holds. The service runs as a
``cordon serve`` subprocess (doors, web and worker under supervisord). At once, until the time is
up (then it stops by itself): door decisions open loop at the rate to the doors process (latency
from the scheduled send time), 20 dashboard users (web pages with a
session cookie, API lists with a token, 0.5 to 1.5 s between requests), a presence import of the
given rows by upload (repeated: later rounds add nothing, the rows being there) and a forecast of
the given runs (repeated), both jobs of the worker. Prints decide p50/p99 and the doors' and
web's RSS per 10-s slice.
Targets: no errors, decide p99 < 10 ms overall and in every slice, RSS flat.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.loadgen import Service, build_facility, mixed_load, print_mixed
from bench.pgschema import pg_schema

SECONDS = float(os.environ.get("BENCH_SECONDS", "300"))
RATE = float(os.environ.get("BENCH_RATE", "500"))
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "1000"))


def main() -> None:
    """Run the mixed load and print its figures."""
    folder = Path(tempfile.mkdtemp(prefix="cordon-load-"))
    with pg_schema() as url:
        facility = build_facility(url)
        service = Service(url, folder / "service.log")
        service.start()
        service.warm(facility.door_token)
        try:
            result = mixed_load(
                service, facility, seconds=SECONDS, rate=RATE, import_rows=ROWS, runs=RUNS,
                folder=folder,
            )  # fmt: skip
        finally:
            service.stop()
    print_mixed(result)
    slices = result.doors.slices()
    worst = max(s["p99"] for s in slices)
    errors = result.doors.summary()["errors"] + len(result.background.page_errors)
    failed = [j for j in result.background.imports + result.background.forecasts
              if j["status"] != "done"]  # fmt: skip
    print(
        f"worst slice p99 {worst:.2f} ms (target < 10), errors {errors}, failed jobs {len(failed)}"
    )


if __name__ == "__main__":
    main()
