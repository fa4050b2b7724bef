"""``GET /api/v1/contacts`` pages through the contacts (issue 22): the pages put together are
the service's whole answer, and the contacts are derived once for all of them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cordon.domain.roles import Actor, UserRole
from cordon.services import contacts as service
from cordon.services import index_cache
from cordon.store.db import Store
from tests.api.conftest import bearer


def test_pages_put_together_are_the_whole_answer(
    client: TestClient,
    tokens: dict[UserRole, str],
    facility: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with facility.session() as session:
        whole = service.contacts(session, actor=Actor("lead"), min_overlap=60)
    assert len(whole) >= 3
    derived = {"n": 0}
    original = service._store_edges

    def counting(*args: Any, **kwargs: Any) -> Any:
        derived["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "_store_edges", counting)
    index_cache.clear_memory()
    medic = bearer(tokens[UserRole.MEDICAL])
    rows: list[dict[str, Any]] = []
    for offset in range(0, len(whole) + 2, 2):
        page = client.get(
            "/api/v1/contacts", params={"offset": offset, "limit": 2, "min_overlap": 60},
            headers=medic,
        )  # fmt: skip
        assert page.status_code == 200, page.text
        assert page.json()["count"] == len(whole) and page.json()["offset"] == offset
        rows += page.json()["contacts"]
    assert rows == json.loads(json.dumps(whole.to_dict()["contacts"]))
    assert derived["n"] <= 1  # the first page derived them (or found the service's copy)
