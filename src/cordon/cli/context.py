"""What every command needs: the settings and the store they point at, built once per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from cordon.domain.roles import Actor, UserRole
from cordon.times import parse_time

if TYPE_CHECKING:  # settings (pydantic) and the store (SQLAlchemy, Alembic): imported on use
    from sqlalchemy.orm import Session

    from cordon.config import Settings
    from cordon.store.db import Store

__all__ = ["Runtime", "runtime"]


@dataclass
class Runtime:
    """Settings and the store for one CLI invocation."""

    settings: Settings
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        """The store named by ``--db`` or ``CORDON_DATABASE_URL``."""
        if self._store is None:
            from cordon.store.db import Store

            self._store = Store(self.settings.database_url)
        return self._store

    @property
    def actor(self) -> Actor:
        """Whoever runs the command line acts with the command role: they hold the store itself."""
        return Actor(self.settings.actor, UserRole.COMMAND)

    def now(self) -> int:
        """Station time now (the fixed ``--clock`` when given)."""
        return self.settings.now()

    def when(self, text: str | None) -> int:
        """Epoch seconds of a time given on the command line, or now."""
        return parse_time(text, self.settings.zone) if text else self.now()

    def session(self) -> Session:
        """A session on a store that exists and whose schema is current."""
        self.store.check_ready()
        return self.store.session()


def runtime(ctx: typer.Context) -> Runtime:
    """The runtime set up by the root callback (or a default one for direct calls)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        from cordon.config import get_settings

        root.obj = Runtime(get_settings())
    return root.obj
