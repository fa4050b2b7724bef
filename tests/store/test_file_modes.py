"""Files holding health data are created 0600 whatever the umask: the SQLite store (and its WAL)
and backups."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cordon.domain.roles import Actor, UserRole
from cordon.services import maintenance
from cordon.store.db import Store

LEAD = Actor("lead", UserRole.COMMAND)


@pytest.fixture(params=[0o022, 0o000])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """A permissive umask (the usual one, and none at all) for the test's duration."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_and_a_new_backup_are_0600(tmp_path: Path, umask: int) -> None:
    db = tmp_path / "new" / "cordon.db"
    store = Store(f"sqlite:///{db}")
    store.upgrade()
    with store.session() as session:
        session.connection()
    assert mode(db) == 0o600
    for extra in db.parent.glob("cordon.db-*"):  # WAL and shared-memory files
        assert mode(extra) == 0o600, extra
    target = tmp_path / "backup.zip"
    target.write_bytes(b"")  # an existing file made with the umask is narrowed too
    target.chmod(0o644)
    maintenance.backup(store, target, actor=LEAD)
    assert mode(target) == 0o600
    printed = subprocess.run(["stat", "-c", "%a", str(db), str(target)], capture_output=True)
    assert printed.stdout.decode().split() == ["600", "600"]
    store.dispose()
