"""The service under load: a facility store, the service as a uvicorn subprocess, an open-loop
door load (asyncio + httpx), dashboard users, an upload import and a forecast, all at once.

Used by ``bench/load.py`` (the mixed load, 300 s), ``bench/http_decide.py`` (decide alone) and the
short mixed load in ``tests/api/test_load.py``. The door load is open-loop: request ``i`` is sent
at ``t0 + i / rate`` whatever happened to the ones before, and its latency is counted from that
scheduled time (so a stall in the service shows as latency, not as fewer requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from sqlalchemy import insert

from cordon.domain.cases import Clinical, Containment
from cordon.domain.orders import OrderKind
from cordon.domain.roles import Actor, UserRole
from cordon.services import accounts, cases, orders
from cordon.services.admin import init_store
from cordon.store.db import Store
from cordon.store.models import PersonRow, PlaceRow

T0 = 1_795_000_000
ROOT = Actor("bench", UserRole.COMMAND)
PLACES = 100
EXITS = 10
DASHBOARD = [
    "/api/v1/people",
    "/api/v1/places",
    "/api/v1/orders",
    "/api/v1/cases",
    "/api/v1/alerts",
    "/api/v1/audit",
    "/api/v1/jobs",
    "/api/v1/gatherings",
    "/",
    "/people",
    "/orders",
    "/alerts",
    "/cases",
]


@dataclass
class Facility:
    """What the load needs to know about the store it runs on."""

    url: str
    persons: int
    held: list[str]
    command_token: str
    door_token: str
    password: str = "a long load-test passphrase 7"


def build_facility(url: str, *, persons: int = 10_000, holds: int = 200, seed: int = 3) -> Facility:
    """An initialised store: ``persons`` people, 100 places (10 exits), ``holds`` egress holds,
    a command user (with a password, for the web pages) and a door user, each with a token."""
    rng = np.random.default_rng(seed)
    store = Store(url)
    init_store(store, actor="bench")
    try:
        with store.session() as s:
            s.execute(
                insert(PlaceRow),
                [
                    {
                        "id": f"z{k}",
                        "name": f"zone {k}",
                        "kind": "airlock" if k < EXITS else "quarters",
                        "exit": k < EXITS,
                        "capacity": 20,
                    }
                    for k in range(PLACES)
                ],
            )
            s.execute(
                insert(PersonRow),
                [
                    {"id": f"p{k}", "name": f"person {k}", "role": "resident"}
                    for k in range(persons)
                ],
            )
            s.commit()
            held = sorted(int(k) for k in rng.choice(persons, holds, replace=False))
            for k in held:
                orders.write_order(
                    s,
                    kind=OrderKind.EGRESS_HOLD,
                    person=f"p{k}",
                    start=T0 - 86_400,
                    expiry=None,
                    issuer="bench",
                    reason="load test",
                    alert=False,
                )
            s.commit()
        with store.session() as s:
            for j, k in enumerate(held[:21]):
                cases.change_case(
                    s,
                    f"p{k}",
                    actor=ROOT,
                    reason="load test",
                    at=T0 - 86_400 * (7 - j // 3),
                    clinical=Clinical.CONFIRMED if k % 2 else Clinical.SUSPECTED,
                    containment=Containment.ISOLATED,
                )
        facility = Facility(url, persons, [f"p{k}" for k in held], "", "")
        with store.session() as s:
            accounts.add_user(
                s, "lead", role=UserRole.COMMAND, password=facility.password, actor=ROOT
            )
            accounts.add_user(s, "gate", role=UserRole.DOOR, password=None, actor=ROOT)
            _info, facility.command_token = accounts.create_token(
                s, actor=ROOT, name="load", user="lead"
            )
            _info, facility.door_token = accounts.create_token(
                s, actor=ROOT, name="load", user="gate"
            )
    finally:
        store.dispose()
    return facility


def presence_csv(path: Path, rows: int, persons: int) -> Path:
    """A presence file of ``rows`` distinct stays of the facility's people."""
    i = np.arange(rows, dtype=np.int64)
    start = T0 + (i // persons) * 600
    lines = np.char.add(
        np.char.add(np.char.add("p", (i % persons).astype(str)), ",z"),
        (EXITS + (i * 7) % (PLACES - EXITS)).astype(str),
    )
    body = np.char.add(np.char.add(np.char.add(lines, ","), start.astype(str)), ",")
    body = np.char.add(np.char.add(body, (start + 300).astype(str)), "\n")
    with path.open("w") as out:
        out.write("person,place,start,end\n")
        for chunk in range(0, rows, 100_000):
            out.write("".join(body[chunk : chunk + 100_000].tolist()))
    return path


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Service:
    """``cordon serve`` in a subprocess: the doors, web and worker processes under supervisord
    (killable one by one or all at once, restartable), logs to a file."""

    def __init__(self, database_url: str, log: Path, **env: str) -> None:
        self.database_url = database_url
        self.log = log
        self.env = env
        self.port = free_port()
        self.doors_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The web API's URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def doors_base(self) -> str:
        """The doors' URL."""
        return f"http://127.0.0.1:{self.doors_port}"

    @property
    def pid(self) -> int:
        """The manager's (``cordon serve``) process id."""
        assert self.proc is not None
        return self.proc.pid

    def role(self, name: str) -> psutil.Process:
        """The running process of one role (``doors``, ``web`` or ``worker``)."""
        for child in psutil.Process(self.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                line = child.cmdline()
                if "serve" in line and name in line and "-m" in line:
                    return child
        raise LookupError(f"no {name} process")

    def start(self, timeout: float = 120) -> None:
        """Start the service and wait until the web and the doors answer."""
        env = {
            **os.environ,
            "CORDON_DATABASE_URL": self.database_url,
            "CORDON_COOKIE_SECURE": "false",
            # the loads replay recorded days (door times around T0), far from the wall clock
            "CORDON_DECISION_SKEW_SECONDS": str(10**9),
            **self.env,
        }
        command = [
            sys.executable, "-m", "cordon", "serve", "--port", str(self.port),
            "--doors-port", str(self.doors_port),
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the web answers its health check and the doors have loaded their holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.role("web")
                self.role("doors")
            except (LookupError, psutil.Error):
                time.sleep(0.2)
                continue
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                web = httpx.get(f"{self.base}/api/v1/health", timeout=2)
                doors = httpx.get(f"{self.doors_base}/api/v1/doors/status", timeout=2)
                if web.status_code == 200 and doors.json()["loaded"]:
                    return
            time.sleep(0.2)
        raise RuntimeError("the service did not answer in time")

    def warm(self, door_token: str) -> None:
        """One decision, so that the door token is cached before a measured load starts."""
        body = {"person": "p0", "door": "z0", "direction": "out", "at": T0}
        headers = {"Authorization": f"Bearer {door_token}"}
        answer = httpx.post(
            f"{self.doors_base}/api/v1/access/decide", json=body, headers=headers, timeout=120
        )
        answer.raise_for_status()

    def rss(self, role: str = "doors") -> int:
        """A role's resident memory in bytes (the web: its uvicorn process)."""
        return int(self.role(role).memory_info().rss)

    def kill_role(self, name: str) -> int:
        """``kill -9`` one role's process (supervisord starts it again); its pid."""
        process = self.role(name)
        process.kill()
        process.wait(30)
        return process.pid

    def kill(self) -> None:
        """``kill -9`` of every process of the service at once (a crashed host)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        tree = [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
        for process in tree:
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(tree, timeout=30)
        self.proc.wait()

    def stop(self) -> None:
        """A clean stop (SIGTERM, then SIGKILL after 30 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class DoorLoad:
    """What an open-loop door load saw: per request, its scheduled time (s from start), latency
    (ms, from the scheduled time) and HTTP status (0 for a transport error)."""

    scheduled: np.ndarray
    latency_ms: np.ndarray
    status: np.ndarray
    denied: int
    stale: int
    wrong: int
    seconds: float

    def slices(self, width: float = 10.0) -> list[dict[str, float]]:
        """Count, errors, p50 and p99 per slice of ``width`` seconds."""
        out = []
        for lo in np.arange(0.0, self.seconds, width):
            pick = (self.scheduled >= lo) & (self.scheduled < lo + width)
            lat = self.latency_ms[pick]
            if lat.size == 0:
                continue
            out.append(
                {
                    "t": float(lo),
                    "n": int(lat.size),
                    "errors": int(np.count_nonzero(self.status[pick] != 200)),
                    "p50": float(np.percentile(lat, 50)),
                    "p99": float(np.percentile(lat, 99)),
                }
            )
        return out

    def summary(self) -> dict[str, float]:
        """Totals over the whole run."""
        lat = self.latency_ms
        return {
            "n": int(lat.size),
            "errors": int(np.count_nonzero(self.status != 200)),
            "p50": float(np.percentile(lat, 50)),
            "p99": float(np.percentile(lat, 99)),
            "max": float(lat.max()),
            "per_s": lat.size / self.seconds,
        }


class _Connections:
    """A pool of raw keep-alive HTTP/1.1 connections (httpx's async pool stalls for seconds
    under an open-loop load on a busy machine; a door's request is one small POST anyway)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(size):
            self.free.put_nowait(None)

    async def post(self, path: str, body: bytes, headers: str) -> tuple[int, bytes]:
        """POST ``body`` as JSON; the status and the answer's body."""
        conn = await self.free.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = next(
                int(v) for k, _, v in (h.partition(":") for h in lines[1:])
                if k.lower() == "content-length"
            )  # fmt: skip
            content = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration):
            if conn is not None:
                conn[1].close()
            self.free.put_nowait(None)
            raise
        self.free.put_nowait(conn)
        return status, content

    async def close(self) -> None:
        """Close every open connection."""
        while not self.free.empty():
            conn = self.free.get_nowait()
            if conn is not None:
                conn[1].close()


async def _door_load(
    base: str, token: str, rate: float, seconds: float, persons: int, held: list[str]
) -> DoorLoad:
    n = int(rate * seconds)
    rng = random.Random(5)
    held_set = set(held)
    scheduled = np.arange(n) / rate
    latency = np.full(n, np.nan)
    status = np.zeros(n, dtype=np.int32)
    counts = {"denied": 0, "stale": 0, "wrong": 0}
    url = httpx.URL(base)
    pool = _Connections(url.host, url.port or 80, size=32)
    headers = f"Authorization: Bearer {token}\r\n"
    start = time.perf_counter()

    async def one(i: int) -> None:
        person = rng.choice(held) if i % 5 == 0 else f"p{rng.randrange(persons)}"
        body = {"person": person, "door": f"z{i % EXITS}", "direction": "out", "at": T0}
        try:
            code, content = await pool.post(
                "/api/v1/access/decide", json.dumps(body).encode(), headers
            )
            status[i] = code
            if code == 200:
                decision = json.loads(content)
                counts["denied"] += not decision["allowed"]
                counts["stale"] += bool(decision["stale"])
                counts["wrong"] += decision["allowed"] == (person in held_set)
        except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration):
            status[i] = 0
        latency[i] = (time.perf_counter() - start - scheduled[i]) * 1000

    pending: set[asyncio.Task[None]] = set()  # only these: 150,000 done tasks slow the GC
    gc.freeze()  # nor may a full collection walk the modules: the load must not stall itself
    for i in range(n):
        delay = start + scheduled[i] - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    await pool.close()
    return DoorLoad(scheduled, latency, status, seconds=seconds, **counts)


def _door_process(args: tuple[Any, ...], out: Any) -> None:
    out.send(asyncio.run(_door_load(*args)))
    out.close()


def door_load(
    base: str, token: str, *, rate: float, seconds: float, persons: int, held: list[str]
) -> DoorLoad:
    """Run the open-loop door load in a process of its own (so other clients do not delay it)."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_door_process, args=((base, token, rate, seconds, persons, held), send)
    )
    proc.start()
    send.close()
    result: DoorLoad = receive.recv()
    proc.join()
    return result


@dataclass
class Background:
    """The rest of the mixed load, run on a thread: dashboard users, imports and forecasts."""

    base: str
    token: str
    facility: Facility
    upload: Path
    runs: int
    seconds: float
    users: int = 20
    page_errors: list[str] = field(default_factory=list)
    pages: int = 0
    page_ms: list[float] = field(default_factory=list)
    page_paths: list[str] = field(default_factory=list)
    imports: list[dict[str, Any]] = field(default_factory=list)
    forecasts: list[dict[str, Any]] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)
    worker_rss: list[tuple[float, int]] = field(default_factory=list)
    signed_in: threading.Event = field(default_factory=threading.Event)

    async def _sign_in(self, client: httpx.AsyncClient) -> None:
        login = await client.post(
            "/api/v1/auth/login", json={"name": "lead", "password": self.facility.password}
        )
        if login.status_code != 200:
            self.page_errors.append(f"login {login.status_code}")

    async def _browse(self, client: httpx.AsyncClient, k: int, stop: float) -> None:
        rng = random.Random(k)
        while time.monotonic() < stop:
            path = rng.choice(DASHBOARD)
            began = time.perf_counter()
            if path.startswith("/api/"):
                headers = {"Authorization": f"Bearer {self.token}"}
                answer = await client.get(path, headers=headers, params={"limit": 50})
            else:
                answer = await client.get(path)
            self.page_ms.append((time.perf_counter() - began) * 1000)
            self.page_paths.append(path)
            self.pages += 1
            if answer.status_code != 200:
                self.page_errors.append(f"{path} {answer.status_code}")
            await asyncio.sleep(rng.uniform(0.5, 1.5))

    async def _job(self, client: httpx.AsyncClient, answer: httpx.Response) -> dict[str, Any]:
        if answer.status_code not in (201, 202):
            return {"status": f"HTTP {answer.status_code}", "error": answer.text[:300]}
        job: dict[str, Any] = answer.json()
        while job["status"] in ("queued", "running"):
            await asyncio.sleep(0.5)
            job = (await client.get(f"/api/v1/jobs/{job['id']}")).json()
        return job

    async def _imports(self, stop: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=120) as client:
            while time.monotonic() < stop:
                began = time.monotonic()
                with self.upload.open("rb") as body:
                    answer = await client.post(
                        "/api/v1/imports",
                        params={"kind": "presence"},
                        files={"file": ("presence.csv", body, "text/csv")},
                    )
                job = await self._job(client, answer)
                result = job.get("result") or {}
                self.imports.append(
                    {
                        "status": job["status"],
                        "seconds": time.monotonic() - began,
                        "added": result.get("added"),
                        "read": result.get("read"),
                        "error": job.get("error"),
                    }
                )

    async def _forecasts(self, stop: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=60) as client:
            while time.monotonic() < stop:
                began = time.monotonic()
                answer = await client.post(
                    "/api/v1/forecast", json={"runs": self.runs, "days": 14, "now": T0}
                )
                job = await self._job(client, answer)
                self.forecasts.append(
                    {
                        "status": job["status"],
                        "seconds": time.monotonic() - began,
                        "error": job.get("error"),
                    }
                )

    async def _memory(self, pid: int, stop: float, began: float) -> None:
        process = psutil.Process(pid)
        while time.monotonic() < stop:
            now = time.monotonic() - began
            service, workers = 0, 0
            for child in process.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    line = child.cmdline()
                    if "serve" not in line:
                        continue  # supervisord itself
                    if "worker" in line:
                        workers += int(child.memory_info().rss)  # the job worker
                    else:
                        service += int(child.memory_info().rss)  # the doors and the web
            self.rss.append((now, service))
            self.worker_rss.append((now, workers))
            await asyncio.sleep(1.0)

    async def run(self, pid: int) -> None:
        """The users sign in first (they are staff at work, not a login storm; ``signed_in`` is
        set then), then everything runs until ``seconds`` have passed (a job started before
        then finishes)."""
        clients = [httpx.AsyncClient(base_url=self.base, timeout=30) for _ in range(self.users)]
        try:
            await asyncio.gather(*(self._sign_in(c) for c in clients))
            self.signed_in.set()
            began = time.monotonic()
            stop = began + self.seconds
            await asyncio.gather(
                *(self._browse(c, k, stop) for k, c in enumerate(clients)),
                self._imports(stop),
                self._forecasts(stop),
                self._memory(pid, stop, began),
            )
        finally:
            self.signed_in.set()
            for client in clients:
                await client.aclose()

    def start(self, pid: int) -> threading.Thread:
        """Run on a thread of its own."""
        thread = threading.Thread(target=lambda: asyncio.run(self.run(pid)), daemon=True)
        thread.start()
        return thread


@dataclass
class MixedResult:
    """What a mixed-load run measured."""

    doors: DoorLoad
    background: Background
    seconds: float


def mixed_load(
    service: Service,
    facility: Facility,
    *,
    seconds: float,
    rate: float = 500,
    import_rows: int = 1_000_000,
    runs: int = 1000,
    users: int = 20,
    folder: Path | None = None,
) -> MixedResult:
    """Door decisions at ``rate``/s, ``users`` dashboard users, an import of ``import_rows``
    presence rows by upload and a ``runs``-run forecast (each repeated while time remains)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="cordon-load-"))
    upload = presence_csv(folder / "presence.csv", import_rows, facility.persons)
    background = Background(
        service.base,
        facility.command_token,
        facility,
        upload,
        runs=runs,
        seconds=seconds,
        users=users,
    )
    began = time.monotonic()
    thread = background.start(service.pid)
    background.signed_in.wait()
    doors = door_load(
        service.doors_base,
        facility.door_token,
        rate=rate,
        seconds=seconds,
        persons=facility.persons,
        held=facility.held,
    )
    thread.join()
    return MixedResult(doors, background, time.monotonic() - began)


def print_mixed(result: MixedResult) -> None:
    """The figures of a mixed-load run."""
    doors, bg = result.doors, result.background
    total = doors.summary()
    print(f"mixed load: {result.seconds:.0f} s wall, door rate target {total['per_s']:.0f}/s")
    print(
        f"{'slice s':>8} {'decides':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8}"
        f" {'jobs MiB':>8}"
    )
    rss = {int(t) // 10 * 10: r for t, r in bg.rss}
    workers = {int(t) // 10 * 10: r for t, r in bg.worker_rss}
    for s in doors.slices():
        mem, jobs = rss.get(int(s["t"])), workers.get(int(s["t"]))
        mem_text = f"{mem / 2**20:8.0f}" if mem else f"{'':>8}"
        jobs_text = f"{jobs / 2**20:8.0f}" if jobs else f"{'':>8}"
        print(
            f"{s['t']:8.0f} {s['n']:8d} {s['errors']:7d} {s['p50']:8.2f} {s['p99']:8.2f} {mem_text}"
            f" {jobs_text}"
        )
    print(
        f"decide total {total['n']:,}: errors {total['errors']}, p50 {total['p50']:.2f} ms, "
        f"p99 {total['p99']:.2f} ms, max {total['max']:.1f} ms; denied {doors.denied:,}, "
        f"wrong answers {doors.wrong}, stale {doors.stale}"
    )
    page = np.array(bg.page_ms or [0.0])
    print(
        f"dashboard: {bg.users} users, {bg.pages:,} requests, {len(bg.page_errors)} errors, "
        f"p50 {np.percentile(page, 50):.1f} ms, p99 {np.percentile(page, 99):.1f} ms"
    )
    by_path: dict[str, list[float]] = {}
    for path, ms in zip(bg.page_paths, bg.page_ms, strict=True):
        by_path.setdefault(path, []).append(ms)
    slowest = sorted(by_path.items(), key=lambda kv: -float(np.percentile(kv[1], 99)))[:5]
    print(
        "slowest pages (p99 ms): "
        + ", ".join(f"{path} {np.percentile(ms, 99):.0f}" for path, ms in slowest)
    )
    for k, imp in enumerate(bg.imports):
        print(
            f"import {k + 1}: {imp['status']} in {imp['seconds']:.1f} s, "
            f"read {imp['read']}, added {imp['added']}"
            + (f" ({imp['error']})" if imp["error"] else "")
        )
    for k, fc in enumerate(bg.forecasts):
        print(
            f"forecast {k + 1}: {fc['status']} in {fc['seconds']:.1f} s"
            + (f" ({fc['error']})" if fc["error"] else "")
        )
    if bg.rss:
        mem = np.array([r for _t, r in bg.rss]) / 2**20
        third = max(1, len(mem) // 3)
        print(
            f"service RSS MiB: first third max {mem[:third].max():.0f}, last third max "
            f"{mem[-third:].max():.0f}, overall min {mem.min():.0f} max {mem.max():.0f}"
        )
    if bg.worker_rss:
        jobs = np.array([r for _t, r in bg.worker_rss]) / 2**20
        third = max(1, len(jobs) // 3)
        print(
            f"job workers RSS MiB: first third max {jobs[:third].max():.0f}, last third max "
            f"{jobs[-third:].max():.0f}, overall max {jobs.max():.0f}"
        )
