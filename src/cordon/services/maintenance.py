"""Keeping the record: backups, verified restores, and purging presence logs past retention."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select

from cordon.domain.roles import Actor, Permission, require
from cordon.errors import InvalidValue, StoreError
from cordon.formats import jsondoc
from cordon.services.transaction import unit_of_work
from cordon.store import audit
from cordon.store.backup import (
    content_checksum,
    data_tables,
    dump_table,
    load_table,
    row_counts,
    write_zip,
)
from cordon.store.db import Store
from cordon.store.models import PassageRow, PresenceRow

__all__ = ["BackupReport", "PurgeReport", "backup", "purge", "restore"]

FORMAT = "cordon-backup/1"


@dataclass
class BackupReport:
    """What a backup or a restore held: rows and checksum per table, schema revision."""

    path: str
    revision: str
    tables: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    verified: bool = False


def backup(store: Store, path: Path, *, actor: Actor) -> BackupReport:
    """Write every table to ``path`` (a zip of Parquet files and a manifest), from one snapshot."""
    require(actor, Permission.ADMINISTER_STORE)
    store.check_ready()
    began = time.perf_counter()
    revision = store.current_revision() or ""
    with _snapshot(store) as source, source.session() as session:
        if not source.is_sqlite:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        dumps = [dump_table(session, table) for table in data_tables()]
    manifest = {
        "format": FORMAT,
        "revision": revision,
        "created_at": int(time.time()),
        "created_by": actor.name,
        "tables": {
            d.name: {
                "rows": d.rows,
                "checksum": d.checksum,
                "sha256": hashlib.sha256(d.parquet).hexdigest(),
            }
            for d in dumps
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_zip(path, manifest, dumps)
    with store.session() as session, unit_of_work(session):
        audit.record(
            session,
            actor=actor.name,
            action="backup",
            entity="store",
            entity_id=str(path),
            after={"revision": revision, "rows": {d.name: d.rows for d in dumps}},
        )
    report = BackupReport(
        str(path), revision, {d.name: d.rows for d in dumps}, {d.name: d.checksum for d in dumps}
    )
    report.seconds = time.perf_counter() - began
    return report


@contextmanager
def _snapshot(store: Store) -> Iterator[Store]:
    """A store to read a consistent backup from: a SQLite file is first copied with SQLite's
    online backup API; a PostgreSQL store is read in one REPEATABLE READ transaction."""
    path = store.sqlite_path
    if path is None:
        yield store
        return
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "snapshot.db"
        with closing(sqlite3.connect(path)) as live, closing(sqlite3.connect(copy)) as target:
            live.backup(target)
        snapshot = Store(f"sqlite:///{copy}")
        try:
            yield snapshot
        finally:
            snapshot.dispose()


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, object]:
    try:
        manifest = jsondoc.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise InvalidValue(f"{path} is not a cordon backup (no readable manifest.json)") from exc
    if manifest.get("format") != FORMAT:
        raise InvalidValue(f"{path} is a backup of format {manifest.get('format')!r}, not {FORMAT}")
    return dict(manifest)


def restore(store: Store, path: Path, *, actor: Actor) -> BackupReport:
    """Load a backup into an empty store, verify every table's checksum, then upgrade the schema.

    Nothing is kept unless every table's content checksum matches the manifest.
    """
    require(actor, Permission.ADMINISTER_STORE)
    began = time.perf_counter()
    if not zipfile.is_zipfile(path):
        raise InvalidValue(f"{path} is not a cordon backup (not a zip file)")
    with zipfile.ZipFile(path) as archive:
        manifest = _read_manifest(archive, path)
        tables = dict(manifest["tables"])  # type: ignore[call-overload]
        payloads = {name: archive.read(f"{name}.parquet") for name in tables}
    for name, meta in tables.items():
        if hashlib.sha256(payloads[name]).hexdigest() != meta["sha256"]:
            raise InvalidValue(
                f"{path}: the file of table {name} is damaged (sha256 does not match)"
            )
    revision = str(manifest["revision"])
    if store.current_revision() is not None:
        with store.session() as session:
            filled = {k: v for k, v in row_counts(session).items() if v}
        if filled:
            raise StoreError(
                f"restore needs an empty store; {store.display_url} holds "
                + ", ".join(f"{n} {k}" for k, n in sorted(filled.items()))
            )
    store.upgrade(revision)
    known = {t.name: t for t in data_tables()}
    checksums: dict[str, str] = {}
    with store.session() as session, unit_of_work(session):
        for name in (t.name for t in data_tables()):
            if name in tables:
                load_table(session, known[name], payloads[name])
        session.flush()
        for name, meta in tables.items():
            checksum, rows = content_checksum(session, known[name])
            if checksum != meta["checksum"] or rows != meta["rows"]:
                raise StoreError(
                    f"restore of {name} does not verify: {rows} rows, checksum differs"
                )
            checksums[name] = checksum
    store.upgrade()
    with store.session() as session, unit_of_work(session):
        audit.record(
            session,
            actor=actor.name,
            action="restore",
            entity="store",
            entity_id=str(path),
            after={"revision": revision, "rows": {k: v["rows"] for k, v in tables.items()}},
        )
    report = BackupReport(
        str(path), revision, {k: v["rows"] for k, v in tables.items()}, checksums, verified=True
    )
    report.seconds = time.perf_counter() - began
    return report


@dataclass(frozen=True)
class PurgeReport:
    """How many rows a retention purge removed, and the cut-off time."""

    before: int
    presence: int
    passages: int


def purge(store: Store, *, actor: Actor, keep_days: int, now: int | None = None) -> PurgeReport:
    """Delete presence and passage logs that ended more than ``keep_days`` days before ``now``."""
    require(actor, Permission.ADMINISTER_STORE)
    if keep_days < 1:
        raise InvalidValue("retention must keep at least 1 day of logs")
    cutoff = int(now if now is not None else time.time()) - keep_days * 86_400
    with store.session() as session, unit_of_work(session):
        presence = int(
            session.scalar(
                select(func.count()).select_from(PresenceRow).where(PresenceRow.end_time < cutoff)
            )
            or 0
        )
        passages = int(
            session.scalar(
                select(func.count()).select_from(PassageRow).where(PassageRow.at < cutoff)
            )
            or 0
        )
        session.execute(delete(PresenceRow).where(PresenceRow.end_time < cutoff))
        session.execute(delete(PassageRow).where(PassageRow.at < cutoff))
        audit.record(
            session,
            actor=actor.name,
            action="purge",
            entity="store",
            entity_id=None,
            after={
                "before": cutoff,
                "keep_days": keep_days,
                "presence": presence,
                "passages": passages,
            },
        )
    return PurgeReport(cutoff, presence, passages)
