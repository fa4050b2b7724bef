"""A SQLite store on a disk that fills up mid-import refuses the import whole and recovers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from cordon.domain.roles import Actor
from cordon.errors import StoreUnavailable
from cordon.formats.schemas import Kind
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import AuditRow, PersonRow, PresenceRow
from tests.factory import write

LEAD = Actor("lead")
UTC = ZoneInfo("UTC")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, so that a real write fails with ENOSPC (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill the disk needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def counts(store: Store) -> tuple[int, int, int]:
    with store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(PersonRow)) or 0,
            session.scalar(select(func.count()).select_from(PresenceRow)) or 0,
            session.scalar(select(func.count()).select_from(AuditRow)) or 0,
        )


def test_a_full_disk_refuses_the_import_whole_and_the_store_recovers(
    small_disk: Path, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{small_disk / 'cordon.db'}")
    store.upgrade()
    places = write(tmp_path, "places.csv", "id,name,kind\nhall,Hall,hall\n")
    people = write(
        tmp_path,
        "people.csv",
        "id,name,role\n" + "".join(f"p{i},P {i},resident\n" for i in range(300)),
    )
    presence = write(
        tmp_path,
        "presence.csv",
        "person,place,start,end\n"
        + "".join(f"p{i % 300},hall,{i * 10},{i * 10 + 5}\n" for i in range(150_000)),
    )
    with store.session() as session:
        import_file(session, places, kind=Kind.PLACES, actor=LEAD, zone=UTC)
    with store.session() as session:
        import_file(session, people, kind=Kind.PEOPLE, actor=LEAD, zone=UTC)
    before = counts(store)

    with pytest.raises(StoreUnavailable, match="disk is full"), store.session() as session:
        import_file(session, presence, kind=Kind.PRESENCE, actor=LEAD, zone=UTC)

    assert counts(store) == before
    with store.session() as session:
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    with store.session() as session:
        import_file(session, presence, kind=Kind.PRESENCE, actor=LEAD, zone=UTC)
    people_n, presence_n, _ = counts(store)
    assert (people_n, presence_n) == (300, 150_000)
    store.dispose()
