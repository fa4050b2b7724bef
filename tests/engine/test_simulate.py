"""Simulation kernels: brute-force twins, analytic final size, masks, seeds and Dask."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import brentq

from cordon.engine import forecast
from cordon.engine.forecast import run_ensemble
from cordon.engine.simulate import common, interventions, static
from cordon.engine.simulate.branching import BranchingModel
from cordon.engine.simulate.common import NaturalHistory, Seeds, run_seeds
from cordon.engine.simulate.interventions import (
    EgressHold,
    Isolation,
    Moratorium,
    Quarantine,
    compile_controls,
)
from cordon.engine.simulate.static import StaticModel, csr_from_edges
from cordon.engine.simulate.temporal import TemporalContacts, TemporalModel, moratorium_mask
from cordon.errors import EngineError

DAY = 86_400.0
HOUR = 3_600.0


@pytest.mark.parametrize("module", [common, interventions, static, forecast])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


def random_graph(n: int, degree: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    m = int(n * degree / 2)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    return csr_from_edges(n, u[keep], v[keep])


# -- static network ---------------------------------------------------------------------------


def test_final_size_matches_the_analytic_relation() -> None:
    n = 20_000
    indptr, indices, w = random_graph(n, 8, seed=1)
    k = len(indices) / n
    tau, gamma = 0.25, 1.0
    model = StaticModel(indptr, indices, w, tau, gamma, initial=np.arange(10))
    sizes = model.simulate(run_seeds(7, 40)) / n
    t = tau / (tau + gamma)  # transmissibility with exponential infectious periods
    z = brentq(lambda z: 1 - math.exp(-k * t * z) - z, 1e-9, 1)
    large = sizes[sizes > 0.05]
    assert len(large) > 30
    assert abs(large.mean() - z) < 0.01


def test_static_final_sizes_match_eon_fast_sir() -> None:
    eon = pytest.importorskip("EoN")
    nx = pytest.importorskip("networkx")
    n = 600
    indptr, indices, w = random_graph(n, 6, seed=2)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for u in range(n):
        graph.add_edges_from((u, int(v)) for v in indices[indptr[u] : indptr[u + 1]])
    indptr, indices, w = csr_from_edges(n, *np.array(list(graph.edges())).T)
    tau, gamma = 0.3, 1.0
    ours = StaticModel(indptr, indices, w, tau, gamma, initial=np.arange(3)).simulate(
        run_seeds(5, 300)
    )
    import random

    random.seed(5)
    theirs = [
        eon.fast_SIR(graph, tau, gamma, initial_infecteds=[0, 1, 2], return_full_data=False)[3][-1]
        for _ in range(300)
    ]
    assert stats.ks_2samp(ours, theirs).pvalue > 0.001


def test_zero_transmissibility_spreads_nothing() -> None:
    indptr, indices, w = random_graph(500, 10, seed=3)
    model = StaticModel(indptr, indices, w, 0.0, 1.0, initial=np.array([0, 1]))
    assert model.simulate(run_seeds(1, 20)).tolist() == [2] * 20
    contacts = TemporalContacts.build(
        np.arange(100), np.arange(1, 101), np.arange(100) * HOUR, np.arange(100) * HOUR + 60
    )
    history = NaturalHistory(latent_s=0, transmission=np.array([0.0]))
    seeds = Seeds(np.arange(101), np.full(101, -DAY))
    out = TemporalModel(
        contacts,
        history,
        compile_controls([]),
        Seeds(np.array([0]), np.array([-DAY])),
        0.0,
        5,
        resample=False,
    ).simulate(run_seeds(1, 10))
    assert out[:, 0].sum() == 0
    branching = BranchingModel(0.0, history, compile_controls([]), seeds, 1000, 0.0, 5)
    assert branching.simulate(run_seeds(1, 10))[:, 0].sum() == 0


def test_a_moratorium_stops_the_static_clock() -> None:
    assert static._advance(0.0, 5.0, np.array([[2.0, 10.0]])) == 13.0
    assert static._advance(0.0, 1.0, np.array([[2.0, 10.0]])) == 1.0
    assert static._advance(3.0, 1.0, np.array([[2.0, 10.0], [10.5, 11.0]])) == 11.5
    indptr, indices, w = random_graph(2000, 10, seed=4)
    free = StaticModel(indptr, indices, w, 0.5, 1.0, initial=np.arange(5))
    stopped = StaticModel(
        indptr,
        indices,
        w,
        0.5,
        1.0,
        initial=np.arange(5),
        controls=compile_controls([Moratorium(0.0)]),
    )
    assert stopped.simulate(run_seeds(1, 10)).tolist() == [5] * 10
    assert free.simulate(run_seeds(1, 10)).mean() > 100


# -- temporal network: brute-force twin -------------------------------------------------------


def earliest_infections(
    n: int,
    contacts: list[tuple[int, int, float, float, int, bool]],
    seeds: list[int],
    latent: float,
    infectious: float,
    mor: list[tuple[float, float, int, bool]],
    isolation_delay: float | None,
) -> list[float]:
    """Brute force with certain transmission: relax every contact until nothing changes."""
    t_inf = [math.inf] * n
    for s in seeds:
        t_inf[s] = 0.0
    changed = True
    while changed:
        changed = False
        for a, b, s, e, route, gathering in contacts:
            if any(
                m0 <= s < m1 and (r < 0 or r == route) and (not g or gathering)
                for m0, m1, r, g in mor
            ):
                continue
            for v, u in ((a, b), (b, a)):
                start = t_inf[v] + latent
                stop = start + infectious
                if isolation_delay is not None:
                    stop = min(stop, start + isolation_delay)
                t = max(s, start)
                if t < e and t < stop and t < t_inf[u] and s >= 0:
                    t_inf[u] = t
                    changed = True
    return t_inf


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 7),
            st.integers(0, 7),
            st.integers(0, 6 * 24),
            st.integers(1, 6),
            st.integers(0, 1),
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    ),
    st.booleans(),
    st.lists(
        st.tuples(st.integers(0, 6 * 24), st.integers(1, 48), st.integers(-1, 1), st.booleans()),
        max_size=2,
    ),
)
def test_temporal_kernel_matches_brute_force(
    raw: list[tuple[int, int, int, int, int, bool]],
    isolate: bool,
    raw_mor: list[tuple[int, int, int, bool]],
) -> None:
    rows = [(a, b, h * HOUR, (h + d) * HOUR, r, g) for a, b, h, d, r, g in raw if a != b]
    if not rows:
        return
    latent, infectious = 7 * HOUR, 30 * HOUR  # latent longer than any contact
    mor = [(h * HOUR, (h + d) * HOUR, r, g) for h, d, r, g in raw_mor]
    a, b, s, e, r, g = (np.array(x) for x in zip(*rows, strict=True))
    contacts = TemporalContacts.build(a, b, s, e, route=r, gathering=g, origin=0.0, n_nodes=8)
    history = NaturalHistory(
        latent_s=latent, infectious_s=infectious, shape=0, transmission=np.array([1.0, 1.0])
    )
    items: list[interventions.Intervention] = [
        Moratorium(m0, m1, () if rr < 0 else (rr,), gg) for m0, m1, rr, gg in mor
    ]
    if isolate:
        items.append(Isolation(1.0, 5 * HOUR))
    model = TemporalModel(
        contacts,
        history,
        compile_controls(items),
        Seeds(np.array([0]), np.array([0.0])),
        0.0,
        8,
        resample=False,
    )
    out = model.simulate(run_seeds(0, 1))[0]
    expected = earliest_infections(
        8, rows, [0], latent, infectious, mor, 5 * HOUR if isolate else None
    )
    per_day = np.zeros(8, int)
    for t in expected:
        if t < math.inf:
            per_day[int(t // DAY)] += 1
    assert out[0].tolist() == per_day.tolist()


def test_a_moratorium_removes_exactly_the_contacts_it_covers() -> None:
    rng = np.random.default_rng(11)
    n, m = 200, 6000
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    a, b = a[keep], b[keep]
    start = rng.uniform(0, 10 * DAY, len(a))
    route = rng.integers(0, 3, len(a))
    gathering = rng.random(len(a)) < 0.3
    contacts = TemporalContacts.build(
        a, b, start, start + 600, route=route, gathering=gathering, origin=0.0, n_nodes=n
    )
    ban = compile_controls(
        [
            Moratorium.just_for_today(3 * DAY, routes=(0,)),
            Moratorium(5 * DAY, 7 * DAY, gatherings_only=True),
        ]
    )
    mask = moratorium_mask(contacts, ban.moratorium)
    s, r, g = contacts.start, contacts.route, contacts.gathering
    brute = ((s >= 3 * DAY) & (s < 4 * DAY) & (r == 0)) | ((s >= 5 * DAY) & (s < 7 * DAY) & g)
    assert np.array_equal(mask, brute) and mask.any()
    history = NaturalHistory(
        transmission=np.array([0.9, 0.3, 0.1]), latent_s=HOUR, infectious_s=3 * DAY
    )
    seeds = Seeds(np.arange(5), np.zeros(5))
    with_ban = TemporalModel(contacts, history, ban, seeds, 0.0, 10, resample=False)
    kept = ~mask
    pruned = TemporalContacts.build(
        contacts.a[kept],
        contacts.b[kept],
        contacts.start[kept],
        contacts.end[kept],
        route=contacts.route[kept],
        gathering=contacts.gathering[kept],
        origin=0.0,
        n_nodes=n,
    )
    without = TemporalModel(pruned, history, compile_controls([]), seeds, 0.0, 10, resample=False)
    # same draws only if the same contacts are tried: certain transmission makes them comparable
    certain = NaturalHistory(transmission=np.ones(3), latent_s=HOUR, infectious_s=3 * DAY, shape=0)
    a1 = TemporalModel(contacts, certain, ban, seeds, 0.0, 10, resample=False)
    a2 = TemporalModel(pruned, certain, compile_controls([]), seeds, 0.0, 10, resample=False)
    assert np.array_equal(a1.simulate(run_seeds(3, 2)), a2.simulate(run_seeds(3, 2)))
    assert (
        with_ban.simulate(run_seeds(3, 50))[:, 0].sum()
        <= without.simulate(run_seeds(3, 50))[:, 0].sum() * 1.5
    )


def test_interventions_reduce_spread_and_fill_beds() -> None:
    rng = np.random.default_rng(5)
    n, m = 300, 20000
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    start = rng.uniform(0, 3 * DAY, keep.sum())
    contacts = TemporalContacts.build(a[keep], b[keep], start, start + 900, origin=0.0, n_nodes=n)
    history = NaturalHistory(transmission=np.array([0.05]), latent_s=DAY, infectious_s=4 * DAY)
    seeds = Seeds(np.arange(5), np.zeros(5))

    def total(items: list[interventions.Intervention]) -> float:
        model = TemporalModel(contacts, history, compile_controls(items), seeds, 0.0, 20)
        out = model.simulate(run_seeds(1, 100))
        return float(out[:, 0].sum(axis=1).mean())

    nothing = total([])
    isolation = total([Isolation(0.9, 0.5 * DAY)])
    both = total([Isolation(0.9, 0.5 * DAY), Quarantine(1.0, 0.0)])
    assert nothing > isolation > both
    holds = TemporalModel(
        contacts,
        NaturalHistory(transmission=np.array([0.05]), egress_probability=0.5),
        compile_controls([EgressHold(0.0)]),
        seeds,
        0.0,
        20,
    ).simulate(run_seeds(1, 20))
    assert holds[:, 4].sum() == 0


def test_tracing_quarantines_every_contact_in_the_look_back() -> None:
    # case 0 isolated at 12 h; it met 1..5 before (6 at 1 h, outside a 10 h look-back), 7 after
    a = np.zeros(7, np.int64)
    b = np.array([1, 2, 3, 4, 5, 6, 7])
    start = np.array([3, 4, 5, 6, 7, 1, 20]) * HOUR
    contacts = TemporalContacts.build(a, b, start, start + 600, origin=0.0, n_nodes=8)
    history = NaturalHistory(
        latent_s=2 * HOUR, infectious_s=5 * DAY, shape=0, transmission=np.array([0.0])
    )
    controls = compile_controls(
        [
            Isolation(1.0, 10 * HOUR),
            Quarantine(1.0, 2 * HOUR, duration_s=2 * DAY, lookback_s=10 * HOUR),
        ]
    )
    model = TemporalModel(
        contacts, history, controls, Seeds(np.array([0]), np.array([0.0])), 0.0, 4, resample=False
    )
    out = model.simulate(run_seeds(0, 1))[0]
    assert out[3].tolist() == [5, 5, 0, 0]  # quarantined from 14 h for 2 days
    assert out[2].tolist() == [1, 1, 1, 1]  # the case, isolated until recovered
    assert out[0].tolist() == [1, 0, 0, 0]


def test_interventions_refuse_nonsense() -> None:
    with pytest.raises(EngineError, match="needs isolation"):
        compile_controls([Quarantine()])
    with pytest.raises(EngineError, match="end after"):
        compile_controls([Moratorium(5.0, 5.0)])
    with pytest.raises(EngineError, match="only one"):
        compile_controls([Isolation(), Isolation()])


# -- ensembles --------------------------------------------------------------------------------


def small_model() -> TemporalModel:
    rng = np.random.default_rng(9)
    n, m = 150, 4000
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    start = rng.uniform(0, 4 * DAY, keep.sum())
    contacts = TemporalContacts.build(a[keep], b[keep], start, start + 900, origin=0.0, n_nodes=n)
    history = NaturalHistory(transmission=np.array([0.1]), latent_s=DAY, infectious_s=3 * DAY)
    return TemporalModel(
        contacts,
        history,
        compile_controls([Isolation()]),
        Seeds(np.arange(3), np.zeros(3)),
        0.0,
        14,
    )


def test_same_seed_same_result_whatever_the_batches() -> None:
    model = small_model()
    whole = run_ensemble(model, runs=64, seed=42)
    assert np.array_equal(whole, run_ensemble(model, runs=64, seed=42, batch=5))
    assert not np.array_equal(whole, run_ensemble(model, runs=64, seed=43))
    assert len({tuple(r[0]) for r in whole}) > 10  # runs differ from each other
    seeds = run_seeds(42, 64)
    assert len(set(seeds.tolist())) == 64
    assert np.array_equal(model.simulate(seeds[10:11])[0], whole[10])


def test_dask_gives_the_same_ensemble() -> None:
    distributed = pytest.importorskip("distributed")
    model = small_model()
    local = run_ensemble(model, runs=40, seed=8)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = run_ensemble(model, runs=40, seed=8, scheduler=client, batch=7)
        by_address = run_ensemble(model, runs=40, seed=8, scheduler=cluster.scheduler_address)
    assert np.array_equal(local, remote) and np.array_equal(local, by_address)


def test_branching_grows_at_the_rate_r_implies() -> None:
    history = NaturalHistory(latent_s=0, infectious_s=2 * DAY, shape=0)
    model = BranchingModel(
        2.0, history, compile_controls([]), Seeds(np.arange(20), np.zeros(20)), 10**6, 0.0, 6
    )
    out = model.simulate(run_seeds(2, 200))[:, 0]
    # uniform generation time over 2 days: r solves 1 = R (1 - e^{-2r}) / (2r)
    r = brentq(lambda r: 2.0 * (1 - math.exp(-2 * r)) / (2 * r) - 1, 1e-6, 5)
    growth = np.log(out[:, 5].mean() / out[:, 3].mean()) / 2
    assert abs(growth - r) < 0.1
    isolated = BranchingModel(
        2.0,
        history,
        compile_controls([Isolation(1.0, 0.0)]),
        Seeds(np.arange(20), np.zeros(20)),
        10**6,
        0.0,
        6,
    )
    assert isolated.simulate(run_seeds(2, 50))[:, 0, 1:].sum() == 0  # the seeds on day 0 only


def test_summaries_and_capacity() -> None:
    model = small_model()
    ensemble = run_ensemble(model, runs=50, seed=1)
    bands = forecast.summary(ensemble)
    assert set(bands) == {"cases", "infections", "isolated", "beds"}
    b = bands["beds"]
    assert np.all(b.low90 <= b.low50) and np.all(b.low50 <= b.median)
    assert np.all(b.median <= b.high50) and np.all(b.high50 <= b.high90)
    row = forecast.scenario_row("x", ensemble, 0)
    assert row.capacity is not None and row.capacity.ever > 0
