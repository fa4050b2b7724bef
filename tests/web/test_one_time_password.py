"""A one-time password (the demo's, or one from `cordon user add`/`user reset`) signs no one in:
its holder must choose a new password first, and afterwards it is spent, in the pages and in the
API alike."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from cordon.domain.roles import UserRole
from cordon.errors import NotAuthenticated, PasswordChangeRequired
from cordon.services import accounts
from cordon.store.db import Store
from tests.api.conftest import ROOT

ONCE = "first-sign-in secret 7"
CHOSEN = "violet harbour lantern 19"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_one_time_password_must_be_changed_and_is_then_spent(
    client: TestClient, facility: Store
) -> None:
    with facility.session() as session:
        accounts.add_user(
            session, "demo", role=UserRole.COMMAND, password=ONCE, actor=ROOT, one_time=True
        )
    token = _csrf(client.get("/login").text)
    first = client.post(
        "/login", data={"name": "demo", "password": ONCE, "csrf": token}, follow_redirects=False
    )
    assert first.status_code == 200 and 'id="password-form"' in first.text  # no session
    assert client.get("/", follow_redirects=False).status_code == 303
    mismatch = client.post(
        "/login/password",
        data={"name": "demo", "password": ONCE, "new_password": CHOSEN, "again": CHOSEN + "x",
              "csrf": token},
    )  # fmt: skip
    assert mismatch.status_code == 422 and "differ" in mismatch.text
    assert 'value="demo"' in mismatch.text  # the form keeps the name
    changed = client.post(
        "/login/password",
        data={"name": "demo", "password": ONCE, "new_password": CHOSEN, "again": CHOSEN,
              "csrf": token},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    assert client.get("/").status_code == 200  # signed in with the new password
    with facility.session() as session:
        try:
            accounts.login(session, "demo", ONCE)
            raise AssertionError("the one-time password still works")
        except PasswordChangeRequired:
            raise AssertionError("the one-time password is not spent") from None
        except NotAuthenticated:
            pass
        assert accounts.login(session, "demo", CHOSEN).actor.name == "demo"


def test_the_api_asks_for_a_new_password_too(client: TestClient, facility: Store) -> None:
    with facility.session() as session:
        accounts.add_user(
            session, "lead2", role=UserRole.MEDICAL, password=ONCE, actor=ROOT, one_time=True
        )
    refused = client.post("/api/v1/auth/login", json={"name": "lead2", "password": ONCE})
    assert refused.status_code == 401 and "one-time" in refused.json()["detail"]
    changed = client.post(
        "/api/v1/auth/first-password",
        json={"name": "lead2", "password": ONCE, "new_password": CHOSEN},
    )
    assert changed.status_code == 200 and changed.json()["name"] == "lead2"
    again = client.post(
        "/api/v1/auth/first-password",
        json={"name": "lead2", "password": ONCE, "new_password": CHOSEN + "!"},
    )
    assert again.status_code == 401
