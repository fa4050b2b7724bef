"""User accounts, browser sessions and API tokens: rows in and out (the rules are the service's)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cordon.domain.roles import Permission, UserRole
from cordon.errors import NotFound
from cordon.store.account_models import ApiTokenRow, UserRow, WebSessionRow

__all__ = [
    "TokenInfo",
    "UserInfo",
    "delete_sessions",
    "find_session",
    "find_token",
    "find_user",
    "get_user",
    "list_tokens",
    "list_users",
    "token_info",
    "user_info",
]


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as shown to people: never the password hash."""

    id: int
    name: str
    role: UserRole
    created_at: int
    disabled: bool
    last_login_at: int | None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as shown to people: never the secret or its digest."""

    id: int
    user: str
    name: str
    scopes: tuple[Permission, ...]
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    last_used_at: int | None


def user_info(row: UserRow) -> UserInfo:
    """The public view of a user row."""
    return UserInfo(
        row.pk,
        row.name,
        UserRole(row.role),
        row.created_at,
        row.disabled_at is not None,
        row.last_login_at,
    )


def token_info(row: ApiTokenRow, user: str) -> TokenInfo:
    """The public view of a token row."""
    return TokenInfo(
        row.pk,
        user,
        row.name,
        tuple(Permission(s) for s in row.scopes),
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


def find_user(session: Session, name: str) -> UserRow | None:
    """The user of that name, or None."""
    return session.scalar(select(UserRow).where(UserRow.name == name))


def get_user(session: Session, name: str) -> UserRow:
    """The user of that name, or NotFound."""
    row = find_user(session, name)
    if row is None:
        raise NotFound(f"no user {name!r} (see `cordon user list`)")
    return row


def list_users(session: Session) -> list[UserInfo]:
    """Every user by name."""
    return [user_info(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def find_session(session: Session, digest: str) -> tuple[WebSessionRow, UserRow] | None:
    """The browser session with this cookie digest and its user, or None."""
    found = session.execute(
        select(WebSessionRow, UserRow)
        .join(UserRow, WebSessionRow.user_pk == UserRow.pk)
        .where(WebSessionRow.digest == digest)
    ).first()
    return None if found is None else (found[0], found[1])


def delete_sessions(
    session: Session, *, digest: str | None = None, user_pk: int | None = None
) -> None:
    """Forget one browser session (by digest) or every session of a user."""
    query = delete(WebSessionRow)
    if digest is not None:
        query = query.where(WebSessionRow.digest == digest)
    if user_pk is not None:
        query = query.where(WebSessionRow.user_pk == user_pk)
    session.execute(query)


def find_token(session: Session, digest: str) -> tuple[ApiTokenRow, UserRow] | None:
    """The API token with this digest and its user, or None."""
    found = session.execute(
        select(ApiTokenRow, UserRow)
        .join(UserRow, ApiTokenRow.user_pk == UserRow.pk)
        .where(ApiTokenRow.digest == digest)
    ).first()
    return None if found is None else (found[0], found[1])


def list_tokens(session: Session, *, user_pk: int | None = None) -> list[TokenInfo]:
    """API tokens (of one user, or all) in creation order."""
    query = select(ApiTokenRow, UserRow.name).join(UserRow, ApiTokenRow.user_pk == UserRow.pk)
    if user_pk is not None:
        query = query.where(ApiTokenRow.user_pk == user_pk)
    return [token_info(t, n) for t, n in session.execute(query.order_by(ApiTokenRow.pk))]
