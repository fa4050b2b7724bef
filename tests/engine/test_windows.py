"""Merging SocioPatterns windows into contacts, against a brute-force twin and a published count."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cordon.engine.windows import merge_windows
from cordon.formats.sociopatterns import read_tij


def brute_force(t: list[int], i: list[int], j: list[int], w: int) -> set[tuple[int, int, int, int]]:
    """Walk each pair's distinct window ends in order, opening a contact after any gap over w."""
    by_pair: dict[tuple[int, int], set[int]] = defaultdict(set)
    for tt, ii, jj in zip(t, i, j, strict=True):
        by_pair[(min(ii, jj), max(ii, jj))].add(tt)
    out = set()
    for (a, b), ends in by_pair.items():
        ordered = sorted(ends)
        first = prev = ordered[0]
        for now in ordered[1:]:
            if now - prev > w:
                out.add((a, b, first - w, prev))
                first = now
            prev = now
        out.add((a, b, first - w, prev))
    return out


rows = st.lists(
    st.tuples(
        st.integers(0, 30).map(lambda k: k * 20 + 20), st.integers(0, 4), st.integers(0, 4)
    ).filter(lambda r: r[1] != r[2]),
    max_size=60,
)


@given(rows, st.sampled_from([20, 40]))
def test_merging_matches_the_brute_force_twin(
    data: list[tuple[int, int, int]], window: int
) -> None:
    t, i, j = (list(col) for col in zip(*data, strict=True)) if data else ([], [], [])
    merged = merge_windows(np.array(t, dtype=np.int64), np.array(i), np.array(j), window)
    got = set(
        zip(
            merged.a.tolist(),
            merged.b.tolist(),
            merged.start.tolist(),
            merged.end.tolist(),
            strict=True,
        )
    )
    assert got == brute_force(t, i, j, window)
    assert len(got) == len(merged.a)
    assert (merged.a < merged.b).all()
    assert int(merged.windows.sum()) == len({(tt, min(ii, jj), max(ii, jj)) for tt, ii, jj in data})


def test_the_hospital_ward_gives_the_14037_contacts_of_vanhems_et_al(shared) -> None:
    """Vanhems et al., PLoS ONE 8(9):e73970 (2013): '14,037 contacts were recorded overall'."""
    frame = read_tij(shared / "data/sociopatterns/hospital/tij_hospital.dat").frame
    t, i, j = (frame[c].astype(np.int64).to_numpy() for c in ("t", "i", "j"))
    merged = merge_windows(t, i, j)
    assert len(merged.a) == 14_037
    assert int(merged.windows.sum()) == 32_424
    assert (merged.end - merged.start >= 20).all()
