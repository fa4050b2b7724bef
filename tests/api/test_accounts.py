"""Accounts: Argon2 hashes, password policy, throttled sign-in, sessions without fixation,
CSRF on every cookie-authenticated write, scoped and revocable API tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cordon.domain.roles import Actor, Permission, UserRole
from cordon.errors import InvalidValue, NotAuthenticated
from cordon.services import accounts
from cordon.store.account_models import ApiTokenRow, UserRow, WebSessionRow
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT, bearer


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite only: sign-in on PostgreSQL is covered by the role matrix's browser-session test."""
    return sqlite_url


@pytest.fixture
def medic(facility: Store) -> str:
    """A medical user with a password."""
    with facility.session() as session:
        accounts.add_user(session, "drlee", role=UserRole.MEDICAL, password=PASSWORD, actor=ROOT)
    return "drlee"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "at least 12"),
        ("aaaaaaaaaaaaaaaa", "5 different"),
        ("my drlee password!", "user name"),
        ("Password-Is-Strong", "common"),
        ("x" * 1025, "at most"),
    ],
)
def test_password_policy(password: str, why: str) -> None:
    with pytest.raises(InvalidValue, match=why):
        accounts.check_password("drlee", password)


def test_passwords_are_argon2_hashes_and_tokens_are_digests(
    facility: Store, medic: str, tokens: dict[UserRole, str]
) -> None:
    with facility.session() as session:
        user = session.scalar(select(UserRow).where(UserRow.name == medic))
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        digests = set(session.scalars(select(ApiTokenRow.digest)))
    assert not digests & set(tokens.values())
    assert all(len(d) == 64 for d in digests)


def test_sign_in_sets_a_hardened_cookie_and_rotates_the_session(
    client: TestClient, medic: str, facility: Store
) -> None:
    answer = client.post("/api/v1/auth/login", json={"name": medic, "password": PASSWORD})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag in cookie
    first = client.cookies.get("cordon_session")
    assert first and len(first) >= 40
    again = client.post("/api/v1/auth/login", json={"name": medic, "password": PASSWORD})
    assert again.status_code == 200
    second = client.cookies.get("cordon_session")
    assert second != first
    with facility.session() as session:
        assert len(list(session.scalars(select(WebSessionRow)))) == 1
    client.cookies.clear()
    client.cookies.set("cordon_session", first)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_planted_session_id_is_never_adopted(facility: Store, medic: str) -> None:
    with facility.session() as session:
        signed = accounts.login(session, medic, PASSWORD, previous="planted-by-an-attacker")
        assert signed.session_token != "planted-by-an-attacker"
        assert accounts.actor_for_session(session, "planted-by-an-attacker") is None
        assert accounts.actor_for_session(session, signed.session_token) is not None


def test_cookie_writes_need_the_csrf_token(client: TestClient, medic: str) -> None:
    signed = client.post("/api/v1/auth/login", json={"name": medic, "password": PASSWORD}).json()
    body = {"a": "p2", "b": "v1", "start": 1, "end": 2}
    assert client.post("/api/v1/exposures", json=body).status_code == 403
    wrong = client.post("/api/v1/exposures", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    right = client.post(
        "/api/v1/exposures", json=body, headers={"X-CSRF-Token": signed["csrf_token"]}
    )
    assert right.status_code == 201
    assert client.get("/api/v1/exposures").status_code == 200


def test_logout_ends_the_session(client: TestClient, medic: str) -> None:
    signed = client.post("/api/v1/auth/login", json={"name": medic, "password": PASSWORD}).json()
    cookie = client.cookies.get("cordon_session")
    out = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": signed["csrf_token"]})
    assert out.status_code == 200
    client.cookies.clear()
    client.cookies.set("cordon_session", str(cookie))
    assert client.get("/api/v1/auth/me").status_code == 401


def test_repeated_failures_lock_the_account(facility: Store, medic: str) -> None:
    with facility.session() as session:
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(NotAuthenticated, match="wrong user name or password"):
                accounts.login(session, medic, "not the password at all", now=1000)
        with pytest.raises(NotAuthenticated, match="locked"):
            accounts.login(session, medic, PASSWORD, now=1001)
        assert accounts.login(session, medic, PASSWORD, now=1000 + 16 * 60).actor.name == medic


def test_unknown_user_and_wrong_password_answer_alike(client: TestClient, medic: str) -> None:
    unknown = client.post("/api/v1/auth/login", json={"name": "ghost", "password": PASSWORD})
    wrong = client.post("/api/v1/auth/login", json={"name": medic, "password": "nope nope nope"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_token_scopes_limit_the_role(facility: Store, client: TestClient) -> None:
    with facility.session() as session:
        accounts.add_user(session, "nurse", role=UserRole.MEDICAL, password=None, actor=ROOT)
        _info, secret = accounts.create_token(
            session,
            actor=ROOT,
            name="reader",
            user="nurse",
            scopes=frozenset({Permission.READ_PEOPLE}),
        )
        with pytest.raises(InvalidValue, match="cannot hold"):
            accounts.create_token(
                session,
                actor=ROOT,
                name="too much",
                user="nurse",
                scopes=frozenset({Permission.MANAGE_USERS}),
            )
    assert client.get("/api/v1/people", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/exposures", headers=bearer(secret)).status_code == 403


def test_only_a_user_manager_makes_tokens_for_others(facility: Store) -> None:
    with facility.session() as session:
        accounts.add_user(session, "guard", role=UserRole.SECURITY, password=None, actor=ROOT)
        with pytest.raises(Exception, match="manage users"):
            accounts.create_token(
                session, actor=Actor("guard", UserRole.SECURITY), name="x", user="test"
            )


def test_duplicate_and_bad_user_names_are_refused(facility: Store) -> None:
    with facility.session() as session:
        accounts.add_user(session, "ops", role=UserRole.OBSERVER, password=None, actor=ROOT)
        with pytest.raises(InvalidValue, match="exists"):
            accounts.add_user(session, "ops", role=UserRole.OBSERVER, password=None, actor=ROOT)
        with pytest.raises(InvalidValue, match="bad user name"):
            accounts.add_user(session, "a b", role=UserRole.OBSERVER, password=None, actor=ROOT)


def test_a_disabled_user_is_stopped_at_once(
    client: TestClient, facility: Store, tokens: dict[UserRole, str]
) -> None:
    assert (
        client.get("/api/v1/auth/me", headers=bearer(tokens[UserRole.MEDICAL])).status_code == 200
    )
    with facility.session() as session:
        accounts.disable_user(session, "medical", actor=ROOT)
    assert (
        client.get("/api/v1/auth/me", headers=bearer(tokens[UserRole.MEDICAL])).status_code == 401
    )


def test_token_use_is_recorded(
    client: TestClient, facility: Store, tokens: dict[UserRole, str]
) -> None:
    client.get("/api/v1/auth/me", headers=bearer(tokens[UserRole.DOOR]))
    with facility.session() as session:
        used = accounts.list_tokens(session, actor=Actor("door", UserRole.DOOR))
    assert used[0].last_used_at is not None
