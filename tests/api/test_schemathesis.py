"""The published OpenAPI schema, fuzzed by schemathesis operation by operation (as command, the
role that may do everything): no answer is a server error, and a refused request (4xx) leaves
every table's row count as it was. The strategies add what JSON schemas never generate: about
half the JSON bodies carry a non-finite number (NaN, Infinity) or a lone surrogate in one value,
and some query values are non-finite numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
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


HOSTILE_VALUES: list[object] = [math.nan, math.inf, -math.inf, "\ud800", "a\udfffb", "\udc80"]
"""Put in one place of a JSON body: JSON text that Python writes (``NaN``, ``Infinity``,
``"\\ud800"``) and a strict parser must refuse."""
HOSTILE_QUERY = ["NaN", "Infinity", "-Infinity", "nan", "1e999"]


def _places(value: object, at: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a JSON value where a value can go (a new key in each object too)."""
    found: list[tuple[object, ...]] = [at] if at else []
    if isinstance(value, dict):
        found.append((*at, "hostile"))
        for key, item in value.items():
            found += _places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*at, index))
    return found


def _put(value: Any, at: tuple[object, ...], new: object) -> Any:
    if not at:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    head, rest = at[0], at[1:]
    copy[head] = _put(value[head] if rest else None, rest, new)  # type: ignore[index]
    return copy


def hostile_body(context: object, body: Any) -> st.SearchStrategy[Any]:
    """The body as generated, or as JSON text with one value non-finite or a lone surrogate."""
    places = _places(body) if isinstance(body, (dict, list)) else []
    if not places:
        return st.just(body)
    mutated = st.tuples(st.sampled_from(places), st.sampled_from(HOSTILE_VALUES)).map(
        lambda pair: json.dumps(_put(body, *pair)).encode()
    )
    return st.one_of(st.just(body), mutated)


def hostile_query(context: object, query: Any) -> st.SearchStrategy[Any]:
    """The query as generated, or with one value a non-finite number."""
    if not isinstance(query, dict) or not query:
        return st.just(query)
    mutated = st.tuples(st.sampled_from(sorted(query)), st.sampled_from(HOSTILE_QUERY)).map(
        lambda pair: {**query, pair[0]: pair[1]}
    )
    return st.one_of(st.just(query), mutated)


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Store, str, object]) -> schemathesis.BaseSchema:
    """The schema the service publishes, its strategies with the hostile values added."""
    _store, _secret, app = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    schema.hook("flatmap_body")(hostile_body)
    schema.hook("flatmap_query")(hostile_query)
    return schema


def _hostile(case: schemathesis.Case) -> bool:
    """Whether the case carries one of the hostile values."""
    if isinstance(case.body, bytes) and case.media_type == "application/json":
        return True
    return any(v in HOSTILE_QUERY for v in (case.query or {}).values())


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
    hostile: list[int] = []
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
            if _hostile(case):
                hostile.append(response.status_code)
                if isinstance(case.body, bytes):  # refused before any parser, whatever the route
                    assert response.status_code == 422, (case.as_curl_command(), response.text)
            if 400 <= response.status_code < 500:
                after = row_counts(store)
                if case.path in (
                    "/api/v1/auth/login",
                    "/api/v1/auth/password",
                    "/api/v1/auth/first-password",
                ):
                    # a failed sign-in or a wrong current password is audited on purpose
                    after["audit"] = before["audit"]
                assert after == before, (case.as_curl_command(), response.text[:300])

        check()
    assert len(tried) > 40
    # the hostile values were sent, many times
    assert len(hostile) > 40, len(hostile)
