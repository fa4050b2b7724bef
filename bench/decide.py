"""Access decisions in process: 10^5 persons, 10^3 active holds, p50/p99 latency and throughput.

Run: ``.venv/bin/python -m bench decide``. Builds a SQLite store with ``BENCH_PERSONS`` people
(default 100,000), 200 places (20 exits) and ``BENCH_HOLDS`` active orders (default 1,000:
quarantine, isolation and egress holds, some already expired, some not yet started), two
moratoria and an emergency; loads ``AccessIndex`` from it and times ``decide`` call by call.
The peer is the same answer from the store: the indexed query of the person's binding orders
(what a door controller would do without the index), timed call by call on the same cases.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from cordon.domain.exit_policy import PolicyKind
from cordon.domain.orders import OrderKind, Scope
from cordon.domain.records import Credential, Direction
from cordon.domain.roles import Actor
from cordon.services import access, emergencies, exit_policies, orders
from cordon.services.admin import init_store
from cordon.store.db import Store
from cordon.store.models import OrderRow, PersonRow, PlaceRow

PERSONS = int(os.environ.get("BENCH_PERSONS", "100000"))
HOLDS = int(os.environ.get("BENCH_HOLDS", "1000"))
CALLS = int(os.environ.get("BENCH_CALLS", "100000"))
PEER_CALLS = int(os.environ.get("BENCH_PEER_CALLS", "5000"))
POLICIES = os.environ.get("BENCH_POLICIES", "1") == "1"
"""Also the three exit policies (foreign credential, escort, unknown id), a group hold on the
visiting crew, and passages with foreign devices, escorts and unknown ids (issue 18)."""
T0 = 1_795_000_000
BENCH = Actor("bench")


def build(folder: Path, seed: int = 11) -> Store:
    """The benchmark store."""
    rng = np.random.default_rng(seed)
    store = Store(f"sqlite:///{folder / 'decide.db'}")
    init_store(store, actor="bench")
    with store.session() as s:
        s.execute(
            insert(PlaceRow),
            [
                {
                    "id": f"z{k}",
                    "name": "zone",
                    "kind": "airlock" if k < 20 else "quarters",
                    "exit": k < 20,
                    "capacity": 10,
                }
                for k in range(200)
            ],
        )
        roles = np.where(rng.random(PERSONS) < 0.02, "visiting_crew", "resident")
        s.execute(
            insert(PersonRow),
            [
                {"id": f"p{k}", "name": "x", "role": str(roles[k]), "home_pk": 21 + k % 150}
                for k in range(PERSONS)
            ],
        )
        s.commit()
        kinds = [OrderKind.QUARANTINE, OrderKind.ISOLATION, OrderKind.EGRESS_HOLD]
        held = rng.choice(PERSONS, HOLDS, replace=False)
        for k, person in enumerate(held.tolist()):
            start = T0 + int(rng.integers(-86_400, 3_600))
            expiry = None if k % 3 == 1 else start + int(rng.integers(600, 14 * 86_400))
            orders.write_order(
                s,
                kind=kinds[k % 3],
                person=f"p{person}",
                start=start,
                expiry=expiry,
                issuer="bench",
                reason="bench",
                alert=False,
            )
        for places in (["z25", "z26"], ["z30"]):
            orders.write_order(
                s,
                kind=OrderKind.MORATORIUM,
                person=None,
                start=T0 - 3600,
                expiry=T0 + 86_400,
                issuer="bench",
                reason="bench",
                scope=Scope(places=frozenset(places), roles=frozenset({"visiting_crew"})),
            )
        s.commit()
    with store.session() as s:
        emergencies.declare_emergency(
            s, actor=BENCH, kind="fire", start=T0 + 7200, reason="drill", places=["z3"]
        )
        if POLICIES:
            for kind, groups in (
                (PolicyKind.FOREIGN_CREDENTIAL, {"exempt_roles": ["visiting_crew"]}),
                (PolicyKind.ESCORT, {"companion_roles": ["visiting_crew"]}),
                (PolicyKind.UNKNOWN_PERSON, {}),
            ):
                exit_policies.set_policy(s, actor=BENCH, kind=kind, at=T0, reason="bench", **groups)
            orders.issue_order(
                s,
                actor=BENCH,
                kind=OrderKind.EGRESS_HOLD,
                start=T0 - 3600,
                reason="bench",
                scope=orders.group_scope(["visiting_crew"]),
            )
    return store


def _peer(session, person: str, at: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether an order binds ``person`` at ``at``, asked of the store (a door with no index)."""
    query = (
        select(OrderRow.pk)
        .join(PersonRow, OrderRow.person_pk == PersonRow.pk)
        .where(PersonRow.id == person, OrderRow.status == "active", OrderRow.start_time <= at)
        .where((OrderRow.expiry.is_(None)) | (OrderRow.expiry > at))
        .limit(1)
    )
    return session.scalar(query) is not None


def main() -> None:
    """Build, load, time, print."""
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        store = build(Path(tmp))
        built = time.perf_counter() - began
        with store.session() as s:
            began = time.perf_counter()
            index = access.AccessIndex.from_store(s, actor=BENCH)
            loaded = time.perf_counter() - began
            began = time.perf_counter()
            index.refresh(s)
            refreshed = time.perf_counter() - began
            held = list(index.holds)
            people = [
                held[int(i) % len(held)] if rng.random() < 0.3 else f"p{int(i)}"
                for i in rng.integers(0, PERSONS, CALLS)
            ]
            doors = [f"z{int(d)}" for d in rng.integers(0, 200, CALLS)]
            dirs = [Direction.IN if d else Direction.OUT for d in rng.integers(0, 2, CALLS)]
            times = (T0 + rng.integers(-86_400, 2 * 86_400, CALLS)).tolist()
            creds = [Credential.BADGE] * CALLS
            escorts: list[tuple[str, ...]] = [()] * CALLS
            if POLICIES:
                for k in rng.choice(CALLS, CALLS // 10, replace=False).tolist():
                    creds[k] = Credential.FOREIGN  # 10% foreign devices
                for k in rng.choice(CALLS, CALLS // 10, replace=False).tolist():
                    escorts[k] = (f"p{int(rng.integers(0, PERSONS))}",)  # 10% escorted
                for k in rng.choice(CALLS, CALLS // 50, replace=False).tolist():
                    people[k] = f" P{people[k][1:]}\u200b"  # 2% written otherwise
                for k in rng.choice(CALLS, CALLS // 50, replace=False).tolist():
                    people[k] = f"x{k}"  # 2% unknown ids
            lat = np.empty(CALLS, dtype=np.int64)
            clock = time.perf_counter_ns
            decide = index.decide
            denied = 0
            for k in range(CALLS):
                t = clock()
                d = decide(
                    people[k],
                    doors[k],
                    dirs[k],
                    times[k],
                    credential=creds[k],
                    companions=escorts[k],
                )
                lat[k] = clock() - t
                denied += not d.allowed
            index.pending.clear()
            index.alerts.clear()
            peer = np.empty(PEER_CALLS, dtype=np.int64)
            for k in range(PEER_CALLS):
                t = clock()
                _peer(s, people[k], times[k])
                peer[k] = clock() - t
        store.dispose()
    p50, p99 = np.percentile(lat, [50, 99]) / 1000
    q50, q99 = np.percentile(peer, [50, 99]) / 1000
    print(
        f"persons {PERSONS:,}  active holds {len(held):,} persons  calls {CALLS:,}  "
        f"denied {denied:,}  exit policies and group hold: {'yes' if POLICIES else 'no'}"
    )
    print(
        f"store built in {built:.1f} s; index loaded in {loaded * 1000:.0f} ms, "
        f"refreshed after an order write in {refreshed * 1000:.0f} ms"
    )
    print(f"{'':24}{'p50 us':>10}{'p99 us':>10}{'max us':>10}{'calls/s':>12}")
    print(
        f"{'decide (index)':24}{p50:10.1f}{p99:10.1f}{lat.max() / 1000:10.1f}"
        f"{CALLS / (lat.sum() / 1e9):12,.0f}"
    )
    print(
        f"{'store query (peer)':24}{q50:10.1f}{q99:10.1f}{peer.max() / 1000:10.1f}"
        f"{PEER_CALLS / (peer.sum() / 1e9):12,.0f}"
    )
    print(
        f"ratio p50 {q50 / p50:.0f}x, p99 {q99 / p99:.0f}x; target p99 < 1000 us: "
        f"{'met' if p99 < 1000 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
