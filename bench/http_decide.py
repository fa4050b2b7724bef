"""Door decisions over HTTP alone: the service (uvicorn, PostgreSQL) at 500 requests/s, open loop.

Run: ``.venv/bin/python -m bench http_decide`` (``BENCH_RATE``, default 500; ``BENCH_SECONDS``,
default 60). A facility of 10,000 people with 200 egress holds on a fresh PostgreSQL schema at
CORDON_TEST_PG; the service runs as a uvicorn subprocess; one client process sends
``POST /api/v1/access/decide`` at the fixed rate (one in five for a held person) and counts each
latency from the request's scheduled send time. Target: p99 < 10 ms, no errors, no wrong answer.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.loadgen import Service, build_facility, door_load
from bench.pgschema import pg_schema

RATE = float(os.environ.get("BENCH_RATE", "500"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))


def main() -> None:
    """Run the benchmark and print its figures."""
    folder = Path(tempfile.mkdtemp(prefix="cordon-http-decide-"))
    with pg_schema() as url:
        facility = build_facility(url)
        service = Service(url, folder / "service.log")
        service.start()
        service.warm(facility.door_token)
        try:
            door_load(
                service.doors_base, facility.door_token, rate=RATE, seconds=2,
                persons=facility.persons, held=facility.held,
            )  # fmt: skip
            doors = door_load(
                service.doors_base, facility.door_token, rate=RATE, seconds=SECONDS,
                persons=facility.persons, held=facility.held,
            )  # fmt: skip
        finally:
            service.stop()
    total = doors.summary()
    print(f"decide over HTTP, open loop at {RATE:.0f}/s for {SECONDS:.0f} s (after a 2 s warm-up)")
    print(
        f"requests {total['n']:,}  errors {total['errors']}  wrong {doors.wrong}  "
        f"denied {doors.denied:,}  throughput {total['per_s']:.0f}/s"
    )
    print(f"latency ms: p50 {total['p50']:.2f}  p99 {total['p99']:.2f}  max {total['max']:.1f}")
    worst = max(s["p99"] for s in doors.slices())
    met = total["p99"] < 10 and total["errors"] == 0 and doors.wrong == 0
    print(
        f"worst 10-s slice p99 {worst:.2f} ms; target p99 < 10 ms, no errors: "
        f"{'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
