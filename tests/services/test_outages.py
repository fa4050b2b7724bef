"""The database goes away: clear StoreUnavailable errors meanwhile, nothing lost or half-written."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cordon.domain.roles import Actor
from cordon.errors import StoreUnavailable
from cordon.formats.schemas import Kind
from cordon.services import imports
from cordon.services.directory import list_people
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import AuditRow, PresenceRow
from tests.factory import station
from tests.support.postgres import PrivatePostgres, postgres_binaries

LEAD = Actor("lead")
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def server() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of our own that the tests may stop and crash."""
    binaries = postgres_binaries()
    if binaries is None or os.geteuid() != 0:
        pytest.skip("a private PostgreSQL cluster needs the server binaries and root")
    cluster = PrivatePostgres(binaries)
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def store(server: PrivatePostgres, tmp_path: Path) -> Iterator[Store]:
    store = Store(server.url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    store.upgrade()
    files = station(tmp_path)
    with store.session() as session:
        for kind in ("places", "people", "presence"):
            import_file(session, files[kind], kind=Kind(kind), actor=LEAD, zone=UTC)
    yield store
    store.dispose()


def snapshot(store: Store) -> tuple[int, int, int]:
    with store.session() as session:
        people = list_people(session, actor=LEAD).total
        presence = session.scalar(select(func.count()).select_from(PresenceRow)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    return people, presence, audit


def test_while_the_server_is_down_every_call_fails_clearly_and_after_it_all_works(
    server: PrivatePostgres, store: Store, tmp_path: Path
) -> None:
    before = snapshot(store)
    server.stop("immediate")
    try:
        with pytest.raises(StoreUnavailable, match="unavailable"), store.session() as session:
            list_people(session, actor=LEAD)
        with pytest.raises(StoreUnavailable), store.session() as session:
            import_file(
                session, station(tmp_path)["people"], kind=Kind.PEOPLE, actor=LEAD, zone=UTC
            )
    finally:
        server.start()
    assert snapshot(store) == before


def test_a_crash_of_the_server_mid_import_leaves_nothing_half_written(
    server: PrivatePostgres, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.csv"
    big.write_text(
        "person,place,start,end\n"
        + "".join(f"p1,hall,{1000 + i * 10},{1000 + i * 10 + 5}\n" for i in range(20_000))
    )
    before = snapshot(store)
    crashed: list[str] = []

    def crash(name: str) -> None:
        crashed.append(name)
        server.stop("immediate")

    monkeypatch.setattr(imports, "_crash_point", crash)
    try:
        with pytest.raises(StoreUnavailable), store.session() as session:
            import_file(session, big, kind=Kind.PRESENCE, actor=LEAD, zone=UTC)
    finally:
        server.start()
    assert crashed == ["after-write"]
    assert snapshot(store) == before
    monkeypatch.undo()
    with store.session() as session:
        report = import_file(session, big, kind=Kind.PRESENCE, actor=LEAD, zone=UTC)
    assert report.added == 20_000
    assert snapshot(store)[1] == before[1] + 20_000
