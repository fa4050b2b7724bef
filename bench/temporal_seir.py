"""Temporal-network SEIR: runs per second on real and synthetic contacts, and the Venus forecast.

Run: ``.venv/bin/python -m bench temporal_seir``.
- SocioPatterns high school (thiers13; Mastrandrea et al. 2015): 5 days of sensor contacts merged
  into contacts, replayed (days resampled) over 30 days; shared-air route, weight = minutes / 15.
- Synthetic: 10^6 contacts among 20,000 people over 7 days, replayed over 30 days.
- Venus: the 1000-run forecast of each of the five standard scenarios through the service
  (store read, model set-up, ensemble, summaries), on the small Venus of the service tests.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numba
import numpy as np

from cordon.engine.forecast import run_ensemble
from cordon.engine.simulate.common import NaturalHistory, Seeds
from cordon.engine.simulate.interventions import Isolation, Quarantine, compile_controls
from cordon.engine.simulate.temporal import TemporalContacts, TemporalModel
from cordon.engine.windows import merge_windows

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DAY = 86_400.0


def _rate(model: TemporalModel, runs: int) -> tuple[float, float, float]:
    """Runs per second (wall), CPU milliseconds per run (all threads), mean infections."""
    model.simulate(np.arange(2))  # compile
    began, cpu = time.perf_counter(), time.process_time()
    out = run_ensemble(model, runs=runs, seed=1)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    return runs / wall, cpu / runs * 1e3, float(out[:, 0].sum(axis=1).mean())


def thiers13() -> TemporalContacts:
    """The high-school contacts as a temporal network (ids renumbered 0..n-1)."""
    tij = np.loadtxt(SHARED / "sociopatterns" / "thiers13" / "tij_thiers13.dat", dtype=np.int64)
    merged = merge_windows(tij[:, 0], tij[:, 1], tij[:, 2])
    _, index = np.unique(np.concatenate([merged.a, merged.b]), return_inverse=True)
    a, b = index[: len(merged.a)], index[len(merged.a) :]
    return TemporalContacts.build(
        a,
        b,
        merged.start,
        merged.end,
        weight=(merged.end - merged.start) / 900.0,
        route=np.full(len(a), 2),
    )


def synthetic(n_contacts: int = 1_000_000, people: int = 20_000) -> TemporalContacts:
    """Random contacts of 5 to 60 minutes over 7 days."""
    rng = np.random.default_rng(4)
    a = rng.integers(0, people, n_contacts)
    b = (a + rng.integers(1, people, n_contacts)) % people
    start = rng.uniform(0, 7 * DAY, n_contacts)
    end = start + rng.uniform(300, 3600, n_contacts)
    return TemporalContacts.build(a, b, start, end, route=np.full(n_contacts, 1), origin=0.0)


def venus_forecast() -> tuple[float, list[str]]:
    """Seconds for the five-scenario, 1000-run forecast of the small Venus, and its table."""
    from tests.services import test_analytics as venus

    from cordon.services import analytics
    from cordon.services.admin import init_store
    from cordon.store.db import Store

    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/venus.db")
        init_store(store, actor="bench")
        venus.populate(store, Path(folder))
        with store.session() as session:
            analytics.forecast(
                session, actor=venus.LEAD, days=14, runs=20, now=venus.NOW, zone=ZoneInfo("UTC")
            )
            began, cpu = time.perf_counter(), time.process_time()
            report = analytics.forecast(
                session, actor=venus.LEAD, days=14, runs=1000, now=venus.NOW, zone=ZoneInfo("UTC")
            )
            seconds = time.perf_counter() - began
            cpu = time.process_time() - cpu
        store.dispose()
    lines = [
        f"  {s.name:<24} infections {s.row.infections_median:>5.0f} "
        f"({s.row.infections_low90:.0f}-{s.row.infections_high90:.0f}), peak beds "
        f"{s.row.peak_beds_median:.0f}, P(beds exceeded) {s.row.capacity.ever:.0%}"
        for s in report.scenarios
        if s.row.capacity is not None
    ]
    return seconds, [f"  ({cpu:.2f} s CPU over both threads)", *lines]


def main() -> None:
    """Print runs per second for each network and the Venus forecast time."""
    print(f"{numba.get_num_threads()} threads; 30 simulated days per run, days resampled")
    history = NaturalHistory(
        latent_s=DAY, infectious_s=5 * DAY, transmission=np.array([0.5, 0.02, 0.01])
    )
    controls = compile_controls([Isolation(0.8, DAY), Quarantine(0.7, DAY)])
    for name, contacts in (("thiers13", thiers13()), ("synthetic 1e6", synthetic())):
        seeds = Seeds(np.arange(5), np.full(5, contacts.origin))
        for label, ctl in (("no action", compile_controls([])), ("isolate+quarantine", controls)):
            model = TemporalModel(contacts, history, ctl, seeds, contacts.origin, 30)
            runs = 1000 if len(contacts.a) < 500_000 else 100
            rate, cpu_ms, size = _rate(model, runs)
            print(
                f"{name:<14} {len(contacts.a):>9,} contacts {contacts.n_nodes:>6,} people "
                f"{label:<19} {rate:>7.1f} runs/s wall, {cpu_ms:>6.2f} CPU ms/run "
                f"({1e3 / cpu_ms:>6.0f} runs/s per core); mean infections {size:.0f}"
            )
    seconds, lines = venus_forecast()
    print(
        f"Venus forecast, 5 scenarios x 1000 runs x 14 days: {seconds:.2f} s "
        f"({seconds / 5:.2f} s per 1000-run scenario)"
    )
    for line in lines:
        print(line)
