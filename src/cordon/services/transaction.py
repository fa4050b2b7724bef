"""The unit of work: a service commits everything it did, or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

__all__ = ["unit_of_work"]


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit on success; roll back on any exception, including Ctrl-C and a lost database.

    A lost or full database surfaces as StoreUnavailable from the store's engine.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
