"""Time-respecting tracing against brute-force twins: an event-by-event simulation of the same
model (finite windows, both directions) and an enumeration of every path (unbounded windows)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cordon.engine.trace import NEVER, build_graph, trace_graph
from cordon.errors import EngineError

Contact = tuple[int, int, int, int]
N = 6


def brute_forward(
    contacts: list[Contact], seeds: dict[int, int], latent: int, span: int, seed_span: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Infect, one at a time, whoever the earliest transmitting moment reaches next; returns
    infection times and the exposure seconds of everyone."""
    acts = dict(seeds)
    infected = dict(seeds)
    window = dict.fromkeys(seeds, seed_span)
    while True:
        best: tuple[int, int, int] | None = None
        for a, b, s, e in contacts:
            for u, v in ((a, b), (b, a)):
                if u not in acts or v in acts:
                    continue
                t = max(s, acts[u])
                if t <= e and t < acts[u] + window[u] and (best is None or t + latent < best[0]):
                    best = (t + latent, v, t)
        if best is None:
            break
        acts[best[1]], infected[best[1]], window[best[1]] = best[0], best[2], span
    exposure = dict.fromkeys(range(N), 0)
    for a, b, s, e in contacts:
        for u, v in ((a, b), (b, a)):
            if u in acts and e >= acts[u] and s < acts[u] + window[u]:
                exposure[v] += min(e, acts[u] + window[u]) - max(s, acts[u])
    return infected, exposure


def brute_backward(
    contacts: list[Contact], case: int, at: int, latent: int, span: int, seed_span: int
) -> dict[int, int]:
    """Latest infection time of everyone who could start a chain reaching ``case`` by ``at``,
    chosen one at a time, latest first."""
    latest = {case: at}
    window = {case: seed_span}
    while True:
        best: tuple[int, int] | None = None
        for a, b, s, e in contacts:
            for u, v in ((a, b), (b, a)):
                if v not in latest or u in latest:
                    continue
                t = min(e, latest[v])
                if t >= s and t > latest[v] - window[v] and (best is None or t - latent > best[0]):
                    best = (t - latent, u)
        if best is None:
            return latest
        latest[best[1]], window[best[1]] = best[0], span


def brute_paths(contacts: list[Contact], seeds: dict[int, int], latent: int) -> dict[int, int]:
    """Unbounded windows: the earliest arrival over every simple path, each step as early as
    the contact allows."""
    best = dict(seeds)

    def walk(u: int, acts: int, seen: frozenset[int]) -> None:
        for a, b, s, e in contacts:
            for x, v in ((a, b), (b, a)):
                if x != u or v in seen:
                    continue
                t = max(s, acts)
                if t <= e:
                    if v not in seeds and t < best.get(v, NEVER):
                        best[v] = t
                    walk(v, t + latent, seen | {v})

    for seed, at in seeds.items():
        walk(seed, at, frozenset(seeds))
    return best


contact = (
    st.tuples(st.integers(0, N - 1), st.integers(0, N - 1), st.integers(0, 60), st.integers(0, 25))
    .filter(lambda c: c[0] != c[1])
    .map(lambda c: (c[0], c[1], c[2], c[2] + c[3]))
)
contacts_st = st.lists(contact, max_size=12)
seeds_st = st.dictionaries(st.integers(0, N - 1), st.integers(0, 40), min_size=1, max_size=3)


def graph(contacts: list[Contact]):  # type: ignore[no-untyped-def]
    cols = list(zip(*contacts, strict=True)) if contacts else [[], [], [], []]
    return build_graph(*cols, n=N)


@settings(max_examples=400, deadline=None)
@given(contacts_st, seeds_st, st.integers(0, 10), st.integers(1, 30), st.integers(1, 30))
def test_forward_matches_event_simulation(
    contacts: list[Contact], seeds: dict[int, int], latent: int, span: int, seed_span: int
) -> None:
    r = trace_graph(
        graph(contacts), list(seeds), list(seeds.values()), latent=latent, infectious=span,
        seed_window=seed_span,
    )  # fmt: skip
    infected, exposure = brute_forward(contacts, seeds, latent, span, seed_span)
    assert {int(v) for v in r.reached} == set(infected)
    for v in range(N):
        assert r.time[v] == infected.get(v, NEVER)
        assert r.exposure_s[v] == exposure[v]
    for v in infected:
        chain = r.chain(v)
        assert chain[0] in seeds and chain[-1] == v
        assert len(chain) == r.generation[v] + 1
        for step, k in enumerate(r.chain_contacts(v)):  # every step is a real contact
            assert {contacts[k][0], contacts[k][1]} == {chain[step], chain[step + 1]}
            assert contacts[k][2] <= r.time[chain[step + 1]] <= contacts[k][3]


@settings(max_examples=400, deadline=None)
@given(contacts_st, st.integers(0, N - 1), st.integers(0, 90), st.integers(0, 10),
       st.integers(1, 30), st.integers(1, 60))  # fmt: skip
def test_backward_matches_event_simulation(
    contacts: list[Contact], case: int, at: int, latent: int, span: int, seed_span: int
) -> None:
    r = trace_graph(
        graph(contacts), [case], at, direction="backward", latent=latent, infectious=span,
        seed_window=seed_span,
    )  # fmt: skip
    latest = brute_backward(contacts, case, at, latent, span, seed_span)
    assert {int(v) for v in r.reached} == set(latest)
    for v in range(N):
        assert r.time[v] == latest.get(v, NEVER)
    for v in latest:
        assert r.chain(v)[-1] == case and r.chain(v)[0] == v


@settings(max_examples=300, deadline=None)
@given(contacts_st, seeds_st, st.integers(0, 10))
def test_unbounded_windows_match_path_enumeration(
    contacts: list[Contact], seeds: dict[int, int], latent: int
) -> None:
    r = trace_graph(graph(contacts), list(seeds), list(seeds.values()), latent=latent)
    best = brute_paths(contacts, seeds, latent)
    assert {int(v) for v in r.reached} == set(best)
    for v, t in best.items():
        assert r.time[v] == t


def test_windows_cut_chains() -> None:
    # 0 infectious [0, 10); contact with 1 at 5; 1 infectious from 5 + 20 = 25 to 35
    g = build_graph([0, 1, 1], [1, 2, 3], [5, 30, 40], [6, 31, 50])
    r = trace_graph(g, [0], 0, latent=20, infectious=10)
    assert r.reached.tolist() == [0, 1, 2]
    assert r.generation.tolist() == [0, 1, 2, -1]
    assert r.exposure_s.tolist() == [0, 1, 1, 0]  # 0 never met 1 while 1 was infectious
    stopped = trace_graph(g, [0], 0, latent=20, infectious=10, horizon=20)
    assert stopped.reached.tolist() == [0, 1]


def test_empty_and_isolated() -> None:
    g = build_graph([], [], [], [], n=3)
    r = trace_graph(g, [1], 0)
    assert r.reached.tolist() == [1] and r.chain(0) == [] and r.chain_contacts(1) == []
    with pytest.raises(EngineError, match="ids in"):
        trace_graph(g, [7], 0)
    with pytest.raises(EngineError, match="one direction"):
        trace_graph(g, [1], 0, direction="both")
    with pytest.raises(EngineError, match="end before"):
        build_graph([0], [1], [5], [4])
