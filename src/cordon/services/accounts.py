"""Accounts: users with Argon2 password hashes, browser sessions, scoped API tokens.

Sign-in is throttled per user (a lock after repeated failures); every sign-in, sign-out and
account change is written to the audit log. Secrets leave this module once, when made.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from cordon.domain.roles import ROLE_PERMISSIONS, Actor, Permission, UserRole, require
from cordon.errors import InvalidValue, NotAuthenticated, NotFound
from cordon.services.transaction import unit_of_work
from cordon.store import accounts, audit
from cordon.store.account_models import ApiTokenRow, UserRow, WebSessionRow
from cordon.store.accounts import TokenInfo, UserInfo

__all__ = [
    "MAX_FAILURES",
    "SESSION_SECONDS",
    "SignIn",
    "TokenInfo",
    "UserInfo",
    "actor_for_digest",
    "actor_for_session",
    "actor_for_token",
    "add_user",
    "check_password",
    "create_token",
    "csrf_matches",
    "disable_user",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "revoke_token",
    "set_password",
]

MAX_FAILURES = 5
"""Failed sign-ins in a row after which the account is locked for ``LOCK_SECONDS``."""
LOCK_SECONDS = 15 * 60
SESSION_SECONDS = 12 * 3600
"""How long a browser session lasts."""
LAST_USED_GRANULARITY = 300
"""A token's last use is written at most this often (seconds), to keep reads free of writes."""
TOKEN_PREFIX = "cordon_"  # noqa: S105 (a label, not a secret)
COMMON = frozenset(
    {"password", "passw0rd", "123456789012", "qwertyuiop", "letmein", "iloveyou", "admin"}
)
HASHING_THREADS = 1
"""Password hashes computed at once, each on one core (``parallelism=1``) with 64 MiB: a burst
(or a flood) of sign-ins queues here and can take at most one core and 64 MiB from the doors."""
HASHING_NICENESS = 10
"""The hashing thread runs below the service's priority, so sign-ins use the CPU the doors leave
(on Linux a thread's nice value is its own)."""
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)


@functools.cache
def _dummy() -> str:
    """A hash to verify against for unknown users (same cost), computed on first use, not import."""
    return _HASHER.hash("not a real password, only for timing")


def _lower_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(HASHING_NICENESS)


_HASHING = ThreadPoolExecutor(
    HASHING_THREADS, thread_name_prefix="cordon-hash", initializer=_lower_priority
)


def _hash(password: str) -> str:
    return _HASHING.submit(_HASHER.hash, password).result()


def _verify(stored: str, password: str) -> bool:
    return _HASHING.submit(_HASHER.verify, stored, password).result()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def check_password(name: str, password: str) -> None:
    """Refuse a password that is short, repetitive, common or contains the user's name."""
    if len(password) < 12:
        raise InvalidValue("the password must have at least 12 characters")
    if len(password) > 1024:
        raise InvalidValue("the password must have at most 1024 characters")
    if len(set(password)) < 5:
        raise InvalidValue("the password must use at least 5 different characters")
    lowered = password.lower()
    if name and name.lower() in lowered:
        raise InvalidValue("the password must not contain the user name")
    if any(word in lowered for word in COMMON):
        raise InvalidValue("the password contains a common word or sequence; choose another")


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or not all(c.isalnum() or c in "-_.@" for c in name):
        raise InvalidValue(
            f"bad user name {name!r}: use 1-100 letters, digits and the characters - _ . @"
        )


def add_user(
    session: Session, name: str, *, role: UserRole, password: str | None, actor: Actor
) -> UserInfo:
    """Create a user; without a password the user can only use API tokens (e.g. a door)."""
    require(actor, Permission.MANAGE_USERS)
    _check_name(name)
    if password is not None:
        check_password(name, password)
    with unit_of_work(session):
        if accounts.find_user(session, name) is not None:
            raise InvalidValue(f"a user named {name!r} exists already")
        row = UserRow(
            name=name,
            role=role.value,
            password_hash=_hash(password) if password is not None else None,
            created_at=int(time.time()),
            failed_logins=0,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor.name,
            action="create",
            entity="user",
            entity_id=name,
            after={"role": role.value, "password": password is not None},
        )
        return accounts.user_info(row)


def set_password(session: Session, name: str, *, password: str, actor: Actor) -> None:
    """Give a user a new password, unlock them and end their browser sessions."""
    if actor.name != name:
        require(actor, Permission.MANAGE_USERS)
    check_password(name, password)
    with unit_of_work(session):
        row = accounts.get_user(session, name)
        row.password_hash = _hash(password)
        row.failed_logins, row.locked_until = 0, None
        accounts.delete_sessions(session, user_pk=row.pk)
        audit.record(session, actor=actor.name, action="password", entity="user", entity_id=name)


def disable_user(session: Session, name: str, *, actor: Actor) -> UserInfo:
    """Stop a user at once: no sign-in, their sessions ended, their API tokens refused."""
    require(actor, Permission.MANAGE_USERS)
    with unit_of_work(session):
        row = accounts.get_user(session, name)
        if row.disabled_at is None:
            row.disabled_at = int(time.time())
            accounts.delete_sessions(session, user_pk=row.pk)
            audit.record(session, actor=actor.name, action="disable", entity="user", entity_id=name)
        return accounts.user_info(row)


def list_users(session: Session, *, actor: Actor) -> list[UserInfo]:
    """Every user account."""
    require(actor, Permission.MANAGE_USERS)
    return accounts.list_users(session)


def _actor(user: UserRow, scopes: frozenset[Permission] | None = None) -> Actor:
    return Actor(user.name, UserRole(user.role), scopes)


@dataclass(frozen=True, slots=True)
class SignIn:
    """A new browser session: the cookie value and the CSRF token (both shown once)."""

    session_token: str
    csrf: str
    actor: Actor
    expires_at: int


def _refuse(session: Session, row: UserRow | None, name: str, now: int) -> None:
    """Count a failed sign-in (locking the account after too many) and audit it."""
    if row is not None:
        row.failed_logins += 1
        if row.failed_logins >= MAX_FAILURES:
            row.locked_until = now + LOCK_SECONDS
            row.failed_logins = 0
    audit.record(session, actor=name[:100], action="login_failed", entity="user", entity_id=name)


def login(
    session: Session,
    name: str,
    password: str,
    *,
    previous: str | None = None,
    now: int | None = None,
) -> SignIn:
    """Check a user's password and open a new browser session (any previous one is dropped, so a
    session id planted before sign-in is never the one used after it)."""
    at = _now(now)
    with unit_of_work(session):
        if previous:
            accounts.delete_sessions(session, digest=_digest(previous))
        row = accounts.find_user(session, name)
        if row is not None and row.locked_until is not None and row.locked_until > at:
            minutes = (row.locked_until - at + 59) // 60
            raise NotAuthenticated(
                f"too many failed sign-ins: the account is locked for {minutes} more minute(s)"
            )
        stored = row.password_hash if row is not None and row.disabled_at is None else None
        try:
            ok = _verify(stored or _dummy(), password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            _refuse(session, row, name, at)
            session.commit()
            raise NotAuthenticated("wrong user name or password")
        if _HASHER.check_needs_rehash(row.password_hash or ""):
            row.password_hash = _hash(password)
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, at
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session.add(
            WebSessionRow(
                digest=_digest(token),
                user_pk=row.pk,
                csrf=csrf,
                created_at=at,
                expires_at=at + SESSION_SECONDS,
            )
        )
        audit.record(session, actor=row.name, action="login", entity="user", entity_id=row.name)
        return SignIn(token, csrf, _actor(row), at + SESSION_SECONDS)


def actor_for_session(
    session: Session, token: str, *, now: int | None = None
) -> tuple[Actor, str] | None:
    """The actor and CSRF token of a live browser session, or None."""
    found = accounts.find_session(session, _digest(token))
    if found is None:
        return None
    row, user = found
    if row.expires_at <= _now(now) or user.disabled_at is not None:
        return None
    return _actor(user), row.csrf


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def logout(session: Session, token: str) -> None:
    """End a browser session."""
    with unit_of_work(session):
        found = accounts.find_session(session, _digest(token))
        if found is None:
            return
        accounts.delete_sessions(session, digest=_digest(token))
        name = found[1].name
        audit.record(session, actor=name, action="logout", entity="user", entity_id=name)


def create_token(
    session: Session,
    *,
    actor: Actor,
    name: str,
    user: str | None = None,
    scopes: frozenset[Permission] | None = None,
    expires_at: int | None = None,
) -> tuple[TokenInfo, str]:
    """A new API token for ``user`` (default: the actor), limited to ``scopes`` (default: all of
    the user's role); returns its description and the secret, which is never shown again."""
    owner_name = user or actor.name
    if owner_name != actor.name:
        require(actor, Permission.MANAGE_USERS)
    with unit_of_work(session):
        owner = accounts.get_user(session, owner_name)
        allowed = ROLE_PERMISSIONS[UserRole(owner.role)]
        wanted = allowed if scopes is None else scopes
        if not wanted <= allowed:
            extra = ", ".join(sorted(p.value for p in wanted - allowed))
            raise InvalidValue(f"{owner.name} ({owner.role}) cannot hold the scopes: {extra}")
        if actor.scopes is not None and not wanted <= actor.scopes:
            raise InvalidValue("a token cannot make a token with more scopes than its own")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiTokenRow(
            user_pk=owner.pk,
            name=name[:100],
            digest=_digest(secret),
            scopes=sorted(p.value for p in wanted),
            created_at=int(time.time()),
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor.name,
            action="create",
            entity="api_token",
            entity_id=row.pk,
            after={"user": owner.name, "name": row.name, "scopes": row.scopes},
        )
        return accounts.token_info(row, owner.name), secret


def list_tokens(session: Session, *, actor: Actor, everyone: bool = False) -> list[TokenInfo]:
    """The actor's API tokens, or everyone's for a user manager."""
    if everyone:
        require(actor, Permission.MANAGE_USERS)
        return accounts.list_tokens(session)
    own = accounts.find_user(session, actor.name)
    return [] if own is None else accounts.list_tokens(session, user_pk=own.pk)


def revoke_token(session: Session, token_id: int, *, actor: Actor) -> TokenInfo:
    """Revoke an API token at once (one's own, or anyone's for a user manager)."""
    with unit_of_work(session):
        row = session.get(ApiTokenRow, token_id)
        owner = session.get(UserRow, row.user_pk) if row is not None else None
        if row is None or owner is None:
            raise NotFound(f"no API token {token_id}")
        if owner.name != actor.name:
            require(actor, Permission.MANAGE_USERS)
        if row.revoked_at is None:
            row.revoked_at = int(time.time())
            audit.record(
                session, actor=actor.name, action="revoke", entity="api_token", entity_id=row.pk
            )
        return accounts.token_info(row, owner.name)


def actor_for_token(session: Session, secret: str, *, now: int | None = None) -> Actor | None:
    """The actor an API token stands for (limited to its scopes), or None when it is not valid."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return actor_for_digest(session, _digest(secret), now=now)


def actor_for_digest(session: Session, digest: str, *, now: int | None = None) -> Actor | None:
    """``actor_for_token`` from the token's digest (a cache re-checks a token it holds no
    secret of)."""
    found = accounts.find_token(session, digest)
    if found is None:
        return None
    row, user = found
    at = _now(now)
    if row.revoked_at is not None or user.disabled_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= at:
        return None
    if row.last_used_at is None or at - row.last_used_at >= LAST_USED_GRANULARITY:
        row.last_used_at = at
        session.commit()
    return _actor(user, frozenset(Permission(s) for s in row.scopes))
