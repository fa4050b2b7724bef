"""Pure numeric kernels over NumPy arrays (integer ids, epoch seconds); no I/O."""

from cordon.engine.colocation import (
    ContactArrays,
    DataQuality,
    colocation_contacts,
    iter_colocation_contacts,
    pair_days,
)
from cordon.engine.trace import ContactGraph, TraceResult, build_graph, trace_graph
from cordon.engine.windows import MergedContacts, merge_windows

__all__ = [
    "ContactArrays",
    "ContactGraph",
    "DataQuality",
    "MergedContacts",
    "TraceResult",
    "build_graph",
    "colocation_contacts",
    "iter_colocation_contacts",
    "merge_windows",
    "pair_days",
    "trace_graph",
]
