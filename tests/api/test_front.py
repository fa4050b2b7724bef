"""The doors' front: decisions answered in its own process, everything else passed on unchanged.

The reference for what passes through is the service itself (``create_app`` in this process):
the same requests give the same status and body through the front. The front's own promises are
checked directly: decisions never reach the service behind, an order or a revocation accepted
through the front is in force at the very next decision, doors go on answering when the service
behind is gone, and that service ends with the front even when the front is killed outright.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from cordon.api import create_app, create_front
from cordon.api.front import Front
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.store.db import Store
from tests.api.conftest import bearer, leave_before_and_after_isolating_by_hand

DECIDE = "/api/v1/access/decide"
CLOCK = "2026-11-22T12:00:00Z"

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _settings(store: Store) -> ServiceSettings:
    return ServiceSettings(database_url=store.url, clock=CLOCK)


@pytest.fixture
def front(facility: Store, tokens: dict[UserRole, str]) -> Iterator[tuple[TestClient, Front]]:
    """The front on the test station (the service behind it started and stopped with it)."""
    served = create_front(_settings(facility))
    with TestClient(served, base_url="https://testserver") as client:
        yield client, served
    assert served.backend.process is not None and served.backend.process.poll() is not None


@pytest.fixture
def direct(facility: Store) -> Iterator[TestClient]:
    """The service itself, in this process: the reference for what the front passes on."""
    with TestClient(
        create_app(_settings(facility), store=facility), base_url="https://testserver"
    ) as client:
        yield client


def test_decisions_are_answered_by_the_front_itself(
    front: tuple[TestClient, Front], tokens: dict[UserRole, str]
) -> None:
    client, served = front
    door = bearer(tokens[UserRole.DOOR])
    denied = client.post(DECIDE, json={"person": "p1", "door": "al-1"}, headers=door)
    assert denied.status_code == 200, denied.text
    assert denied.json()["allowed"] is False and "under order" in denied.json()["reason"]
    free = client.post(DECIDE, json={"person": "p3", "door": "al-1"}, headers=door)
    assert free.json()["allowed"] is True
    assert served.doors.lane_answers == 2
    assert denied.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path", "body", "role"),
    [
        ("GET", "/api/v1/health", None, None),
        ("GET", "/api/v1/cases", None, UserRole.OBSERVER),
        ("GET", "/api/v1/cases?limit=1&person=p1", None, UserRole.OBSERVER),
        ("GET", "/api/v1/orders", None, None),
        ("POST", DECIDE, {"person": "p1", "door": "al-1"}, UserRole.OBSERVER),
        ("POST", DECIDE, {"person": "p1"}, UserRole.DOOR),
        ("POST", "/api/v1/orders", {"kind": "nonsense"}, UserRole.SECURITY),
        ("GET", "/api/v1/no-such-thing", None, UserRole.OBSERVER),
    ],
)
def test_what_the_front_passes_on_is_answered_as_the_service_answers_it(
    front: tuple[TestClient, Front],
    direct: TestClient,
    tokens: dict[UserRole, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
    role: UserRole | None,
) -> None:
    client, served = front
    headers = bearer(tokens[role]) if role is not None else {}
    through = client.request(method, path, json=body, headers=headers)
    itself = direct.request(method, path, json=body, headers=headers)
    assert (through.status_code, through.json()) == (itself.status_code, itself.json())
    assert through.headers["content-type"] == itself.headers["content-type"]
    assert through.headers["x-frame-options"] == itself.headers["x-frame-options"]
    assert served.doors.lane_answers == 0


def test_an_order_accepted_through_the_front_is_in_force_at_the_next_decision(
    front: tuple[TestClient, Front], tokens: dict[UserRole, str]
) -> None:
    client, served = front
    door, guard = bearer(tokens[UserRole.DOOR]), bearer(tokens[UserRole.SECURITY])
    leave = {"person": "p3", "door": "al-1", "direction": "out"}
    assert client.post(DECIDE, json=leave, headers=door).json()["allowed"] is True
    issued = client.post(
        "/api/v1/orders",
        json={"kind": "egress_hold", "person": "p3", "reason": "contact of p1"},
        headers=guard,
    )
    assert issued.status_code == 201, issued.text
    held = client.post(DECIDE, json=leave, headers=door).json()
    assert held["allowed"] is False, held
    lifted = client.post(
        f"/api/v1/orders/{issued.json()['id']}/lift", json={"reason": "cleared"}, headers=guard
    )
    assert lifted.status_code == 200, lifted.text
    assert client.post(DECIDE, json=leave, headers=door).json()["allowed"] is True
    assert served.doors.lane_answers == 3


def test_a_token_revoked_through_the_front_is_refused_at_the_next_decision(
    front: tuple[TestClient, Front], tokens: dict[UserRole, str]
) -> None:
    client, served = front
    lead = bearer(tokens[UserRole.COMMAND])
    made = client.post(
        "/api/v1/tokens",
        json={"name": "airlock 9", "user": "door", "scopes": ["decide_access"]},
        headers=lead,
    )
    assert made.status_code == 201, made.text
    door = bearer(made.json()["secret"])
    body = {"person": "p3", "door": "al-1"}
    assert client.post(DECIDE, json=body, headers=door).status_code == 200
    assert served.doors.lane_answers == 1
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=lead).status_code == 200
    refused = client.post(DECIDE, json=body, headers=door)
    assert refused.status_code == 401, refused.text
    assert served.doors.lane_answers == 1


def test_a_case_isolated_through_the_front_is_held_at_the_next_decision(
    front: tuple[TestClient, Front], tokens: dict[UserRole, str]
) -> None:
    client, served = front
    before, after = leave_before_and_after_isolating_by_hand(client, tokens)
    assert before["allowed"] is True, before
    assert after["allowed"] is False and "no order" in after["reason"], after
    assert served.doors.lane_answers == 2


def test_paths_and_bodies_pass_on_exactly_as_sent(
    front: tuple[TestClient, Front], direct: TestClient, tokens: dict[UserRole, str]
) -> None:
    client, _served = front
    lead = bearer(tokens[UserRole.COMMAND])
    paths = [b"/api/v1/people/p%2F1", b"/api/v1/people/p%201?x=%26y", b"//x/api/v1/health"]
    for path in paths:  # the last, read as a URL, would name host x and path /api/v1/health
        url = httpx.URL("https://testserver").copy_with(raw_path=path)
        through, itself = client.get(url, headers=lead), direct.get(url, headers=lead)
        assert (through.status_code, through.json()) == (itself.status_code, itself.json()), path
        assert through.status_code == 404, path
    gone = client.delete("/api/v1/tokens/999999", headers=lead)  # a write with no body
    assert gone.status_code == direct.delete("/api/v1/tokens/999999", headers=lead).status_code


def _asked(client: TestClient, app: Front, method: str, target: bytes) -> list[dict[str, Any]]:
    """What ``app`` sends for a request with exactly this target (no client library between)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "http_version": "1.1", "method": method, "scheme": "https",
        "path": target.decode(errors="replace"), "raw_path": target, "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000),
        "server": ("testserver", 443),
    }  # fmt: skip
    assert client.portal is not None
    client.portal.call(app, scope, receive, send)
    return sent


def test_a_target_that_is_no_path_is_refused_with_a_400(front: tuple[TestClient, Front]) -> None:
    client, served = front
    for target in (b"*", "/\u00e9".encode()):  # OPTIONS * (httptools passes it on); raw UTF-8
        sent = _asked(client, served, "OPTIONS", target)
        assert sent[0]["status"] == 400, target
        assert json.loads(sent[1]["body"])["detail"] == "the request target is not a valid path"


def test_a_request_that_finds_no_free_connection_gets_a_503(
    facility: Store, tokens: dict[UserRole, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cordon.api.front as front_module

    monkeypatch.setattr(front_module, "LIMITS", httpx.Limits(max_connections=1))
    monkeypatch.setattr(front_module, "TIMEOUT", httpx.Timeout(None, connect=10, pool=0.5))
    served = create_front(_settings(facility))
    lead = bearer(tokens[UserRole.COMMAND])
    with TestClient(served, base_url="https://testserver") as client:
        assert served.client is not None and client.portal is not None
        stream = "/api/v1/alerts/stream?seconds=60"
        opened = served.client.build_request("GET", stream, headers=lead)
        busy = client.portal.call(partial(served.client.send, opened, stream=True))
        assert busy.status_code == 200  # an open alert stream holds the only connection
        waited = client.get("/api/v1/cases", headers=lead)
        assert waited.status_code == 503 and waited.headers["retry-after"] == "5"
        client.portal.call(busy.aclose)
        assert client.get("/api/v1/cases", headers=lead).status_code == 200


def test_doors_go_on_answering_when_the_service_behind_is_gone(
    front: tuple[TestClient, Front], tokens: dict[UserRole, str]
) -> None:
    client, served = front
    door = bearer(tokens[UserRole.DOOR])
    assert client.post(DECIDE, json={"person": "p3", "door": "hall"}, headers=door).is_success
    assert served.backend.process is not None
    served.backend.process.kill()
    served.backend.process.wait()
    away = client.get("/api/v1/cases", headers=bearer(tokens[UserRole.OBSERVER]))
    assert away.status_code == 503, away.text
    assert "not answering" in away.json()["detail"] and away.headers["retry-after"] == "5"
    held = client.post(DECIDE, json={"person": "p1", "door": "al-1"}, headers=door)
    assert held.status_code == 200 and held.json()["allowed"] is False
    back = time.monotonic() + 60  # the front starts the service behind again
    while client.get("/api/v1/health").status_code != 200:
        assert time.monotonic() < back, "the service behind was not started again"
        time.sleep(0.2)
    assert client.get("/api/v1/cases", headers=bearer(tokens[UserRole.COMMAND])).is_success


def test_the_service_behind_ends_with_the_front_even_when_it_is_killed(
    facility: Store, tokens: dict[UserRole, str], tmp_path: Path
) -> None:
    from bench.loadgen import Service

    service = Service(facility.url, tmp_path / "service.log", CORDON_CLOCK=CLOCK)
    service.start()
    try:
        asked = httpx.get(f"{service.base}/api/v1/cases", headers=bearer(tokens[UserRole.COMMAND]))
        assert asked.status_code == 200, asked.text
        behind = psutil.Process(service.pid).children()
        assert [p for p in behind if "cordon.api.backend" in p.cmdline()], behind
    finally:
        service.kill()
    gone = time.monotonic() + 10
    while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in behind):
        assert time.monotonic() < gone, "the service behind outlived the front"
        time.sleep(0.1)
