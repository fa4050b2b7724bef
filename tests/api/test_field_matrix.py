"""The field-level role matrix: every role reads every GET route of the API, every dashboard page
and the live alert stream (all found in ``app.routes``, so a new route is covered), and each
answer is checked against the fields the role may see. The facility carries canaries, values
that belong to one kind of field only (an order's clinical reason, a lab assay, an evidence link
to an exposure or a result, a person's name); a role without the permission for that kind of
field must never receive one, and a role with it must receive it somewhere (so the canaries are
really reachable and the test can fail)."""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.followup import CheckStatus
from cordon.domain.orders import OrderKind
from cordon.domain.records import Direction
from cordon.domain.roles import Actor, Permission, UserRole
from cordon.services import accounts, followup, notify, orders
from cordon.services.access import AccessIndex
from cordon.store import containment as records
from cordon.store import directory, outbox
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT, bearer
from tests.api.test_role_matrix import PATH_VALUES, api_routes, needs_of

REASON = "CANARY-REASON positive venus-particle smear"
CANARIES: dict[Permission, list[str]] = {
    Permission.READ_CLINICAL: [REASON, "CANARY-EVIDENCE", "nanite PCR"],
    Permission.READ_PEOPLE: ["Stephanie", "Bahati"],
}
"""Values only a role holding the permission may receive, anywhere in any answer."""
CLINICAL_WORDS = re.compile(
    r"\b(quarantine|quarantined|isolation|isolated|confirmed|suspected|exposed|positive)\b"
    r"|\b(exposure|lab):\d",
    re.IGNORECASE,
)
"""Values that say a person's clinical state (an order's kind, a case state, a result, an
evidence link); checked in every string value of a JSON answer and of a stream event."""
SKIP_PAGES = {"/login", "/static/plotly.min.js"}


@pytest.fixture
def canaried(facility: Store) -> Store:
    """The facility with an isolation whose reason and evidence are clinical, a door's deny of
    that person at an exit (an alert), an older alert naming the order kind, and the notifications
    of them all (with a clinical one to medical and a sample task to security)."""
    with facility.session() as session:
        orders.issue_order(
            session,
            actor=ROOT,
            kind=OrderKind.ISOLATION,
            person="p1",
            start=1795248000,
            reason=REASON,
            evidence=("lab:1", "CANARY-EVIDENCE"),
        )
        index = AccessIndex.from_store(session, actor=ROOT)
        index.decide("p1", "al-1", Direction.OUT, 1795249000)
        index.flush(session, actor="doors")
        records.add_alert(
            session,
            Alert(
                AlertKind.CASE_MISSING,
                1795249100,
                "p1 (isolation) is not in ward-1",
                Severity.CRITICAL,
                "p1",
                None,
                ("lab:1", "passage:al-1"),
            ),
            person_pk=directory.get_person(session, "p1")[0],
            place_pk=None,
            actor="test",
        )
        session.commit()
        followup.record_check(
            session,
            actor=ROOT,
            person="p1",
            at=1795249500,
            status=CheckStatus.WELL,
            zone=UTC,
            temperature=36.9,
            notes="CANARY-EVIDENCE at the follow-up",
        )
        for role in UserRole:
            accounts.add_user(
                session, f"page-{role.value}", role=role, password=PASSWORD, actor=ROOT
            )
        # notifications: clinical ones to the medical role, a sample task to security (masked
        # for it), and those of the events above (the held person to security, masked)
        symptoms = {"kind": "symptoms", "at": 1795249200, "severity": "warning",
                    "message": f"p1 reported {REASON}", "person": "p1", "place": None,
                    "evidence": ["lab:1"]}  # fmt: skip
        task = {"id": 7, "kind": "sample", "person": "p1", "place": "ward-1",
                "assignee": "role:security", "due_at": 1795249300, "note": REASON,
                "evidence": ["lab:1", "CANARY-EVIDENCE"]}  # fmt: skip
        outbox.add_events(
            session,
            [
                outbox.Event("alert", "alert:999", None, None, symptoms),
                outbox.Event("task_assigned", "task:7", None, None, task),
            ],
        )
        session.commit()
        assert notify.relay(session, time.time()) > 0
    return facility


def page_routes(app: FastAPI) -> list[str]:
    """Every GET page of the dashboard (path parameters filled in)."""
    found = []
    for context in routing.iter_route_contexts(app.routes):
        route, path = context.original_route, str(context.path or "")
        if not isinstance(route, APIRoute) or path.startswith("/api/") or path in SKIP_PAGES:
            continue
        if "GET" in (context.methods or ()):
            found.append(re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path))
    return sorted(set(found))


def strings(value: Any) -> Iterator[str]:
    """Every string value (not key) in a decoded JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def stream_events(text: str) -> list[Any]:
    """The JSON data of every event in a Server-Sent Events body."""
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]


def answers(app: FastAPI, client: TestClient, role: UserRole, token: str) -> dict[str, str]:
    """What the role receives from every GET route, page and the alert stream (200s only)."""
    out: dict[str, str] = {}
    actor = Actor(role.value, role)
    for method, template, route in api_routes(app):
        if method != "GET" or not needs_of(route) or not needs_of(route)[0].allows(actor):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), template)
        params = {"seconds": "0.5", "after": "0"} if path.endswith("/alerts/stream") else None
        answer = client.get(path, params=params, headers=bearer(token))
        assert answer.status_code < 500, f"{role.value}: GET {path} -> {answer.status_code}"
        if answer.status_code == 200:
            out[f"GET {path}"] = answer.text
    signed = client.post(
        "/api/v1/auth/login", json={"name": f"page-{role.value}", "password": PASSWORD}
    )
    assert signed.status_code == 200, signed.text
    for page in page_routes(app):
        answer = client.get(page)
        assert answer.status_code < 500, f"{role.value}: page {page} -> {answer.status_code}"
        if answer.status_code == 200:
            out[f"page {page}"] = answer.text
    client.cookies.clear()
    return out


def clinical_words(where: str, text: str) -> list[str]:
    """The clinical words in the string values of a JSON answer or of a stream's events."""
    if where.endswith("/alerts/stream"):
        values = [s for event in stream_events(text) for s in strings(event)]
    elif where.startswith("GET"):
        try:
            values = list(strings(json.loads(text)))
        except ValueError:
            return []
    else:
        return []
    return [f"{where}: {v!r}" for v in values if CLINICAL_WORDS.search(v)]


@pytest.mark.parametrize("role", list(UserRole))
def test_every_answer_holds_only_the_fields_the_role_may_see(
    role: UserRole, canaried: Store, app: FastAPI, tokens: dict[UserRole, str]
) -> None:
    actor = Actor(role.value, role)
    with TestClient(app, base_url="https://testserver") as client:
        seen = answers(app, client, role, tokens[role])
    assert role is UserRole.DOOR or len(seen) >= 5, sorted(seen)
    for permission, canaries in CANARIES.items():
        leaks = [f"{w}: {c}" for w, text in seen.items() for c in canaries if c in text]
        if actor.can(permission):
            assert any(c in text for text in seen.values() for c in canaries), permission
        else:
            assert leaks == [], f"{role.value} received {permission.value} fields"
    if not actor.can(Permission.READ_CLINICAL):
        words = [hit for where, text in seen.items() for hit in clinical_words(where, text)]
        assert words == [], f"{role.value} received clinical states"
    if actor.can(Permission.READ_ALERTS):
        assert any(stream_events(t) for w, t in seen.items() if w.endswith("/alerts/stream"))


def test_security_sees_a_confirmed_case_only_as_under_order(
    canaried: Store, client: TestClient, tokens: dict[UserRole, str]
) -> None:
    guard = bearer(tokens[UserRole.SECURITY])
    timeline = client.get("/api/v1/people/p1/timeline", headers=guard).json()
    (order,) = [e["details"] for e in timeline["items"] if e["kind"] == "order"]
    assert (order["kind"], order["reason"]) == ("under_order", "under order")
    assert timeline["case"]["containment"] == "under_order"
    stream = client.get(
        "/api/v1/alerts/stream", params={"seconds": "0.5", "after": "0"}, headers=guard
    )
    events = stream_events(stream.text)
    assert events and all(not CLINICAL_WORDS.search(e["message"]) for e in events)
    assert any("under order" in e["message"] for e in events)
    assert all(not e.startswith(("lab:", "exposure:")) for ev in events for e in ev["evidence"])
