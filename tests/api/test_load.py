"""A short mixed load on ``cordon serve`` (doors, web and worker; PostgreSQL): door decisions
open loop, dashboard users, an upload import and a forecast at once. Loose bounds (the machine
is shared): no error, no wrong door answer, both jobs done, decide p99 under a second. The full
5-minute version with its targets is ``python -m bench load``."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.loadgen import Service, build_facility, mixed_load

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_a_short_mixed_load_has_no_errors_and_keeps_doors_answering(
    pg_url: str, tmp_path: Path
) -> None:
    facility = build_facility(pg_url, persons=2_000, holds=40)
    service = Service(pg_url, tmp_path / "service.log")
    service.start()
    try:
        service.warm(facility.door_token)
        result = mixed_load(
            service,
            facility,
            seconds=15,
            rate=100,
            import_rows=20_000,
            runs=50,
            users=5,
            folder=tmp_path,
        )
    finally:
        service.stop()
    doors, background = result.doors, result.background
    total = doors.summary()
    assert total["n"] == 1500 and total["errors"] == 0 and doors.wrong == 0
    assert doors.denied > 0
    assert total["p99"] < 1000, doors.slices()
    assert background.pages > 0 and not background.page_errors
    assert background.imports and background.imports[0]["status"] == "done"
    assert background.imports[0]["added"] == 20_000
    assert background.forecasts and all(f["status"] == "done" for f in background.forecasts)
    rss = [r for _t, r in background.rss]
    assert max(rss) < 4 * min(rss)
    assert max(r for _t, r in background.worker_rss) > 0  # the jobs ran in the worker
