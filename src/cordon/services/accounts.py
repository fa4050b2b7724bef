"""Accounts: users with Argon2 password hashes, browser sessions, scoped API tokens.

Sign-in is throttled per name and source with an exponential delay (``runtime.throttle``), the
same for names that exist and names that do not; every sign-in, sign-out and account change is
written to the audit log. Secrets leave this module once, when made.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from cordon.domain.roles import ROLE_PERMISSIONS, Actor, Permission, UserRole, require
from cordon.errors import (
    InvalidValue,
    NotAuthenticated,
    NotFound,
    PasswordChangeRequired,
    PermissionDenied,
)
from cordon.services.transaction import unit_of_work
from cordon.store import accounts, audit
from cordon.store.account_models import ApiTokenRow, UserRow, WebSessionRow
from cordon.store.accounts import TokenInfo, UserInfo

if TYPE_CHECKING:
    from cordon.runtime.throttle import SignInThrottle

__all__ = [
    "MIN_GUESSES_LOG10",
    "ONE_TIME",
    "SESSION_SECONDS",
    "SignIn",
    "TokenCheck",
    "TokenInfo",
    "UserInfo",
    "actor_for_digest",
    "actor_for_session",
    "actor_for_token",
    "add_user",
    "change_password",
    "check_digest",
    "check_password",
    "create_token",
    "csrf_matches",
    "disable_user",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "reset_password",
    "revoke_token",
    "session_expires_at",
    "set_password",
]

SESSION_SECONDS = 12 * 3600
"""How long a browser session lasts."""
LAST_USED_GRANULARITY = 300
"""A token's last use is written at most this often (seconds), to keep reads free of writes."""
TOKEN_PREFIX = "cordon_"  # noqa: S105 (a label, not a secret)
MIN_LENGTH = 12
"""Characters a password needs besides blanks."""
MIN_GUESSES_LOG10 = 10.0
"""A password must need at least 10^10 guesses by zxcvbn's estimate (its score 4: "strong
protection from an offline slow-hash attack"), against zxcvbn's lists of leaked passwords,
words and names and its patterns (sequences, keyboard walks, repeats, dates, l33t)."""
ZXCVBN_LENGTH = 72
"""zxcvbn refuses longer input; a longer password is judged by its first 72 characters."""
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
"""Unicode categories a password may not hold: control (NUL, tab, line breaks), invisible
format characters (zero-width space), surrogates, private-use and unassigned code points."""
HASHING_THREADS = 1
"""Password hashes computed at once, each on one core (``parallelism=1``) with 64 MiB: a burst
(or a flood) of sign-ins queues here and can take at most one core and 64 MiB from the doors."""
HASHING_NICENESS = 10
"""The hashing thread runs below the service's priority, so sign-ins use the CPU the doors leave
(on Linux a thread's nice value is its own)."""
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=1$LnD9wZiwL9vrskQJjkmE9Q$"
    "nOciVHgLUZgz/BZgntobWd31saZAv7AwyHjteE4t/lc"
)
"""What a refused name's password is checked against, so that a name with no user (or no
password) costs the same hash as a wrong password: made once with ``_HASHER``'s parameters
(a test checks they agree), kept as text so that importing this module computes no hash."""


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
    """Refuse a password that is short (blanks not counted), holds control or invisible
    characters, repeats itself, contains the user's name or is easy to guess (zxcvbn)."""
    if len(password) > 1024:
        raise InvalidValue("the password must have at most 1024 characters")
    if any(unicodedata.category(c) in REFUSED_CATEGORIES for c in password):
        raise InvalidValue(
            "the password must not contain control or invisible characters (NUL, tab, line "
            "breaks, zero-width spaces)"
        )
    if sum(not c.isspace() for c in password) < MIN_LENGTH:
        raise InvalidValue(
            f"the password must have at least {MIN_LENGTH} characters besides blanks"
        )
    if len(set(password)) < 5:
        raise InvalidValue("the password must use at least 5 different characters")
    if name and name.lower() in password.lower():
        raise InvalidValue("the password must not contain the user name")
    from zxcvbn import zxcvbn  # its word lists load on first use, not when cordon starts

    judged = zxcvbn(password[:ZXCVBN_LENGTH], user_inputs=[name, "cordon"])
    if float(judged["guesses_log10"]) < MIN_GUESSES_LOG10:
        warning = str(judged["feedback"]["warning"] or "").rstrip(".")
        why = f" ({warning.lower()})" if warning else ""
        raise InvalidValue(
            f"the password is too easy to guess{why}: it is close to a common or leaked "
            "password, a word, a name or a pattern; use a longer passphrase of uncommon words"
        )


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or not all(c.isalnum() or c in "-_.@" for c in name):
        raise InvalidValue(
            f"bad user name {name!r}: use 1-100 letters, digits and the characters - _ . @"
        )


ONE_TIME = "once$"
"""Prefix of a stored hash whose password is single-use: it signs no one in, it only lets its
holder choose a new password (``change_password``)."""


def _stored(password: str, *, one_time: bool) -> str:
    return (ONE_TIME if one_time else "") + _hash(password)


def add_user(
    session: Session,
    name: str,
    *,
    role: UserRole,
    password: str | None,
    actor: Actor,
    one_time: bool = False,
) -> UserInfo:
    """Create a user; without a password the user can only use API tokens (e.g. a door). A
    ``one_time`` password must be changed at the first sign-in."""
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
            password_hash=_stored(password, one_time=one_time) if password is not None else None,
            created_at=int(time.time()),
            failed_logins=0,  # unused: failures are counted by the sign-in throttle
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor.name,
            action="create",
            entity="user",
            entity_id=name,
            after={"role": role.value, "password": password is not None, "one_time": one_time},
        )
        return accounts.user_info(row)


def reset_password(session: Session, name: str, *, password: str, actor: Actor) -> None:
    """Give a user a new one-time password (to be changed at the next sign-in); ends their
    browser sessions."""
    require(actor, Permission.MANAGE_USERS)
    check_password(name, password)
    with unit_of_work(session):
        row = accounts.get_user(session, name)
        row.password_hash = _stored(password, one_time=True)
        accounts.delete_sessions(session, user_pk=row.pk)
        audit.record(
            session, actor=actor.name, action="password", entity="user", entity_id=name,
            after={"password": "one-time"},
        )  # fmt: skip


def choose_password(
    session: Session,
    name: str,
    old: str,
    new: str,
    *,
    source: str = "unknown",
    throttle: SignInThrottle | None = None,
) -> None:
    """The user chooses a new password without a session, proving the old one (a one-time
    password is spent this way); checked and throttled exactly as a sign-in."""
    check_password(name, new)
    if new == old:
        raise InvalidValue("choose a password different from the old one")
    if throttle is not None:
        throttle.check(name, source)
    with unit_of_work(session):
        row = _verified(session, name, old, source=source, throttle=throttle)
        row.password_hash = _hash(new)
        accounts.delete_sessions(session, user_pk=row.pk)
        audit.record(
            session, actor=name, action="password", entity="user", entity_id=name,
            after={"password": "changed"},
        )  # fmt: skip


def _matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one of ``stored`` (one-time or not); a missing hash costs
    the same as a wrong password (the dummy hash is checked)."""
    plain = stored.removeprefix(ONE_TIME) if stored else None
    try:
        return _verify(plain or DUMMY_HASH, password) and plain is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _verified(
    session: Session, name: str, password: str, *, source: str, throttle: SignInThrottle | None
) -> UserRow:
    """The user whose password this is, or NotAuthenticated with the one answer for every
    refusal (the failure audited and counted by the throttle)."""
    row = accounts.find_user(session, name)
    stored = row.password_hash if row is not None and row.disabled_at is None else None
    if not _matches(stored, password) or row is None:
        audit.record(
            session, actor=name[:100], action="login_failed", entity="user", entity_id=name
        )
        session.commit()
        if throttle is not None:
            throttle.failed(name, source)
        raise NotAuthenticated(WRONG)
    if throttle is not None:
        throttle.succeeded(name, source)
    return row


def set_password(session: Session, name: str, *, password: str, actor: Actor) -> None:
    """Give a user a new password and end their browser sessions."""
    if actor.name != name:
        require(actor, Permission.MANAGE_USERS)
    check_password(name, password)
    with unit_of_work(session):
        row = accounts.get_user(session, name)
        row.password_hash = _hash(password)
        accounts.delete_sessions(session, user_pk=row.pk)
        audit.record(session, actor=actor.name, action="password", entity="user", entity_id=name)


def change_password(
    session: Session,
    actor: Actor,
    *,
    current: str,
    new: str,
    source: str = "unknown",
    throttle: SignInThrottle | None = None,
) -> None:
    """A user's own new password, given the current one (checked, and throttled, as a sign-in
    is: a wrong one counts as a failed sign-in); ends all of the user's browser sessions."""
    check_password(actor.name, new)
    if throttle is not None:
        throttle.check(actor.name, source)
    with unit_of_work(session):
        row = accounts.get_user(session, actor.name)
        stored = row.password_hash if row.disabled_at is None else None
        if not _matches(stored, current):
            audit.record(
                session, actor=actor.name, action="password_failed", entity="user",
                entity_id=actor.name,
            )  # fmt: skip
            session.commit()
            if throttle is not None:
                throttle.failed(actor.name, source)
            raise PermissionDenied("the current password is wrong")
        row.password_hash = _hash(new)
        accounts.delete_sessions(session, user_pk=row.pk)
        audit.record(
            session, actor=actor.name, action="password", entity="user", entity_id=actor.name
        )


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


WRONG = "wrong user name or password"
"""The one answer to a refused sign-in: unknown name, wrong password, disabled or token-only
user alike."""


def login(
    session: Session,
    name: str,
    password: str,
    *,
    previous: str | None = None,
    source: str = "unknown",
    throttle: SignInThrottle | None = None,
    now: int | None = None,
) -> SignIn:
    """Check a user's password and open a new browser session (any previous one is dropped, so a
    session id planted before sign-in is never the one used after it).

    With ``throttle``, a name that failed too often from ``source`` (or too often at all, or a
    source that failed too often over all names) waits before any check (``TooManyAttempts``);
    a refused sign-in costs one password hash and one audit row whether the user exists or not.
    """
    at = _now(now)
    if throttle is not None:
        throttle.check(name, source)
    with unit_of_work(session):
        if previous:
            accounts.delete_sessions(session, digest=_digest(previous))
        row = _verified(session, name, password, source=source, throttle=throttle)
        if (row.password_hash or "").startswith(ONE_TIME):
            raise PasswordChangeRequired(
                "this is a one-time password: choose a new password to sign in"
            )
        if _HASHER.check_needs_rehash(row.password_hash or ""):
            row.password_hash = _hash(password)
        row.last_login_at = at
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


def session_expires_at(session: Session, token: str) -> int | None:
    """When a browser session ends (None: no such session)."""
    found = accounts.find_session(session, _digest(token))
    return None if found is None else found[0].expires_at


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


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """A valid API token: the actor it stands for and when it stops (None: never)."""

    actor: Actor
    expires_at: int | None

    def expired(self, now: float) -> bool:
        """Whether the token has expired at ``now`` (the wall clock, as every route judges)."""
        return self.expires_at is not None and self.expires_at <= now


def actor_for_token(session: Session, secret: str, *, now: int | None = None) -> Actor | None:
    """The actor an API token stands for (limited to its scopes), or None when it is not valid."""
    found = check_token(session, secret, now=now)
    return None if found is None else found.actor


def check_token(session: Session, secret: str, *, now: int | None = None) -> TokenCheck | None:
    """``actor_for_token`` with the token's expiry, for a cache that must refuse it the moment
    it expires."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return check_digest(session, _digest(secret), now=now)


def actor_for_digest(session: Session, digest: str, *, now: int | None = None) -> Actor | None:
    """``actor_for_token`` from the token's digest."""
    found = check_digest(session, digest, now=now)
    return None if found is None else found.actor


def check_digest(session: Session, digest: str, *, now: int | None = None) -> TokenCheck | None:
    """``check_token`` from the token's digest (a cache re-checks a token it holds no secret
    of)."""
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
    return TokenCheck(_actor(user, frozenset(Permission(s) for s in row.scopes)), row.expires_at)
