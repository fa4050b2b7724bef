"""Real data: trace from a patient over the SocioPatterns hospital ward, checked against an
independent, vectorised computation of the same chains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cordon.engine.trace import NEVER, build_graph, trace_graph
from cordon.engine.windows import merge_windows

HOUR = 3600


@pytest.fixture(scope="module")
def ward() -> tuple[np.ndarray, ...]:
    tij = (
        Path(__file__).resolve().parents[3] / "shared/data/sociopatterns/hospital/tij_hospital.dat"
    )
    if not tij.exists():
        pytest.skip(f"no SocioPatterns data at {tij}")
    t, i, j = np.loadtxt(tij, dtype=np.int64, unpack=True)
    merged = merge_windows(t, i, j)
    ids, dense = np.unique(np.concatenate((merged.a, merged.b)), return_inverse=True)
    a, b = dense[: len(merged.a)], dense[len(merged.a) :]
    return ids, a, b, merged.start, merged.end


def fixpoint(a, b, s, e, seed, at, latent):  # type: ignore[no-untyped-def]
    """Unbounded infectious windows: relax every contact both ways until nothing changes."""
    n = int(max(a.max(), b.max())) + 1
    acts = np.full(n, NEVER)
    acts[seed] = at
    src, dst = np.concatenate((a, b)), np.concatenate((b, a))
    ss, ee = np.concatenate((s, s)), np.concatenate((e, e))
    while True:
        t = np.maximum(ss, acts[src])
        ok = (acts[src] < NEVER) & (t <= ee) & (dst != seed)
        cand = np.full(n, NEVER)
        np.minimum.at(cand, dst[ok], t[ok] + latent)
        new = np.minimum(acts, cand)
        if (new == acts).all():
            return np.where(acts < NEVER, np.where(np.arange(n) == seed, at, acts - latent), NEVER)
        acts = new


def simulate(a, b, s, e, seed, at, latent, span):  # type: ignore[no-untyped-def]
    """Finite windows: infect, one person at a time, whoever is next to be reached."""
    n = int(max(a.max(), b.max())) + 1
    acts = np.full(n, NEVER)
    infected = np.full(n, NEVER)
    window = np.full(n, span)
    acts[seed] = infected[seed] = at
    src, dst = np.concatenate((a, b)), np.concatenate((b, a))
    ss, ee = np.concatenate((s, s)), np.concatenate((e, e))
    while True:
        live = acts[src] < NEVER
        t = np.maximum(ss, acts[src])
        ok = live & (acts[dst] == NEVER) & (t <= ee) & (t < acts[src] + window[src])
        if not ok.any():
            return infected
        k = np.flatnonzero(ok)[np.argmin(t[ok])]
        acts[dst[k]], infected[dst[k]] = t[k] + latent, t[k]


def test_trace_from_a_patient_matches_independent_computations(ward) -> None:  # type: ignore[no-untyped-def]
    ids, a, b, s, e = ward
    seed = int(np.flatnonzero(ids == 1157)[0])  # a patient
    g = build_graph(a, b, s, e)
    unbounded = trace_graph(g, [seed], 0, latent=HOUR)
    expected = fixpoint(a, b, s, e, seed, 0, HOUR)
    assert (unbounded.time == expected).all()
    assert 40 < len(unbounded.reached) <= len(ids)

    windowed = trace_graph(g, [seed], 0, latent=HOUR, infectious=12 * HOUR)
    assert (windowed.time == simulate(a, b, s, e, seed, 0, HOUR, 12 * HOUR)).all()
    assert len(windowed.reached) < len(unbounded.reached)
    # every chain is made of real contacts in time order
    for v in windowed.reached.tolist():
        chain = windowed.chain(v)
        times = [windowed.time[p] for p in chain]
        assert times == sorted(times)
        for step, k in enumerate(windowed.chain_contacts(v)):
            assert {a[k], b[k]} == {chain[step], chain[step + 1]}
            assert s[k] <= windowed.time[chain[step + 1]] <= e[k]
