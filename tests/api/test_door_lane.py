"""The doors app: its lane answers exactly as the decide route would, and only when all is in
order; writes through the web app are in force at the doors when their caller hears of it.

The reference is the same doors app without the lane (the route through FastAPI): every
request, valid or not, gets the same status, body and headers from both. The web app reaches the
doors over ASGI (``create_app(doors=...)``), as it would over HTTP.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

import httpx

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.doors.app import create_doors_app
from cordon.doors.lane import MAX_BODY, DoorLane
from cordon.doors.service import TOKEN_RENEW, TOKEN_TTL, Doors
from cordon.services import accounts
from cordon.store.changes import read_versions
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT, bearer, leave_before_and_after_isolating_by_hand

DECIDE = "/api/v1/access/decide"
CLOCK = "2026-11-22T12:00:00Z"
PEOPLE = ["p1", "p2", "p3", "v1", "m1", "nobody"]
DOORS = ["al-1", "hall", "ward-1", "q-1", "ring-a", "nowhere"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _app(store: Store, *, lane: bool) -> FastAPI:
    app = create_doors_app(ServiceSettings(database_url=store.url, clock=CLOCK), store=store)
    if not lane:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not DoorLane]
    return app


@pytest.fixture
def pair(facility: Store, tokens: dict[UserRole, str]) -> Iterator[tuple[TestClient, TestClient]]:
    """The doors with the lane and their twin without it, both warmed with the door token."""
    with (
        TestClient(_app(facility, lane=True), base_url="https://testserver") as fast,
        TestClient(_app(facility, lane=False), base_url="https://testserver") as slow,
    ):
        for client in (fast, slow):
            warm = client.post(
                DECIDE, json={"person": "p2", "door": "hall"}, headers=bearer(tokens[UserRole.DOOR])
            )
            assert warm.status_code == 200, warm.text
        yield fast, slow


@pytest.fixture
def web(facility: Store, pair: tuple[TestClient, TestClient]) -> Iterator[TestClient]:
    """The web app, whose writes wait for the doors with the lane (reached over ASGI)."""
    doors = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pair[0].app), base_url="http://doors"
    )
    settings = ServiceSettings(database_url=facility.url, clock=CLOCK)
    with TestClient(
        create_app(settings, store=facility, doors=doors), base_url="https://testserver"
    ) as client:
        yield client


def _lane_answers(client: TestClient) -> int:
    return int(client.app.state.doors.lane_answers)  # type: ignore[attr-defined]


def _same(fast: Any, slow: Any) -> None:
    assert fast.status_code == slow.status_code
    assert fast.json() == slow.json()
    assert fast.content == slow.content
    assert dict(fast.headers) == dict(slow.headers)


bodies = st.fixed_dictionaries(
    {
        "person": st.sampled_from(PEOPLE),
        "door": st.sampled_from(DOORS),
    },
    optional={
        "direction": st.sampled_from(["in", "out", "sideways"]),
        "at": st.one_of(st.integers(1795000000, 1796000000), st.integers(-5, 5), st.none()),
        "credential": st.sampled_from(["badge", "foreign", "escorted", "biometric", "guest"]),
        "extra": st.just(1),
    },
)


@given(body=bodies)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_lane_and_route_answer_alike(
    pair: tuple[TestClient, TestClient], tokens: dict[UserRole, str], body: dict[str, Any]
) -> None:
    fast, slow = pair
    auth = bearer(tokens[UserRole.DOOR])
    before = _lane_answers(fast)
    one, two = (
        fast.post(DECIDE, json=body, headers=auth),
        slow.post(DECIDE, json=body, headers=auth),
    )
    _same(one, two)
    assert _lane_answers(fast) == before + (one.status_code == 200)
    assert _lane_answers(slow) == 0


def test_the_lane_answers_holds_from_memory(
    pair: tuple[TestClient, TestClient], tokens: dict[UserRole, str]
) -> None:
    fast, _slow = pair
    auth = bearer(tokens[UserRole.DOOR])
    before = _lane_answers(fast)
    denied = fast.post(DECIDE, json={"person": "p1", "door": "al-1"}, headers=auth).json()
    assert denied["allowed"] is False and "under order" in denied["reason"], denied
    assert denied["at"] == 1795348800  # the station clock
    free = fast.post(DECIDE, json={"person": "p3", "door": "al-1"}, headers=auth).json()
    assert free["allowed"] is True
    assert _lane_answers(fast) == before + 2


@pytest.mark.parametrize(
    ("case", "status"),
    [("observer token", 403), ("unknown token", 401), ("not json", 422), ("too large", 200)],
)
def test_everything_else_goes_the_long_way(
    pair: tuple[TestClient, TestClient], tokens: dict[UserRole, str], case: str, status: int
) -> None:
    fast, slow = pair
    body = {"person": "p1", "door": "al-1"}
    headers = bearer(tokens[UserRole.DOOR])
    content = json.dumps(body)
    if case == "observer token":
        headers = bearer(tokens[UserRole.OBSERVER])
    elif case == "unknown token":
        headers = bearer("cdn_" + "x" * 40)
    elif case == "not json":
        headers = {**headers, "content-type": "text/plain"}
    else:
        content = json.dumps({**body, "pad": "x" * MAX_BODY})
    before = _lane_answers(fast)
    one = fast.post(
        DECIDE, content=content, headers={"content-type": "application/json", **headers}
    )
    two = slow.post(
        DECIDE, content=content, headers={"content-type": "application/json", **headers}
    )
    assert one.status_code == status, one.text
    _same(one, two)
    assert _lane_answers(fast) == before


def test_a_signed_in_browser_goes_the_long_way(
    pair: tuple[TestClient, TestClient], facility: Store
) -> None:
    """A guard's browser session (signed in on the web) is honoured by the doors' route."""
    fast, _slow = pair
    with facility.session() as session:
        accounts.add_user(session, "guard", role=UserRole.SECURITY, password=PASSWORD, actor=ROOT)
    with TestClient(
        create_app(ServiceSettings(database_url=facility.url), store=facility),
        base_url="https://testserver",
    ) as web:
        login = web.post("/api/v1/auth/login", json={"name": "guard", "password": PASSWORD})
    fast.cookies.update(web.cookies)
    assert login.status_code == 200, login.text
    before = _lane_answers(fast)
    answer = fast.post(
        DECIDE,
        json={"person": "p1", "door": "al-1"},
        headers={"X-CSRF-Token": login.json()["csrf_token"]},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["allowed"] is False
    assert _lane_answers(fast) == before


def test_a_token_revoked_through_the_api_is_refused_at_the_next_decision(
    pair: tuple[TestClient, TestClient], web: TestClient, tokens: dict[UserRole, str]
) -> None:
    fast, _slow = pair
    lead = bearer(tokens[UserRole.COMMAND])
    made = web.post(
        "/api/v1/tokens",
        json={"name": "airlock 9", "user": "door", "scopes": ["decide_access"]},
        headers=lead,
    )
    assert made.status_code == 201, made.text
    door = bearer(made.json()["secret"])
    body = {"person": "p3", "door": "al-1"}
    assert fast.post(DECIDE, json=body, headers=door).status_code == 200
    assert fast.post(DECIDE, json=body, headers=door).status_code == 200  # from the cache
    assert web.delete(f"/api/v1/tokens/{made.json()['id']}", headers=lead).status_code == 200
    refused = fast.post(DECIDE, json=body, headers=door)
    assert refused.status_code == 401, refused.text
    assert fast.post(DECIDE, json=body, headers=bearer(tokens[UserRole.DOOR])).status_code == 200


def test_tokens_in_use_are_rechecked_before_they_go_old(
    pair: tuple[TestClient, TestClient], tokens: dict[UserRole, str], facility: Store
) -> None:
    fast, _slow = pair
    service: Doors = fast.app.state.doors  # type: ignore[attr-defined]
    secret = tokens[UserRole.DOOR]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    assert service.cached_actor(secret) is not None  # warmed by the fixture, used now

    def age(seconds: float) -> None:
        known = service._tokens[digest]
        service._tokens[digest] = replace(known, checked=known.checked - seconds)
        service._used[digest] -= seconds / 2  # used after that check

    age(TOKEN_RENEW + 1)
    before = service._tokens[digest].checked
    service._renew_tokens()
    assert service._tokens[digest].checked > before  # renewed: no decision will find it old
    assert service.cached_actor(secret) is not None
    with facility.session() as session:  # revoked elsewhere (the CLI, another process)
        for info in accounts.list_tokens(session, actor=ROOT, everyone=True):
            if info.user == "door":
                accounts.revoke_token(session, info.id, actor=ROOT)
    with contextlib.suppress(KeyError):  # the change signal may have emptied the cache already
        age(TOKEN_RENEW + 1)
    service._renew_tokens()
    assert service.cached_actor(secret) is None
    refused = fast.post(DECIDE, json={"person": "p3", "door": "al-1"}, headers=bearer(secret))
    assert refused.status_code == 401
    with facility.session() as session:  # the doors have seen the revocation's signal
        current = read_versions(session)["tokens"]
    deadline = time.monotonic() + 60
    while service.follower.seen.get("tokens") != current:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    other = tokens[UserRole.COMMAND]
    assert (
        fast.post(DECIDE, json={"person": "p3", "door": "al-1"}, headers=bearer(other)).status_code
        == 200
    )
    assert service.cached_actor(other) is not None  # cached, and used from the cache
    used = hashlib.sha256(other.encode()).hexdigest()
    service._used[used] -= TOKEN_TTL + 1  # no door used it for a long time: dropped
    service._renew_tokens()
    assert used not in service._tokens


def test_a_case_isolated_through_the_api_is_held_at_the_next_decision(
    pair: tuple[TestClient, TestClient], web: TestClient, tokens: dict[UserRole, str]
) -> None:
    fast, _slow = pair
    before, after = leave_before_and_after_isolating_by_hand(web, fast, tokens)
    assert before["allowed"] is True, before
    assert after["allowed"] is False and after["order"] is None, after
    assert "no order" in after["reason"], after


def test_a_token_revoked_during_its_lookup_is_not_cached(
    facility: Store, tokens: dict[UserRole, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doors = Doors(facility)
    looked_up = accounts.check_token

    def revoked_meanwhile(session: Any, secret: str, **when: Any) -> Any:
        found = looked_up(session, secret, **when)
        doors.forget_tokens()  # a revocation answered while this lookup was under way
        return found

    monkeypatch.setattr(accounts, "check_token", revoked_meanwhile)
    secret = tokens[UserRole.DOOR]
    assert doors.actor(secret).name == "door"  # this decision raced the revocation
    assert doors.cached_actor(secret) is None  # but its answer is not kept for the next
    monkeypatch.setattr(accounts, "check_token", looked_up)
    doors.actor(secret)
    assert doors.cached_actor(secret) is not None


def test_an_order_and_a_new_exit_through_the_api_are_in_force_at_the_next_decision(
    pair: tuple[TestClient, TestClient], web: TestClient, tokens: dict[UserRole, str]
) -> None:
    """A hold, then a place made an exit by an import: each in force at the doors once the web
    answered, with no restart (the directory reloads by construction: the change signal)."""
    fast, _slow = pair
    door, lead = bearer(tokens[UserRole.DOOR]), bearer(tokens[UserRole.COMMAND])
    leave_hall = {"person": "p3", "door": "hall", "direction": "out"}
    assert fast.post(DECIDE, json=leave_hall, headers=door).json()["allowed"] is True
    hold = web.post(
        "/api/v1/orders",
        json={"kind": "egress_hold", "person": "p3", "reason": "questioning"},
        headers=lead,
    )
    assert hold.status_code == 201, hold.text
    assert (
        fast.post(DECIDE, json={**leave_hall, "door": "al-1"}, headers=door).json()["allowed"]
        is False
    )
    assert fast.post(DECIDE, json=leave_hall, headers=door).json()["allowed"] is True
    made_exit = web.post(
        "/api/v1/imports?kind=places",
        files={"file": ("places.csv", b"id,name,kind,exit\nhall,Hall,hall,true\n", "text/csv")},
        headers=lead,
    )
    assert made_exit.status_code == 201 and made_exit.json()["status"] == "done", made_exit.text
    denied = fast.post(DECIDE, json=leave_hall, headers=door).json()
    assert denied["allowed"] is False and denied["order"] == hold.json()["id"], denied


def test_a_write_is_answered_when_the_doors_are_down(
    facility: Store, tokens: dict[UserRole, str]
) -> None:
    """The doors' sync is bounded: with nothing listening on their port the write succeeds
    (logged), and the doors catch up from the change signal when they come back."""
    from bench.loadgen import free_port

    settings = ServiceSettings(
        database_url=facility.url, clock=CLOCK, doors_url=f"http://127.0.0.1:{free_port()}"
    )
    with TestClient(create_app(settings, store=facility), base_url="https://testserver") as web:
        hold = web.post(
            "/api/v1/orders",
            json={"kind": "egress_hold", "person": "p3", "reason": "questioning"},
            headers=bearer(tokens[UserRole.COMMAND]),
        )
    assert hold.status_code == 201, hold.text
    with TestClient(_app(facility, lane=True), base_url="https://testserver") as doors:
        late = doors.post(
            DECIDE, json={"person": "p3", "door": "al-1"}, headers=bearer(tokens[UserRole.DOOR])
        )
    assert late.json()["allowed"] is False and late.json()["order"] == hold.json()["id"]


@pytest.mark.parametrize("lane", [True, False], ids=["lane", "route"])
def test_a_token_is_refused_at_the_doors_the_moment_it_expires(facility: Store, lane: bool) -> None:
    """A cached token is good until its ``expires_at`` and not a moment longer, at the decide
    route (lane or not) and the override route, whatever the cache's age; the doors' clock
    (the wall clock tokens expire by) is moved, the station clock stays where it is."""
    expires = int(time.time()) + 3600
    secrets = {}
    with facility.session() as session:
        for name, role in (("gate", UserRole.DOOR), ("guard", UserRole.SECURITY)):
            accounts.add_user(session, name, role=role, password=None, actor=ROOT)
            _info, secrets[name] = accounts.create_token(
                session, actor=ROOT, name=name, user=name, expires_at=expires
            )
    app = _app(facility, lane=lane)
    service: Doors = app.state.doors
    now = [expires - 60.0]
    service.clock = lambda: now[0]
    decide = {"person": "p2", "door": "hall"}
    override = {"person": "p1", "door": "al-1", "why": "escorted to the medical bay"}
    with TestClient(app, base_url="https://testserver") as doors:

        def statuses() -> tuple[int, int]:
            asked = doors.post(DECIDE, json=decide, headers=bearer(secrets["gate"]))
            let = doors.post(
                "/api/v1/access/override", json=override, headers=bearer(secrets["guard"])
            )
            return asked.status_code, let.status_code

        assert statuses() == (200, 200)
        for name in ("gate", "guard"):
            assert service.cached_actor(secrets[name]) is not None  # in the cache, fresh
        now[0] = expires - 0.5
        assert statuses() == (200, 200)
        checked = {d: k.checked for d, k in service._tokens.items()}
        now[0] = expires
        assert statuses() == (401, 401)
        # refused by the cache itself: its entries are still fresh (not re-read from the store)
        assert {d: k.checked for d, k in service._tokens.items()} == checked
        assert time.monotonic() - min(checked.values()) < TOKEN_TTL
        now[0] = expires + 86_400
        assert statuses() == (401, 401)
        now[0] = expires - 1  # the clock set back: the token was never revoked
        assert statuses() == (200, 200)


def test_exit_policies_and_a_group_hold_through_the_api_are_in_force_at_the_next_decision(
    pair: tuple[TestClient, TestClient], web: TestClient, tokens: dict[UserRole, str]
) -> None:
    """Set through the web app, in force at the doors (lane and route alike) once the web app
    answered; lifted the same way. Security may read policies but not set them."""
    fast, slow = pair
    door, lead = bearer(tokens[UserRole.DOOR]), bearer(tokens[UserRole.COMMAND])
    guard = bearer(tokens[UserRole.SECURITY])
    escorted = {"person": "p2", "door": "al-1", "companions": ["V1\u200b"]}
    stranger = {"person": "nobody", "door": "al-1"}
    for body in (escorted, stranger):
        assert fast.post(DECIDE, json=body, headers=door).json()["allowed"] is True
    refused = web.post(
        "/api/v1/exit-policies", json={"kind": "unknown_person", "reason": "x"}, headers=guard
    )
    assert refused.status_code == 403
    escort = web.post(
        "/api/v1/exit-policies",
        json={"kind": "escort", "reason": "no escorts", "companion_roles": ["visiting_crew"]},
        headers=lead,
    )
    assert escort.status_code == 201, escort.text
    unknown = web.post(
        "/api/v1/exit-policies",
        json={"kind": "unknown_person", "reason": "known ids", "action": "hold"},
        headers=lead,
    )
    for body, policy in ((escorted, escort.json()), (stranger, unknown.json())):
        got = fast.post(DECIDE, json=body, headers=door).json()
        assert got["allowed"] is False and got["policy"] == policy["id"], got
    slow.post("/api/v1/doors/sync", json={"versions": fast.get("/api/v1/doors/status").json()[
        "versions"]})  # fmt: skip
    _same(*(c.post(DECIDE, json=stranger, headers=door) for c in (fast, slow)))
    listed = web.get("/api/v1/exit-policies", headers=guard)
    assert {p["name"] for p in listed.json()} == {"escort", "unknown-person"}
    lifted = web.post(
        "/api/v1/exit-policies/unknown-person/lift", json={"reason": "drill"}, headers=lead
    )
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    assert fast.post(DECIDE, json=stranger, headers=door).json()["allowed"] is True
    history = web.get("/api/v1/exit-policies/unknown-person/history", headers=guard).json()
    assert [v["status"] for v in history] == ["lifted"]
    hold = web.post(
        "/api/v1/orders",
        json={"kind": "egress_hold", "reason": "all police", "scope": {"affiliations": ["Police"]}},
        headers=lead,
    )
    assert hold.status_code == 201, hold.text
    police = {"person": "p3", "door": "al-1", "direction": "in"}
    leaving = {**police, "direction": "out"}
    assert fast.post(DECIDE, json=police, headers=door).json()["allowed"] is True  # in: not held
    got = fast.post(DECIDE, json=leaving, headers=door).json()
    assert got["allowed"] is False and got["order"] == hold.json()["id"], got
    assert "egress hold on every Police" in got["reason"]
    lift = web.post(f"/api/v1/orders/{hold.json()['id']}/lift", json={"reason": "x"}, headers=lead)
    assert lift.status_code == 200
    assert fast.post(DECIDE, json=leaving, headers=door).json()["allowed"] is True
    assert fast.post(DECIDE, json=escorted, headers=door).json()["policy"] == escort.json()["id"]
