"""Every role tries every API route, found in ``app.routes`` (so routes added later are tried
too): a role without the route's permission gets 403 and the store does not change at all; a
role with it is never refused for its role and never meets a server error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cordon.api.deps import Needs
from cordon.domain.roles import ROLE_PERMISSIONS, Actor, UserRole
from cordon.store.db import Store
from cordon.store.models import Base
from tests.api.conftest import bearer

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/self-report/{token}"),
    ("POST", "/api/v1/self-report/{token}"),
    ("POST", "/api/v1/auth/first-password"),
}
"""Routes anyone may call without signing in."""

PATH_VALUES = {"person_id": "p1", "order_id": "1", "alert_id": "1", "token_id": "999"}
"""Values for path parameters (others get ``1``)."""

QUERY = {
    ("POST", "/api/v1/imports"): {"kind": "lab"},
    ("GET", "/api/v1/alerts/stream"): {"seconds": "0.1"},
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/orders"): {"kind": "egress_hold", "person": "v1", "reason": "matrix"},
    ("POST", "/api/v1/orders/{order_id}/lift"): {"reason": "matrix"},
    ("POST", "/api/v1/cases/{person_id}/transition"): {"reason": "matrix", "clinical": "cleared"},
    ("POST", "/api/v1/exposures"): {"a": "p2", "b": "v1", "start": 10, "end": 20},
    ("POST", "/api/v1/lab-results"): {
        "person": "v1",
        "collected_at": 10,
        "assay": "PCR",
        "result": "negative",
    },
    ("POST", "/api/v1/users"): {"name": "matrix-user", "role": "observer"},
    ("POST", "/api/v1/tokens"): {"name": "matrix"},
    ("POST", "/api/v1/contact-channels"): {"recipient": "role:command", "channel": "feed"},
    ("POST", "/api/v1/exit-policies"): {"kind": "unknown_person", "reason": "matrix"},
    ("POST", "/api/v1/profile"): {"settings": {"latent_s": "1d"}, "reason": "matrix"},
}
FILES = {
    ("POST", "/api/v1/imports"): {
        "file": ("lab.csv", "person,collected_at,assay,result\np2,100,PCR,negative\n")
    }
}
"""Request contents that let an allowed role's call succeed (a forbidden role is refused
before the request is even read, so its content does not matter)."""

BY_ROLE: dict[UserRole, dict[tuple[str, str], dict[str, Any]]] = {
    UserRole.MEDICAL: {
        ("POST", "/api/v1/orders"): {"kind": "quarantine", "person": "v1", "reason": "matrix"}
    },
    UserRole.SECURITY: {
        ("POST", "/api/v1/imports"): {
            "params": {"kind": "presence"},
            "files": {"file": ("presence.csv", "person,place,start,end\nv1,hall,100,200\n")},
        }
    },
}
"""Where the route serves several permissions, the request each role can rightly make."""


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """Every (method, full path, route) under /api/v1, through included routers too."""
    found = []
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and (context.path or "").startswith("/api/v1"):
            found += [(method, str(context.path), route) for method in context.methods or ()]
    return sorted(found, key=lambda item: (item[1], item[0]))


def needs_of(route: APIRoute) -> list[Needs]:
    """The permission checks a route declares."""
    return [d.call for d in route.dependant.dependencies if isinstance(d.call, Needs)]


def snapshot(store: Store) -> dict[str, int]:
    """Row counts of every table, the audit log included."""
    with store.session() as session:
        return {
            t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def test_every_route_declares_its_permission(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) >= 25
    undeclared = [
        f"{m} {p}" for m, p, r in routes if (m, p) not in PUBLIC and len(needs_of(r)) != 1
    ]
    assert undeclared == [], "add dependencies=[needs(Permission.X)] to these routes"


def _call(
    client: TestClient,
    method: str,
    template: str,
    headers: dict[str, str],
    role: UserRole | None = None,
) -> Any:
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), template)
    key = (method, template)
    special = BY_ROLE.get(role, {}).get(key, {}) if role else {}
    if special and "files" not in special:
        special = {"json": special}
    return client.request(
        method,
        path,
        params=special.get("params", QUERY.get(key)),
        json=special.get("json", BODIES.get(key) if key not in FILES else None),
        files=special.get("files", FILES.get(key)),
        headers=headers,
    )


@pytest.mark.parametrize("role", list(UserRole))
def test_role_matrix(
    role: UserRole,
    app: FastAPI,
    client: TestClient,
    tokens: dict[UserRole, str],
    facility: Store,
) -> None:
    actor = Actor(role.value, role)
    headers = bearer(tokens[role])
    tried = refused = 0
    for method, path, route in api_routes(app):
        if (method, path) in PUBLIC:
            continue
        check = needs_of(route)[0]
        before = snapshot(facility)
        answer = _call(client, method, path, headers, role)
        tried += 1
        where = f"{role.value}: {method} {path} -> {answer.status_code}"
        if check.allows(actor):
            assert answer.status_code not in (401, 403), f"{where} {answer.text}"
            assert answer.status_code < 500, where
        else:
            refused += 1
            assert answer.status_code == 403, where
            assert snapshot(facility) == before, f"{where} changed the store"
    assert tried >= 25
    if ROLE_PERMISSIONS[role] != ROLE_PERMISSIONS[UserRole.COMMAND]:
        assert refused > 0


def test_the_matrix_holds_for_browser_sessions_too(
    app: FastAPI, client: TestClient, facility: Store
) -> None:
    """An observer signed in with a cookie (and a valid CSRF token) is refused the same way."""
    from cordon.services import accounts
    from tests.api.conftest import PASSWORD, ROOT

    with facility.session() as session:
        accounts.add_user(session, "watch", role=UserRole.OBSERVER, password=PASSWORD, actor=ROOT)
    csrf = client.post("/api/v1/auth/login", json={"name": "watch", "password": PASSWORD}).json()[
        "csrf_token"
    ]
    actor = Actor("watch", UserRole.OBSERVER)
    for method, path, route in api_routes(app):
        if (method, path) in PUBLIC or needs_of(route)[0].allows(actor):
            continue
        before = snapshot(facility)
        answer = _call(client, method, path, {"X-CSRF-Token": csrf})
        assert answer.status_code == 403, f"{method} {path}"
        assert snapshot(facility) == before
