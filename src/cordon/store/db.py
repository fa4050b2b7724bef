"""Connecting to the record store: engines, sessions, schema upgrades and readiness checks.

Nothing here connects at import time; ``Store`` opens its engine lazily on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cordon.errors import StoreNotReady, StoreUnavailable
from cordon.store.files import create_private

__all__ = ["Store", "normalise_url"]

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _unavailable(context: ExceptionContext) -> None:
    """Turn a lost or unusable database connection into StoreUnavailable, for every caller.

    Services, the CLI and the API then report one clear error (HTTP 503) instead of a driver
    traceback, whether the server went away, refused the connection or the disk is full.
    """
    if context.is_pre_ping:
        return  # the pool's own check of an idle connection: it opens a new one instead
    if isinstance(context.sqlalchemy_exception, OperationalError) or context.is_disconnect:
        reason = str(context.original_exception).strip().splitlines() or ["connection lost"]
        raise StoreUnavailable(f"the store is unavailable: {reason[0]}") from (
            context.sqlalchemy_exception
        )


POOL_SIZE = 10
POOL_OVERFLOW = 20
"""Connections to a database server kept open, and opened beyond them at busy times: the
service's dashboard users and its door writer each hold one for the length of a request."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(
        "PRAGMA cache_size=-262144"
    )  # 256 MiB of page cache: bulk loads touch big indexes
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


class Store:
    """One record store (a SQLite file or a PostgreSQL database) and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is an embedded SQLite file."""
        return make_url(self.url).get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file behind the store, or None for a server or an in-memory database."""
        if not self.is_sqlite:
            return None
        database = make_url(self.url).database
        return Path(database) if database and database != ":memory:" else None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        if self._engine is None:
            if self.is_sqlite:
                if (path := self.sqlite_path) is not None:
                    create_private(path)  # before SQLite makes it with the umask's mode
                engine = create_engine(self.url, connect_args={"timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(
                    self.url,
                    pool_size=POOL_SIZE,
                    max_overflow=POOL_OVERFLOW,
                    pool_pre_ping=True,
                    connect_args={"application_name": "cordon", "connect_timeout": 5},
                )
            event.listen(engine, "handle_error", _unavailable)
            self._engine = engine
        return self._engine

    def session(self) -> Session:
        """A new session; the caller (a service) commits or rolls back."""
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a transaction that commits on success and rolls back on any exception."""
        with self.session() as session, session.begin():
            yield session

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def upgrade(self, revision: str = "head") -> str:
        """Create the store or bring its schema to ``revision`` (the newest by default)."""
        if (path := self.sqlite_path) is not None:
            create_private(path)
        config = self._alembic_config()
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except StoreUnavailable as exc:
            raise StoreUnavailable(f"cannot open the store at {self.display_url}: {exc}") from exc
        return self.head_revision() if revision == "head" else revision

    def head_revision(self) -> str:
        """The newest migration the code knows."""
        head = ScriptDirectory.from_config(self._alembic_config()).get_current_head()
        assert head is not None
        return head

    def current_revision(self) -> str | None:
        """The migration the store is at, or None when it has no schema yet."""
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except StoreUnavailable as exc:
            raise StoreUnavailable(f"cannot open the store at {self.display_url}: {exc}") from exc

    def check_ready(self) -> None:
        """Raise StoreNotReady unless the store exists and its schema is current."""
        if (path := self.sqlite_path) is not None and not path.exists():
            raise StoreNotReady(f"no store at {path}: run `cordon init` (or `cordon demo`) first")
        current = self.current_revision()
        if current is None:
            raise StoreNotReady(
                f"the store at {self.display_url} is empty: run `cordon init` first"
            )
        if current != self.head_revision():
            raise StoreNotReady(
                f"the store at {self.display_url} is at schema {current}, the code needs "
                f"{self.head_revision()}: run `cordon init` to upgrade it"
            )

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            self._engine.dispose()
