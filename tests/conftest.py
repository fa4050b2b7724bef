"""Shared fixtures: a fresh store on SQLite and on PostgreSQL for every test that asks for one.

PostgreSQL is the server at CORDON_TEST_PG (default 127.0.0.1:5432, database ``test``); each test
gets its own schema. Where the server is unreachable the PostgreSQL tests skip, except under CI
(the ``CI`` variable set), where that is a failure.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from cordon.services.admin import init_store
from cordon.store.db import Store

PG_BASE = os.environ.get("CORDON_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_BASE, connect_timeout=3) as connection:
            connection.execute("select 1")
    except psycopg.Error as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def pg_available() -> None:
    """Skip (or fail under CI) when the PostgreSQL server cannot be reached."""
    problem = _pg_reachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_BASE} is unreachable under CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_BASE} is unreachable: {problem}")


@pytest.fixture
def pg_urls(pg_available: None) -> Iterator[Callable[[], str]]:
    """Makes URLs to fresh, empty schemas on the PostgreSQL server, all dropped afterwards."""
    made: list[str] = []
    base = PG_BASE.replace("postgresql://", "postgresql+psycopg://", 1)
    separator = "&" if "?" in base else "?"

    def make() -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_BASE, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return f"{base}{separator}options=-csearch_path%3D{schema}"

    try:
        yield make
    finally:
        from cordon.worker.tasks import close_runtimes

        for schema in made:  # the queues of the stores on these schemas hold connections
            for url in [u for (u, _q) in list(_runtime_keys()) if schema in u]:
                close_runtimes(url)
        gc.collect()  # connections of finished threads (huey's LISTEN ones) close with them
        with psycopg.connect(PG_BASE, autocommit=True) as connection:
            for schema in made:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _runtime_keys() -> list[tuple[str, str | None]]:
    from cordon.worker import tasks

    return list(tasks._runtimes)


@pytest.fixture
def pg_url(pg_urls: Callable[[], str]) -> str:
    """A URL to a fresh, empty schema on the PostgreSQL server, dropped afterwards."""
    return pg_urls()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'cordon.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty store URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An initialised, empty store on each database."""
    created = Store(db_url)
    init_store(created, actor="test")
    try:
        yield created
    finally:
        created.dispose()


@pytest.fixture
def shared() -> Path:
    """The shared data folder beside the repository."""
    if not SHARED.exists():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test's cached indexes in a folder of its own, never the user's cache folder."""
    monkeypatch.setenv("CORDON_CACHE_DIR", str(tmp_path_factory.mktemp("cordon-cache")))
