"""Faults through HTTP: ``cordon serve`` (doors, web and worker under supervisord) on a private
PostgreSQL cluster.

The database goes away under requests (a clear 503 meanwhile, doors still answered from memory
with the last known holds, everything back afterwards, no queued decision lost); the web process
is killed with SIGKILL mid-forecast (the manager starts it again; the job, kept in the store and
run by the worker, is still listed and finishes); the worker is killed mid-forecast and
mid-import (the job runs again, nothing half-written visible, the rows added once); the whole
service is killed and restarted. One cluster and one service serve the whole module, in order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.loadgen import T0, Facility, Service, build_facility, presence_csv
from sqlalchemy import func, select

from cordon.store.db import Store
from cordon.store.models import Base, ImportBatchRow, PresenceRow
from tests.support.postgres import PrivatePostgres, postgres_binaries

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of our own that the tests may stop and crash."""
    binaries = postgres_binaries()
    if binaries is None or os.geteuid() != 0:
        pytest.skip("a private PostgreSQL cluster needs the server binaries and root")
    server = PrivatePostgres(binaries)
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def facility(cluster: PrivatePostgres) -> Facility:
    """2,000 people (40 under an egress hold) on the private cluster."""
    return build_facility(cluster.url, persons=2_000, holds=40)


@pytest.fixture(scope="module")
def service(
    cluster: PrivatePostgres, facility: Facility, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The service on the cluster; every upload runs as a background job."""
    log = tmp_path_factory.mktemp("service") / "service.log"
    running = Service(cluster.url, log, CORDON_SYNC_IMPORT_BYTES="0")
    running.start()
    running.warm(facility.door_token)
    yield running
    running.stop()


RECORDS = ("person", "place", "presence", "passage", "exposure", "lab_result", "import_batch")
"""The tables of imported records (the worker's periodic work adds alerts and audit rows)."""


def records(url: str) -> dict[str, int]:
    """Rows per table of imported records."""
    return {name: n for name, n in counts(url).items() if name in RECORDS}


def counts(url: str) -> dict[str, int]:
    """Rows per table (not the jobs themselves)."""
    store = Store(url)
    try:
        with store.session() as session:
            return {
                t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables
                if t.name != "job"
            }
    finally:
        store.dispose()


SECONDS = iter(range(T0, T0 + 10**6))


def decide(
    service: Service, facility: Facility, person: str, at: int | None = None
) -> dict[str, Any]:
    """One door decision (the person leaving through exit z1, each at its own second)."""
    answer = httpx.post(
        f"{service.doors_base}/api/v1/access/decide",
        json={"person": person, "door": "z1", "direction": "out", "at": at or next(SECONDS)},
        headers={"Authorization": f"Bearer {facility.door_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    decision: dict[str, Any] = answer.json()
    return decision


def api(service: Service, facility: Facility) -> httpx.Client:
    """A client signed in as the command user."""
    return httpx.Client(
        base_url=service.base,
        headers={"Authorization": f"Bearer {facility.command_token}"},
        timeout=30,
    )


def wait_for(job: dict[str, Any], client: httpx.Client, ready: Any, seconds: float = 300) -> Any:
    """Poll a job until ``ready(job)`` holds (a web process being restarted meanwhile is
    waited for)."""
    deadline = time.monotonic() + seconds
    while not ready(job):
        assert job["status"] != "failed", job
        assert time.monotonic() < deadline, f"job never got there: {job}"
        time.sleep(0.05)
        try:
            answer = client.get(f"/api/v1/jobs/{job['id']}")
        except httpx.TransportError:
            continue
        if answer.status_code == 200:
            job = answer.json()
    return job


def test_while_the_database_is_away_reads_and_writes_503_and_doors_fail_closed(
    cluster: PrivatePostgres, service: Service, facility: Facility
) -> None:
    held, free = facility.held[0], next(f"p{k}" for k in range(10) if f"p{k}" not in facility.held)
    assert decide(service, facility, held)["allowed"] is False
    time.sleep(1)  # written by then
    passages = counts(cluster.url)["access_decision"]
    cluster.stop("immediate")
    try:
        with api(service, facility) as client:
            for answer in (
                client.get("/api/v1/people"),
                client.get("/api/v1/health"),
                client.post(
                    "/api/v1/orders",
                    json={"kind": "egress_hold", "person": free, "reason": "away"},
                ),
            ):
                assert answer.status_code == 503, answer.text
                assert "unavailable" in answer.json()["detail"]
        made = [decide(service, facility, who) for who in (held, free, held, free)]
        time.sleep(0.5)  # a flush fails meanwhile: the decisions stay queued
        made += [decide(service, facility, who) for who in (held, free)]
        assert [d["allowed"] for d in made] == [False, True, False, True, False, True]
        assert made[-1]["stale"] is True
        assert "hold" in made[-2]["reason"]
    finally:
        cluster.start()
    with api(service, facility) as client:
        deadline = time.monotonic() + 30
        while (answer := client.get("/api/v1/people")).status_code != 200:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.2)
        assert answer.json()["total"] == facility.persons
        refused = {"kind": "egress_hold", "person": free, "reason": "back"}
        assert client.post("/api/v1/orders", json=refused).status_code == 201
    deadline = time.monotonic() + 20
    while counts(cluster.url)["access_decision"] < passages + 6:
        assert time.monotonic() < deadline, (passages, counts(cluster.url)["access_decision"])
        time.sleep(0.2)
    assert counts(cluster.url)["access_decision"] == passages + 6
    deadline = time.monotonic() + 20
    while decide(service, facility, free, at=int(time.time()) + 60)[
        "allowed"
    ]:  # the new hold reaches the doors
        assert time.monotonic() < deadline, "a hold written after the outage never reached doors"
        time.sleep(0.5)


def test_a_forecast_outlives_a_killed_web_process_and_a_killed_worker(
    cluster: PrivatePostgres, service: Service, facility: Facility
) -> None:
    with api(service, facility) as client:
        started = client.post("/api/v1/forecast", json={"runs": 3000, "days": 30, "now": T0})
        assert started.status_code == 202, started.text
        job = wait_for(started.json(), client, lambda j: j["status"] == "running")
        before = records(cluster.url)
        service.kill_role("worker")  # the job is run again by the restarted worker
        web = service.kill_role("web")  # the manager starts it again
        service.wait_ready()
        assert service.role("web").pid != web
        listed = client.get(f"/api/v1/jobs/{job['id']}").json()
        assert listed["status"] in ("running", "done"), listed
        assert listed["id"] in [j["id"] for j in client.get("/api/v1/jobs").json()["items"]]
        done = wait_for(listed, client, lambda j: j["status"] == "done")
        assert done["attempts"] == 2 and done["result"]["runs"] == 3000, done
        assert records(cluster.url) == before  # a forecast writes nothing but its job


def test_a_kill_of_everything_loses_nothing_and_the_restarted_service_works(
    cluster: PrivatePostgres, service: Service, facility: Facility
) -> None:
    before = records(cluster.url)
    service.kill()
    assert records(cluster.url) == before
    service.start()
    with api(service, facility) as client:
        again = client.post("/api/v1/forecast", json={"runs": 20, "days": 7, "now": T0})
        done = wait_for(again.json(), client, lambda j: j["status"] not in ("queued", "running"))
        assert done["status"] == "done", done
    assert records(cluster.url) == before


def test_a_worker_killed_mid_import_leaves_all_or_nothing_and_the_import_runs_again(
    cluster: PrivatePostgres, service: Service, facility: Facility, tmp_path: Path
) -> None:
    rows = 200_000
    upload = presence_csv(tmp_path / "presence.csv", rows, facility.persons)
    before = counts(cluster.url)
    with api(service, facility) as client, upload.open("rb") as body:
        answer = client.post(
            "/api/v1/imports",
            params={"kind": "presence"},
            files={"file": ("presence.csv", body, "text/csv")},
        )
        assert answer.status_code == 202, answer.text
        job = wait_for(
            answer.json(), client, lambda j: j["phase"].startswith("writing") or
            (j["status"] != "running" and j["status"] != "queued"),
        )  # fmt: skip
        assert job["status"] == "running", job
        service.kill_role("worker")
        after = counts(cluster.url)
        assert after["presence"] == before["presence"]  # nothing of the first try committed
        done = wait_for(job, client, lambda j: j["status"] not in ("queued", "running"))
    assert done["status"] == "done" and done["attempts"] == 2, done
    assert counts(cluster.url)["presence"] == before["presence"] + rows
    store = Store(cluster.url)
    try:
        with store.session() as session:
            batched = session.scalar(
                select(func.coalesce(func.sum(ImportBatchRow.rows_added), 0)).where(
                    ImportBatchRow.kind == "presence"
                )
            )
            stray = session.scalar(
                select(func.count()).select_from(PresenceRow).where(PresenceRow.batch_pk.is_(None))
            )
    finally:
        store.dispose()
    assert batched == counts(cluster.url)["presence"] and stray == 0
