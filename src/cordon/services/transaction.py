"""The unit of work: a service commits everything it did, or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from cordon.errors import StoreUnavailable

__all__ = ["unit_of_work"]


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit on success; roll back on any exception, including Ctrl-C."""
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise StoreUnavailable(f"the store could not complete the write: {exc.orig}") from exc
    except BaseException:
        session.rollback()
        raise
