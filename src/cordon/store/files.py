"""Files that hold health data (the SQLite store, backups) readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["PRIVATE", "create_private", "open_private"]

PRIVATE = 0o600
"""Owner read and write, nobody else: the mode of every file cordon writes health data to."""


def open_private(path: Path) -> BinaryIO:
    """``path`` opened for writing from the start, mode 0600 whatever the umask (set with
    ``fchmod`` on the open file, so an existing file is narrowed too and no other process can
    open it wider in between)."""
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), PRIVATE
    )
    try:
        os.fchmod(fd, PRIVATE)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def create_private(path: Path) -> None:
    """Create an empty file at ``path`` with mode 0600 if there is none (a new SQLite store:
    SQLite gives its journal and WAL files the mode of the database file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE)
    finally:
        os.close(fd)
