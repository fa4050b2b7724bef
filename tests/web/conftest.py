"""The web tests reuse the API fixtures (a facility, the app, a client, tokens), on SQLite only:
the pages call the same services the API tests run on both databases."""

import pytest

from tests.api.conftest import app, client, facility, tokens

__all__ = ["app", "client", "db_url", "facility", "tokens"]


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """A SQLite store for the page tests."""
    return sqlite_url
