"""Time-respecting tracing: cordon's label setting against a networkx-based one and raphtory.

Run: ``.venv/bin/python -m bench trace``. Data: the SocioPatterns high school (thiers13,
windows merged into contacts), and contacts derived by co-location from synthetic presence logs
(``bench.presence``) of about 10^6 and 10^7 contacts. ``BENCH_TRACE_SETS`` picks them
(default ``thiers13,1e6,1e7``).

- cordon: ``build_graph`` (both indexes, timed apart), then a forward trace from ten index
  persons and a backward trace from ten cases, with latent and infectious windows.
- networkx: the same label setting written over a ``networkx.MultiGraph`` (adjacency dicts and
  ``heapq``), the way an analyst would with networkx, which has no temporal paths of its own;
  it must give the same infection times. Not run on 10^7 contacts (the graph alone would take
  about 10 GB here).
- raphtory: ``algorithms.temporally_reachable_nodes`` (strictly increasing instantaneous edges
  from a start time); compared with cordon on the same instantaneous contacts (contact start
  times, latent 1 s so that each step is strictly later, unbounded windows).
"""

from __future__ import annotations

import heapq
import os
import time
from pathlib import Path

import numpy as np

from bench.presence import presence_log
from cordon.engine.colocation import colocation_contacts
from cordon.engine.trace import NEVER, Direction, build_graph, trace_graph
from cordon.engine.windows import merge_windows

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sociopatterns"
DAY = 86_400
HOURS_2 = 7_200
RAPHTORY_TIMEOUT = float(os.environ.get("BENCH_RAPHTORY_TIMEOUT", "300"))


def thiers13() -> tuple[np.ndarray, ...]:
    """Merged contacts of the high school, persons as 0..n-1."""
    t, i, j = np.loadtxt(SHARED / "thiers13" / "tij_thiers13.dat", dtype=np.int64, unpack=True)
    m = merge_windows(t, i, j)
    _, dense = np.unique(np.concatenate((m.a, m.b)), return_inverse=True)
    return dense[: len(m.a)], dense[len(m.a) :], m.start, m.end


def synthetic(intervals: int) -> tuple[np.ndarray, ...]:
    """Contacts (at least 5 minutes together) from a synthetic presence log."""
    found, _ = colocation_contacts(*presence_log(intervals, seed=3), min_overlap=300)
    return found.a, found.b, found.start, found.end


def nx_trace(graph, seeds, at, latent, infectious, seed_window, *, backward=False):  # type: ignore[no-untyped-def]
    """Label setting over a networkx MultiGraph whose edges carry ``start`` and ``end``."""
    acts = dict.fromkeys(seeds, at)
    window = dict.fromkeys(seeds, seed_window)
    heap = [(at, s) for s in seeds]
    heapq.heapify(heap)
    settled = set()
    seed_set = set(seeds)
    while heap:
        t0, u = heapq.heappop(heap)
        if u in settled:
            continue
        settled.add(u)
        t1 = t0 + window.get(u, infectious)
        for v, edges in graph[u].items():
            if v in seed_set or v in settled:
                continue
            for attr in edges.values():
                s, e = (-attr["end"], -attr["start"]) if backward else (attr["start"], attr["end"])
                if e < t0 or s >= t1:
                    continue
                candidate = max(s, t0) + latent
                if candidate < acts.get(v, NEVER):
                    acts[v] = candidate
                    heapq.heappush(heap, (candidate, v))
    return acts


def _nx_graph(a, b, s, e):  # type: ignore[no-untyped-def]
    import networkx as nx

    graph = nx.MultiGraph()
    graph.add_edges_from(
        (int(x), int(y), {"start": int(p), "end": int(q)})
        for x, y, p, q in zip(a.tolist(), b.tolist(), s.tolist(), e.tolist(), strict=True)
    )
    return graph


def _raphtory(a, b, s, seeds, start):  # type: ignore[no-untyped-def]
    import pandas as pd
    import raphtory
    from raphtory import algorithms

    frame = pd.DataFrame(
        {"t": np.concatenate((s, s)), "src": np.concatenate((a, b)), "dst": np.concatenate((b, a))}
    )
    graph = raphtory.Graph()
    began = time.perf_counter()
    graph.load_edges(frame, time="t", src="src", dst="dst")
    load = time.perf_counter() - began
    began = time.perf_counter()
    state = algorithms.temporally_reachable_nodes(graph, 10**6, start, [int(x) for x in seeds])
    seconds = time.perf_counter() - began
    reached = {int(node.id) for node, history in state.items() if len(history)}
    return load, seconds, reached | {int(x) for x in seeds}


def _with_timeout(function, args, timeout):  # type: ignore[no-untyped-def]
    """``function(*args)`` in a forked process; None if it takes longer than ``timeout`` s."""
    import multiprocessing as mp

    context = mp.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(function(*args)))
    child.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # queue.Empty: too slow
        return None
    finally:
        child.kill()
        child.join()


def run(name: str, contacts: tuple[np.ndarray, ...], latent: int, infectious: int) -> None:
    """Time cordon, networkx and raphtory on one set of contacts."""
    a, b, s, e = contacts
    rng = np.random.default_rng(11)
    n = int(max(a.max(), b.max())) + 1
    seeds = rng.choice(n, 10, replace=False)
    first, last = int(s.min()), int(e.max())
    print(f"\n{name}: {len(a):,} contacts, {n:,} persons; latent {latent} s, "
          f"infectious {infectious} s; 10 index persons / cases", flush=True)  # fmt: skip
    build_graph(a[:10], b[:10], s[:10], e[:10]).adjacency(Direction.BACKWARD)  # compiled code
    began = time.perf_counter()
    graph = build_graph(a, b, s, e, n=n)
    graph.adjacency(Direction.BACKWARD)
    build = time.perf_counter() - began
    kw = {"latent": latent, "infectious": infectious}
    trace_graph(graph, seeds, first, **kw)  # compiled code loaded
    began = time.perf_counter()
    fwd = trace_graph(graph, seeds, first, **kw)
    t_fwd = time.perf_counter() - began
    began = time.perf_counter()
    bwd = trace_graph(graph, seeds, last, direction="backward", **kw)
    t_bwd = time.perf_counter() - began
    print(f"{'method':<12}{'build s':>9}{'forward s':>11}{'backward s':>12}"
          f"{'reached f/b':>16}{'x cordon':>10}")  # fmt: skip
    print(f"{'cordon':<12}{build:>9.2f}{t_fwd:>11.3f}{t_bwd:>12.3f}"
          f"{len(fwd.reached):>8,}/{len(bwd.reached):<7,}{1.0:>9.1f}x", flush=True)  # fmt: skip
    if len(a) <= 2_000_000:
        began = time.perf_counter()
        nxg = _nx_graph(a, b, s, e)
        nx_build = time.perf_counter() - began
        began = time.perf_counter()
        acts = nx_trace(nxg, seeds.tolist(), first, latent, infectious, infectious)
        nx_fwd = time.perf_counter() - began
        began = time.perf_counter()
        back = nx_trace(nxg, seeds.tolist(), -last, latent, infectious, latent + infectious,
                        backward=True)  # fmt: skip
        nx_bwd = time.perf_counter() - began
        same_f = all(fwd.infectious_from[v] == t for v, t in acts.items()) and len(acts) == len(
            fwd.reached
        )
        same_b = len(back) == len(bwd.reached) and all(bwd.time[v] == -t for v, t in back.items())
        note = "" if same_f and same_b else "  DIFFERENT OUTPUT"
        ratio = (nx_fwd + nx_bwd) / (t_fwd + t_bwd)
        print(f"{'networkx':<12}{nx_build:>9.2f}{nx_fwd:>11.3f}{nx_bwd:>12.3f}"
              f"{len(acts):>8,}/{len(back):<7,}{ratio:>9.1f}x{note}", flush=True)  # fmt: skip
    else:
        print("networkx    not run at this size (graph too large for this machine)")
    try:
        import raphtory  # noqa: F401
    except ImportError:
        print("raphtory    does not import here")
        return
    inst = build_graph(a, b, s, s, n=n)
    began = time.perf_counter()
    mine = trace_graph(inst, seeds, first + 1, latent=1)
    t_inst = time.perf_counter() - began
    outcome = _with_timeout(_raphtory, (a, b, s, seeds, first), RAPHTORY_TIMEOUT)
    print(flush=True)  # after raphtory's progress bar
    if outcome is None:
        print(f"raphtory    > {RAPHTORY_TIMEOUT:.0f} s (stopped; cordon same query: "
              f"{t_inst:.3f} s, {len(mine.reached):,} reached)")  # fmt: skip
        return
    load, seconds, reached = outcome
    same = "" if reached == set(mine.reached.tolist()) else "  DIFFERENT REACHED SET"
    print(f"{'raphtory':<12}{load:>9.2f}{seconds:>11.3f}{'':>12}{len(reached):>8,}/{'':<7}"
          f"{seconds / t_inst:>9.1f}x  (cordon same query: {t_inst:.3f} s, "
          f"{len(mine.reached):,} reached){same}", flush=True)  # fmt: skip


def main() -> None:
    """Run every data set named in BENCH_TRACE_SETS."""
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    for name in os.environ.get("BENCH_TRACE_SETS", "thiers13,1e6,1e7").split(","):
        if name == "thiers13":
            run("thiers13 high school", thiers13(), latent=3_600, infectious=DAY)
        elif name == "1e6":
            run("synthetic ~10^6 contacts", synthetic(200_000), latent=HOURS_2, infectious=2 * DAY)
        elif name == "1e7":
            run(
                "synthetic ~10^7 contacts", synthetic(1_400_000), latent=HOURS_2, infectious=2 * DAY
            )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
