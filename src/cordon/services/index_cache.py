"""Derived contacts and trace indexes, cached per state of the store, in memory and on disk.

Deriving 10^7 contacts and indexing them for tracing takes seconds to tens of seconds; the
answer changes only when the facts behind it do. The state of the store is read first, cheaply:
the change-signal versions of ``directory`` (persons, places and their kinds) and ``evidence``
(recorded exposures, lab results, pathogen profiles), bumped by database triggers
(:mod:`cordon.store.changes`), and for the presence log, which no topic watches, its row count
and smallest and largest keys (the log is only appended to and purged from the oldest end);
and the store's first audit row (its birth: a store made again at the same place is another).
An entry is found by a digest of that state and of the question's parameters; a changed store
never finds an old entry.

In memory (the service's processes) the last few entries are kept; on disk (so that a second
``cordon trace`` in a new process answers at once) each entry is a folder of ``.npy`` arrays
under the store's cache folder, written privately (0700: contacts are health data) and renamed
into place whole, loaded memory-mapped. Only the newest ``ENTRIES`` folders are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cordon.store.changes import read_versions
from cordon.store.models import AuditRow, PresenceRow

__all__ = ["ENTRIES", "Arrays", "add", "cache_folder", "clear_memory", "get", "put", "store_state"]

ENTRIES = 4
FORMAT = 1
"""Bumped when what an entry holds, or how contacts are derived, changes."""
"""Entries kept in memory and on disk for each store."""

Arrays = dict[str, np.ndarray]
_MEMORY: OrderedDict[str, tuple[Arrays, dict[str, Any]]] = OrderedDict()
_LOCK = threading.Lock()


def store_state(session: Session) -> dict[str, Any]:
    """What the derived contacts depend on, read cheaply (see the module's notes)."""
    versions = read_versions(session)
    count, low, high = session.execute(
        select(func.count(), func.min(PresenceRow.pk), func.max(PresenceRow.pk))
    ).one()
    birth = session.execute(select(AuditRow.pk, AuditRow.at).order_by(AuditRow.pk).limit(1)).first()
    return {
        "format": FORMAT,
        "born": [int(birth[0]), float(birth[1])] if birth else None,
        "directory": versions["directory"],
        "evidence": versions["evidence"],
        "presence": [int(count or 0), int(low or 0), int(high or 0)],
    }


def cache_folder(session: Session) -> Path | None:
    """Where this store's entries live on disk: ``CORDON_CACHE_DIR``, or beside a SQLite file
    (``cordon.db.cache``), or under the user's cache folder for a database server; None for an
    in-memory database."""
    url = session.get_bind().engine.url
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    root = os.environ.get("CORDON_CACHE_DIR")
    if root:
        return Path(root) / name
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        path = Path(url.database)
        return path.with_name(path.name + ".cache")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cordon" / name


def _digest(key: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:32]


def get(session: Session, key: Mapping[str, Any]) -> tuple[Arrays, dict[str, Any]] | None:
    """The arrays and metadata stored under ``key`` for this store, or None."""
    folder = cache_folder(session)
    if folder is None:
        return None
    digest = f"{folder}:{_digest(key)}"
    with _LOCK:
        if digest in _MEMORY:
            _MEMORY.move_to_end(digest)
            return _MEMORY[digest]
    entry = folder / _digest(key)
    try:
        meta = json.loads((entry / "meta.json").read_text())
        if meta.get("key") != json.loads(json.dumps(key, default=str)):
            return None
        arrays = {
            # a plain read-only view of the mapping: Numba caches code for it, not for memmaps
            f.stem: np.asarray(np.load(f, mmap_mode="r", allow_pickle=False))
            for f in entry.iterdir()
            if f.suffix == ".npy"
        }
    except (OSError, ValueError):
        return None
    _remember(digest, arrays, meta)
    return arrays, meta


def put(session: Session, key: Mapping[str, Any], arrays: Arrays, meta: dict[str, Any]) -> None:
    """Store ``arrays`` (numbers or text, no objects) and ``meta`` (JSON) under ``key``; a
    cache that cannot be written is only slower, never an error."""
    folder = cache_folder(session)
    if folder is None:  # an in-memory database: nothing to tell two of them apart by
        return
    meta = {**meta, "key": json.loads(json.dumps(key, default=str))}
    _remember(f"{folder}:{_digest(key)}", arrays, meta)
    with contextlib.suppress(OSError):
        _write(folder, _digest(key), arrays, meta)


def add(session: Session, key: Mapping[str, Any], arrays: Arrays) -> None:
    """Add arrays to the entry under ``key`` (an index built later, on first use)."""
    found = get(session, key)
    if found is None:
        return
    old, meta = found
    put(session, key, {**old, **arrays}, meta)


def _remember(digest: str, arrays: Arrays, meta: dict[str, Any]) -> None:
    with _LOCK:
        _MEMORY[digest] = (arrays, meta)
        _MEMORY.move_to_end(digest)
        while len(_MEMORY) > ENTRIES:
            _MEMORY.popitem(last=False)


def _write(folder: Path, name: str, arrays: Arrays, meta: dict[str, Any]) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    staging = Path(tempfile.mkdtemp(prefix=".new-", dir=folder))  # mode 0700
    try:
        for field, values in arrays.items():
            np.save(staging / f"{field}.npy", np.asarray(values), allow_pickle=False)
        (staging / "meta.json").write_text(json.dumps(meta))
        target = folder / name
        if target.exists():
            old = folder / f".old-{name}-{os.getpid()}"
            target.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    entries = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for stale in entries[:-ENTRIES]:
        shutil.rmtree(stale, ignore_errors=True)


def clear_memory() -> None:
    """Forget the entries held in memory (tests; the disk copies stay)."""
    with _LOCK:
        _MEMORY.clear()
