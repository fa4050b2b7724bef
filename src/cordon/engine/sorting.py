"""Sorting helpers shared by the kernels: compact ids, and a parallel sort by (group, key)."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["dense_ids", "group_sort_order"]


def dense_ids(ids: np.ndarray) -> np.ndarray:
    """``ids`` as small non-negative integers (themselves when already compact).

    Examples
    --------
    >>> dense_ids(np.array([3, 1, 3])).tolist()
    [3, 1, 3]
    >>> dense_ids(np.array([10**9, 5])).tolist()
    [1, 0]
    """
    if len(ids) == 0 or int(ids.max()) < 4 * len(ids) + 1024:
        return ids
    return np.unique(ids, return_inverse=True)[1].astype(np.int64).reshape(-1)


@nb.njit(parallel=True, cache=True)
def _group_sort_order(group: np.ndarray, key: np.ndarray) -> np.ndarray:  # pragma: no cover
    n = len(group)
    n_groups = group.max() + 1
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        bounds[group[i] + 1] += 1
    for k in range(n_groups):
        bounds[k + 1] += bounds[k]
    fill = bounds[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        order[fill[group[i]]] = i
        fill[group[i]] += 1
    for k in nb.prange(n_groups):
        lo, hi = bounds[k], bounds[k + 1]
        if hi - lo > 1:
            segment = order[lo:hi].copy()
            by_key = np.argsort(key[segment], kind="mergesort")
            order[lo:hi] = segment[by_key]
    return order


def group_sort_order(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The stable permutation that sorts by (group, key); ``group`` holds small non-negative ints.

    A counting sort on the group, then every group's segment sorted by key in parallel:
    O(n log(n / groups)) and both cores, where one ``np.lexsort`` is O(n log n) on one.

    Examples
    --------
    >>> group_sort_order(np.array([1, 0, 1, 0]), np.array([5, 9, 2, 1])).tolist()
    [3, 1, 2, 0]
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    order: np.ndarray = _group_sort_order(
        np.ascontiguousarray(group, dtype=np.int64), np.ascontiguousarray(key, dtype=np.int64)
    )
    return order
