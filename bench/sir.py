"""Static-network SIR: cordon's compiled event-driven kernel against EoN's ``fast_SIR``.

Run: ``.venv/bin/python -m bench sir`` (``BENCH_SIR_SIZES=10000,100000,1000000`` by default;
``BENCH_EON_RUNS`` caps EoN's runs per size, as EoN takes seconds per run). Same Erdos-Renyi
network (mean degree 10), same rates (tau 0.2, gamma 1), 10 initial infecteds; the final-size
distributions are compared with a two-sample Kolmogorov-Smirnov test; time per run is measured on
one thread for both as CPU time (the machine is shared: wall time would measure the neighbours),
and the ensemble throughput (wall clock) with every core for cordon.
"""

from __future__ import annotations

import os
import random
import time

import numba
import numpy as np
from scipy import stats

from cordon.engine.simulate.common import run_seeds
from cordon.engine.simulate.interventions import Isolation, Moratorium, compile_controls
from cordon.engine.simulate.static import StaticModel, csr_from_edges

TAU, GAMMA, DEGREE = 0.2, 1.0, 10
SIZES = [int(s) for s in os.environ.get("BENCH_SIR_SIZES", "10000,100000,1000000").split(",")]
EON_RUNS = {10_000: 300, 100_000: 20, 1_000_000: 2}
OUR_RUNS = {10_000: 1000, 100_000: 1000, 1_000_000: 100}


def network(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A simple Erdos-Renyi-like graph: n * DEGREE / 2 random pairs, self-loops and repeats out."""
    rng = np.random.default_rng(seed)
    m = n * DEGREE // 2
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    pairs = np.unique(a[keep] * n + b[keep])
    return pairs // n, pairs % n


def main() -> None:
    """Print one line per size, then the cost of switching interventions on."""
    import EoN
    import networkx as nx

    cap = os.environ.get("BENCH_EON_RUNS")
    threads = numba.get_num_threads()
    print(f"tau {TAU}, gamma {GAMMA}, mean degree {DEGREE}, 10 initial; {threads} threads")
    header = (
        "nodes",
        "runs us/eon",
        "cordon ms/run",
        "eon ms/run",
        "ratio",
        "ensemble runs/s",
        "mean size us/eon",
        "KS p",
    )
    print("{:>9} {:>12} {:>14} {:>11} {:>7} {:>16} {:>18} {:>7}".format(*header))
    for n in SIZES:
        a, b = network(n)
        indptr, indices, w = csr_from_edges(n, a, b)
        initial = np.arange(10)
        model = StaticModel(indptr, indices, w, TAU, GAMMA, initial)
        model.simulate(run_seeds(0, 2))  # compile
        runs = OUR_RUNS.get(n, 100)
        began = time.perf_counter()
        ours = model.simulate(run_seeds(1, runs))
        ensemble_rate = runs / (time.perf_counter() - began)
        numba.set_num_threads(1)
        one = min(runs, 50)
        began = time.process_time()
        model.simulate(run_seeds(2, one))
        ours_per_run = (time.process_time() - began) / one
        numba.set_num_threads(threads)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
        eon_runs = min(EON_RUNS.get(n, 2), int(cap) if cap else 10**9)
        random.seed(3)
        began = time.process_time()
        theirs = [
            EoN.fast_SIR(graph, TAU, GAMMA, initial_infecteds=list(range(10)))[3][-1]
            for _ in range(eon_runs)
        ]
        eon_per_run = (time.process_time() - began) / eon_runs
        del graph
        p = stats.ks_2samp(ours, theirs).pvalue if eon_runs >= 5 else float("nan")
        print(
            f"{n:>9,} {runs:>5}/{eon_runs:<6} {ours_per_run * 1e3:>14.2f} "
            f"{eon_per_run * 1e3:>11.1f} {eon_per_run / ours_per_run:>6.0f}x "
            f"{ensemble_rate:>16.1f} {ours.mean():>9.0f}/{np.mean(theirs):<8.0f} {p:>7.3f}"
        )
    n = SIZES[0] if len(SIZES) == 1 else SIZES[1]
    a, b = network(n)
    indptr, indices, w = csr_from_edges(n, a, b)
    controls = compile_controls([Isolation(0.5, 1.0), Moratorium(2.0, 3.0)])
    plain = StaticModel(indptr, indices, w, TAU, GAMMA, np.arange(10))
    with_controls = StaticModel(indptr, indices, w, TAU, GAMMA, np.arange(10), controls=controls)
    with_controls.simulate(run_seeds(0, 2))
    # the same outbreak size for both, so the cost per event is what is compared
    boosted = StaticModel(indptr, indices, w, TAU * 1.6, GAMMA, np.arange(10), controls=controls)
    times = {}
    sizes = {}
    numba.set_num_threads(1)
    for name, m in (("plain", plain), ("interventions", boosted)):
        began = time.process_time()
        out = m.simulate(run_seeds(5, 200))
        times[name] = (time.process_time() - began) / out.sum() * 1e9
        sizes[name] = out.mean()
    numba.set_num_threads(threads)
    print(
        f"interventions on ({n:,} nodes; isolation, a moratorium window): "
        f"{times['interventions']:.0f} ns per infection vs {times['plain']:.0f} ns plain "
        f"({times['interventions'] / times['plain'] - 1:+.0%}); "
        f"mean sizes {sizes['interventions']:.0f} and {sizes['plain']:.0f}"
    )
