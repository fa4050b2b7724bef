"""The dashboard over HTTP: sign-in with login CSRF, pages per role, forms with CSRF, headers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cordon.domain.roles import UserRole
from cordon.services import accounts
from cordon.store.db import Store
from cordon.store.models import OrderRow
from tests.api.conftest import PASSWORD, ROOT

PAGES = ["/", "/cases", "/people", "/people/p1", "/orders", "/alerts", "/audit"]


def sign_in(client: TestClient, store: Store, role: UserRole) -> str:
    """Sign in through the form as a new user of ``role``; returns the page CSRF token."""
    name = f"web-{role.value}"
    with store.session() as session:
        accounts.add_user(session, name, role=role, password=PASSWORD, actor=ROOT)
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    return csrf.group(1)


def test_pages_redirect_to_sign_in(client: TestClient) -> None:
    for page in PAGES:
        answer = client.get(page, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"


def test_login_form_refuses_a_missing_login_csrf(client: TestClient, facility: Store) -> None:
    with facility.session() as session:
        accounts.add_user(session, "u1", role=UserRole.COMMAND, password=PASSWORD, actor=ROOT)
    answer = client.post(
        "/login",
        data={"name": "u1", "password": PASSWORD, "csrf": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_wrong_password_shows_the_form_again(client: TestClient, facility: Store) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/login", data={"name": "nobody", "password": "whatever it is", "csrf": token.group(1)}
    )
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.text


def test_command_sees_every_page(client: TestClient, facility: Store) -> None:
    sign_in(client, facility, UserRole.COMMAND)
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert "text/html" in answer.headers["content-type"]
    overview = client.get("/").text
    assert 'id="chart-curve"' in overview
    assert 'id="chart-data"' in overview
    assert "/static/plotly.min.js" in overview
    person = client.get("/people/p1").text
    assert "nanite PCR" in person
    assert 'id="hold-form"' in person


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (UserRole.OBSERVER, ["/"], ["/cases", "/people", "/people/p1", "/orders", "/audit"]),
        (UserRole.SECURITY, ["/", "/cases", "/people/p1", "/orders", "/alerts"], ["/audit"]),
    ],
)
def test_pages_follow_the_role(
    client: TestClient,
    facility: Store,
    role: UserRole,
    allowed: list[str],
    refused: list[str],
) -> None:
    sign_in(client, facility, role)
    for page in allowed:
        assert client.get(page).status_code == 200, page
    for page in refused:
        answer = client.get(page)
        assert answer.status_code == 403, page
        assert "Not allowed" in answer.text
    if role is UserRole.SECURITY:
        person = client.get("/people/p1").text
        assert "nanite PCR" not in person
        assert "confirmed" not in person
        assert 'id="case-clinical"' not in person
        assert 'id="transition-form"' not in person


def test_forms_need_the_csrf_token(client: TestClient, facility: Store) -> None:
    csrf = sign_in(client, facility, UserRole.SECURITY)

    def orders() -> int:
        with facility.session() as session:
            return int(session.scalar(select(func.count()).select_from(OrderRow)) or 0)

    form = {"kind": "egress_hold", "person": "v1", "reason": "contact", "back": "/people/v1"}
    assert client.post("/orders", data={**form, "csrf": "wrong"}).status_code == 403
    assert orders() == 0
    done = client.post("/orders", data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/people/v1"
    assert orders() == 1
    listed = client.get("/orders").text
    assert "egress hold" in listed
    assert "egress hold" in client.get("/orders?kind=&status=").text
    assert client.get("/orders?kind=bogus").status_code == 400
    assert "No order matches" in client.get("/orders?kind=moratorium&status=").text
    lift = client.post("/orders/1/lift", data={"reason": "cleared", "csrf": csrf})
    assert lift.status_code == 200
    assert "lifted" in client.get("/orders?status=lifted").text


def test_security_headers_on_every_response(client: TestClient, facility: Store) -> None:
    for path in ["/login", "/api/v1/health", "/static/app.js", "/nonexistent"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
        assert "unsafe-inline" not in script_src
        assert "unsafe-eval" not in script_src
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "max-age=" in headers["strict-transport-security"]


def test_no_inline_script_in_any_page(client: TestClient, facility: Store) -> None:
    sign_in(client, facility, UserRole.COMMAND)
    for page in ["/login", *PAGES]:
        html = client.get(page).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (page, tag)
        assert not re.search(r"<[^>]+\son\w+=", html), page


def test_plotly_is_served_locally(client: TestClient) -> None:
    answer = client.get("/static/plotly.min.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert len(answer.content) > 1_000_000


def test_exit_policies_page_sets_lifts_and_shows_versions(
    client: TestClient, facility: Store
) -> None:
    from cordon.store.models import ExitPolicyRow

    csrf = sign_in(client, facility, UserRole.COMMAND)
    page = client.get("/exit-policies")
    assert page.status_code == 200 and "No exit policy is in force" in page.text
    form = {"kind": "escort", "reason": "no escorts", "companion_roles": "crew", "csrf": csrf}
    assert client.post("/exit-policies", data={**form, "csrf": "wrong"}).status_code == 403
    assert client.post("/exit-policies", data=form, follow_redirects=False).status_code == 303
    assert client.post("/exit-policies", data={**form, "action": "hold"}).status_code == 200
    shown = client.get("/exit-policies").text
    assert "escort v2" in shown and "with visiting_crew" in shown and "superseded" in shown
    bad = client.post("/exit-policies", data={**form, "companion_roles": ""})
    assert bad.status_code == 422 and "companions" in bad.text
    lift = client.post("/exit-policies/escort/lift", data={"reason": "over", "csrf": csrf})
    assert lift.status_code == 200 and "No exit policy is in force" in lift.text
    with facility.session() as session:
        assert session.scalar(select(func.count()).select_from(ExitPolicyRow)) == 2
    held = client.post(
        "/orders",
        data={"kind": "egress_hold", "group": "role:performer", "reason": "all", "csrf": csrf},
    )
    assert held.status_code == 200 and "every performer" in held.text


def test_security_reads_exit_policies_but_may_not_set_them(
    client: TestClient, facility: Store
) -> None:
    csrf = sign_in(client, facility, UserRole.SECURITY)
    page = client.get("/exit-policies")
    assert page.status_code == 200 and 'id="policy-form"' not in page.text
    refused = client.post(
        "/exit-policies", data={"kind": "unknown_person", "reason": "x", "csrf": csrf}
    )
    assert refused.status_code == 403


def test_the_profile_page_compares_then_applies(client: TestClient, facility: Store) -> None:
    csrf = sign_in(client, facility, UserRole.COMMAND)
    assert "transmission." in client.get("/profile").text
    form = {"settings": "rules.quarantine_s=10d\nlatent_s=1d", "reason": "lab", "csrf": csrf}
    compared = client.post("/profile", data=form)
    assert compared.status_code == 200 and "Compared (nothing saved)" in compared.text
    assert "864000" in compared.text
    applied = client.post("/profile", data={**form, "apply": "yes"})
    assert applied.status_code == 200 and "Applied" in applied.text
    assert "lab" in client.get("/profile").text  # the version's reason
    bad = client.post("/profile", data={**form, "settings": "rules.nothing=1"})
    assert bad.status_code == 422 and "no such setting" in bad.text
