"""Pure numeric kernels over NumPy arrays (integer ids, epoch seconds); no I/O."""

from cordon.engine.windows import MergedContacts, merge_windows

__all__ = ["MergedContacts", "merge_windows"]
