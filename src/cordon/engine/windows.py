"""Merging sensor contact windows (SocioPatterns ``t i j``) into contacts with start and end.

A row ``t i j`` says that i and j were in contact during the window [t - w, t] (w = 20 s for
SocioPatterns). Consecutive windows of the same pair (t' - t <= w) form one contact.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cordon.errors import EngineError

__all__ = ["MergedContacts", "merge_windows"]


class MergedContacts(NamedTuple):
    """Contacts as parallel arrays; ``a < b`` in every row; sorted by (a, b, start)."""

    a: np.ndarray
    b: np.ndarray
    start: np.ndarray
    end: np.ndarray
    windows: np.ndarray
    """How many windows each contact merged (duplicates of one window count once)."""


def merge_windows(t: np.ndarray, i: np.ndarray, j: np.ndarray, window: int = 20) -> MergedContacts:
    """Merge active windows ``[t - window, t]`` of each unordered pair into contacts.

    Examples
    --------
    >>> m = merge_windows(np.array([20, 40, 100]), np.array([1, 2, 1]), np.array([2, 1, 2]))
    >>> m.a.tolist(), m.b.tolist(), m.start.tolist(), m.end.tolist(), m.windows.tolist()
    ([1, 1], [2, 2], [0, 80], [40, 100], [2, 1])
    """
    t = np.asarray(t, dtype=np.int64)
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    if not (len(t) == len(i) == len(j)):
        raise EngineError("t, i and j must have the same length")
    if window <= 0:
        raise EngineError("window must be positive")
    if len(t) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return MergedContacts(empty, empty, empty, empty, empty)
    a = np.minimum(i, j)
    b = np.maximum(i, j)
    order = np.lexsort((t, b, a))
    a, b, t = a[order], b[order], t[order]
    same_pair = np.zeros(len(t), dtype=bool)
    same_pair[1:] = (a[1:] == a[:-1]) & (b[1:] == b[:-1])
    gap = np.zeros(len(t), dtype=np.int64)
    gap[1:] = t[1:] - t[:-1]
    new_contact = ~same_pair | (gap > window)
    first = np.flatnonzero(new_contact)
    last = np.append(first[1:], len(t)) - 1
    distinct = np.ones(len(t), dtype=np.int64)
    distinct[1:] = np.where(same_pair[1:] & (gap[1:] == 0), 0, 1)
    windows = np.add.reduceat(distinct, first)
    windows[windows == 0] = 1
    return MergedContacts(a[first], b[first], t[first] - window, t[last], windows)
