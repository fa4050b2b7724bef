"""The published OpenAPI schema, fuzzed by schemathesis operation by operation (as command, the
role that may do everything): no answer is a server error, and a refused request (4xx) leaves
every table's row count as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import func, select

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.services import accounts
from cordon.services.admin import init_store
from cordon.store.db import Store
from cordon.store.models import Base
from tests.api.conftest import ROOT, load_facility

SKIPPED = {
    ("GET", "/api/v1/alerts/stream"),  # a live event stream: it answers for as long as asked
    ("DELETE", "/api/v1/tokens/{token_id}"),  # would revoke the fuzzer's own token
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str, object]]:
    """A SQLite store with the test facility, the command user's token and the app."""
    folder = tmp_path_factory.mktemp("fuzz")
    store = Store(f"sqlite:///{folder / 'cordon.db'}")
    init_store(store, actor="test")
    load_facility(store, folder)
    with store.session() as session:
        accounts.add_user(session, "lead", role=UserRole.COMMAND, password=None, actor=ROOT)
        _info, secret = accounts.create_token(session, actor=ROOT, name="fuzz", user="lead")
    app = create_app(ServiceSettings(database_url=store.url, alert_poll_seconds=0.05), store=store)
    yield store, secret, app
    store.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Store, str, object]) -> schemathesis.BaseSchema:
    """The schema the service publishes."""
    _store, _secret, app = fuzzed
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


EXAMPLES = 6
"""Examples per operation (about 70 operations: some 400 requests in all)."""


def row_counts(store: Store) -> dict[str, int]:
    """Rows per table."""
    with store.session() as session:
        return {
            t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.slow
def test_no_server_error_and_a_refusal_changes_nothing(
    api_schema: schemathesis.BaseSchema, fuzzed: tuple[Store, str, object]
) -> None:
    store, secret, _app = fuzzed
    headers = {"Authorization": f"Bearer {secret}"}
    tried: list[str] = []
    for found in api_schema.get_all_operations():
        operation = found.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.generate],
        )
        def check(case: schemathesis.Case) -> None:
            before = row_counts(store)
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
            if 400 <= response.status_code < 500:
                after = row_counts(store)
                if case.path in ("/api/v1/auth/login", "/api/v1/auth/password"):
                    # a failed sign-in (or password change) is audited on purpose
                    after["audit"] = before["audit"]
                assert after == before, (case.as_curl_command(), response.text[:300])

        check()
    assert len(tried) > 40
