"""Backups round-trip on both databases (and across them), verified by checksum; retention purge."""

from __future__ import annotations

import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, PermissionDenied, StoreError
from cordon.formats.schemas import Kind
from cordon.services import maintenance
from cordon.services.imports import import_file
from cordon.store.backup import content_checksum, data_tables, row_counts
from cordon.store.db import Store
from cordon.store.models import AuditRow, PresenceRow
from tests.factory import station, write

LEAD = Actor("lead")


@pytest.fixture
def filled(store: Store, tmp_path: Path) -> Store:
    files = station(tmp_path)
    files["exposures"] = write(
        tmp_path,
        "e.csv",
        "a,b,place,start,end,route,source\nv1,p1,hall,100,200,fluid,interview\nv1,p2,,50,60,close,sensor\n",
    )
    with store.session() as session:
        for kind in ("places", "people", "presence", "exposures"):
            import_file(session, files[kind], kind=Kind(kind), actor=LEAD, zone=ZoneInfo("UTC"))
    return store


def checksums(store: Store) -> dict[str, tuple[str, int]]:
    with store.session() as session:
        return {t.name: content_checksum(session, t) for t in data_tables() if t.name != "audit"}


@pytest.mark.parametrize("target", ["sqlite", "postgres"])
def test_a_backup_restores_into_either_database_with_the_same_checksums(
    filled: Store, tmp_path: Path, target: str, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "backup.zip"
    made = maintenance.backup(filled, path, actor=LEAD)
    assert made.tables["presence"] == 5 and made.tables["exposure"] == 2
    if target == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        url = request.getfixturevalue("pg_urls")()
    fresh = Store(url)
    restored = maintenance.restore(fresh, path, actor=LEAD)
    assert restored.verified and restored.checksums == made.checksums
    assert checksums(fresh) == checksums(filled)
    with fresh.session() as session:
        actions = [a for (a,) in session.execute(select(AuditRow.action).order_by(AuditRow.pk))]
    assert actions[-1] == "restore"
    fresh.dispose()


def test_a_damaged_backup_or_a_full_store_is_refused_and_nothing_changes(
    filled: Store, tmp_path: Path
) -> None:
    path = tmp_path / "backup.zip"
    maintenance.backup(filled, path, actor=LEAD)
    with pytest.raises(StoreError, match="needs an empty store"):
        maintenance.restore(filled, path, actor=LEAD)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(
                item, data[:-9] + b"corrupted" if item.filename == "presence.parquet" else data
            )
    empty = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(InvalidValue, match="table presence is damaged"):
        maintenance.restore(empty, damaged, actor=LEAD)
    with pytest.raises(InvalidValue, match="not a cordon backup"):
        maintenance.restore(empty, write(tmp_path, "x.zip", "hello"), actor=LEAD)
    assert empty.current_revision() is None


def test_only_command_may_back_up_restore_or_purge(filled: Store, tmp_path: Path) -> None:
    for role in (UserRole.MEDICAL, UserRole.SECURITY, UserRole.OBSERVER, UserRole.DOOR):
        with pytest.raises(PermissionDenied):
            maintenance.backup(filled, tmp_path / "b.zip", actor=Actor("x", role))
        with pytest.raises(PermissionDenied):
            maintenance.purge(filled, actor=Actor("x", role), keep_days=1)


def test_purge_removes_only_logs_older_than_the_retention(filled: Store) -> None:
    ward_shift_end = 1763712000  # the one presence row from 2025; the others are in 2026
    report = maintenance.purge(filled, actor=LEAD, keep_days=1, now=ward_shift_end + 86_400 + 3600)
    assert report.presence == 1
    with filled.session() as session:
        kept = session.scalars(select(PresenceRow.end_time)).all()
        counts = row_counts(session)
    assert len(kept) == 4 and ward_shift_end not in kept and counts["exposure"] == 2
    with pytest.raises(InvalidValue):
        maintenance.purge(filled, actor=LEAD, keep_days=0)
