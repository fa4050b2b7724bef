"""HTTP load on loopback: an open-loop load generator that sends a fixed request rate for a fixed
time and stops by itself, then prints p50/p90/p99/max latency, throughput and errors.

Run: ``.venv/bin/python -m bench http_load`` (env: BENCH_RATE=500, BENCH_SECONDS=60,
BENCH_PATH to swap the target). It starts ``cordon serve`` on a fresh SQLite store in a temporary
folder and loads, in the same run, the target (default ``GET /api/v1/auth/me`` with a door's API
token: the authenticated path every door call takes) and the peer ``GET /api/v1/health`` (no
authentication, no store query beyond the schema check). ``bench/http_decide.py`` (issue 5) calls
``run_load`` with ``POST /api/v1/access/decide``.

Latency is measured from each request's *scheduled* send time, so a stalled server shows up as
latency instead of silently lowering the rate (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = int(os.environ.get("BENCH_RATE", "500"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
TARGET = os.environ.get("BENCH_PATH", "/api/v1/auth/me")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


@dataclass
class LoadResult:
    """What one load run measured (latencies in seconds)."""

    label: str
    sent: int
    latencies: np.ndarray
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        """One row of the results table."""
        ms = self.latencies * 1000 if len(self.latencies) else np.zeros(1)
        p50, p90, p99 = np.percentile(ms, [50, 90, 99])
        ok = len(self.latencies)
        rate = ok / self.seconds if self.seconds else 0.0
        errors = sum(self.errors.values())
        return (
            f"{self.label:<28} {self.sent:>7,} {rate:>8,.0f} {p50:>7.2f} {p90:>7.2f} "
            f"{p99:>7.2f} {ms.max():>8.2f} {errors:>6}"
        )


HEADER = (
    f"{'target':<28} {'sent':>7} {'ok/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
    f"{'max ms':>8} {'errors':>6}"
)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _run(
    host: str,
    port: int,
    request: bytes,
    rate: int,
    seconds: float,
    connections: int,
    label: str,
) -> LoadResult:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(host, port))
    total = int(rate * seconds)
    latencies = np.full(total, np.nan)
    errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, due: float) -> None:
        reader, writer = await pool.get()
        try:
            status = await asyncio.wait_for(_exchange(reader, writer, request), 10)
            if status >= 400:
                errors[str(status)] = errors.get(str(status), 0) + 1
            else:
                latencies[i] = loop.time() - due
            pool.put_nowait((reader, writer))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            writer.close()
            pool.put_nowait(await asyncio.open_connection(host, port))

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    while not pool.empty():
        _reader, writer = pool.get_nowait()
        writer.close()
    done = latencies[~np.isnan(latencies)]
    return LoadResult(label, total, done, errors, elapsed)


def run_load(
    url: str,
    *,
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    body: object | None = None,
    rate: int = RATE,
    seconds: float = SECONDS,
    connections: int = CONNECTIONS,
    label: str | None = None,
) -> LoadResult:
    """Send ``rate`` requests per second for ``seconds`` to ``url`` + ``path`` over keep-alive
    connections, then stop; returns the latencies of the answered ones and the errors."""
    host, port = url.removeprefix("http://").split(":")
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    return asyncio.run(
        _run(host, int(port), request, rate, seconds, connections, label or f"{method} {path}")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """``cordon serve`` on a new store in ``folder``; returns the process, its URL and a door
    token."""
    db = f"sqlite:///{folder / 'bench.db'}"
    cordon = [sys.executable, "-m", "cordon", "--db", db]
    subprocess.run([*cordon, "init"], check=True, capture_output=True)
    subprocess.run(
        [*cordon, "user", "add", "door-1", "--role", "door", "--no-password"],
        check=True,
        capture_output=True,
    )
    made = subprocess.run(
        [*cordon, "token", "create", "door-1", "--name", "bench", "--json"],
        check=True,
        capture_output=True,
    )
    secret = json.loads(made.stdout)["secret"]
    port = _free_port()
    server = subprocess.Popen([*cordon, "serve", "--port", str(port)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("cordon serve did not start") from None
            time.sleep(0.2)
    return server, url, secret


def main() -> None:
    """Load the target and the peer in one run and print both."""
    with tempfile.TemporaryDirectory() as tmp:
        server, url, secret = start_service(Path(tmp))
        try:
            auth = {"Authorization": f"Bearer {secret}"}
            run_load(url, path=TARGET, headers=auth, rate=50, seconds=2)  # warm up
            print(f"{RATE} requests/s for {SECONDS:g} s, {CONNECTIONS} connections, loopback")
            print(HEADER)
            for result in (
                run_load(url, path=TARGET, headers=auth, label=f"GET {TARGET} (token)"),
                run_load(url, path="/api/v1/health", label="GET /api/v1/health (peer)"),
            ):
                print(result.line(), flush=True)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
