"""User accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, needs
from cordon.api.schemas import Moment, PageBase
from cordon.domain.roles import Permission, UserRole
from cordon.services import accounts

__all__ = ["router"]

router = APIRouter(tags=["accounts"])


class UserRead(BaseModel):
    """A user account (never its password hash)."""

    id: int
    name: str
    role: str
    created_at: Moment
    disabled: bool
    last_login_at: Moment | None


class UserPage(PageBase):
    """A page of users."""

    items: list[UserRead]


class UserCreate(BaseModel):
    """A new user; without a password it can only use API tokens (a door controller)."""

    name: str = Field(min_length=1, max_length=100)
    role: UserRole
    password: str | None = Field(default=None, max_length=1024)


class TokenRead(BaseModel):
    """An API token (never its secret)."""

    id: int
    user: str
    name: str
    scopes: list[str]
    created_at: Moment
    expires_at: Moment | None
    revoked_at: Moment | None
    last_used_at: Moment | None


class TokenPage(PageBase):
    """A page of API tokens."""

    items: list[TokenRead]


class TokenCreate(BaseModel):
    """A new API token, for oneself or (for a user manager) another user."""

    name: str = Field(min_length=1, max_length=100)
    user: str | None = Field(default=None, max_length=100)
    scopes: list[Permission] | None = None
    expires_at: int | None = Field(default=None, ge=0, le=10**11)


class TokenSecret(TokenRead):
    """A new token with its secret, shown this once."""

    secret: str


def _user(u: accounts.UserInfo) -> UserRead:
    return UserRead(
        id=u.id,
        name=u.name,
        role=u.role.value,
        created_at=u.created_at,
        disabled=u.disabled,
        last_login_at=u.last_login_at,
    )


def _token(t: accounts.TokenInfo) -> TokenRead:
    return TokenRead(
        id=t.id,
        user=t.user,
        name=t.name,
        scopes=[s.value for s in t.scopes],
        created_at=t.created_at,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
        last_used_at=t.last_used_at,
    )


@router.get("/users", response_model=UserPage, dependencies=[needs(Permission.MANAGE_USERS)])
def list_users(session: SessionDep, actor: ActorDep, page: PageDep) -> UserPage:
    """Every user account."""
    found = accounts.list_users(session, actor=actor)
    return UserPage(
        items=[_user(u) for u in found[page.offset : page.offset + page.limit]],
        total=len(found),
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs(Permission.MANAGE_USERS)],
)
def add_user(body: UserCreate, session: SessionDep, actor: ActorDep) -> UserRead:
    """Create a user (the password must meet the policy: 12+ characters besides blanks, no
    control characters, hard to guess by zxcvbn's estimate)."""
    return _user(
        accounts.add_user(session, body.name, role=body.role, password=body.password, actor=actor)
    )


@router.get("/tokens", response_model=TokenPage, dependencies=[needs()])
def list_tokens(
    session: SessionDep, actor: ActorDep, page: PageDep, everyone: bool = False
) -> TokenPage:
    """The signed-in user's API tokens (everyone's with ``everyone`` for a user manager)."""
    found = accounts.list_tokens(session, actor=actor, everyone=everyone)
    return TokenPage(
        items=[_token(t) for t in found[page.offset : page.offset + page.limit]],
        total=len(found),
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/tokens",
    response_model=TokenSecret,
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs()],
)
def create_token(body: TokenCreate, session: SessionDep, actor: ActorDep) -> TokenSecret:
    """A new API token limited to ``scopes`` (default: all of the user's role); the secret is in
    this answer only."""
    info, secret = accounts.create_token(
        session,
        actor=actor,
        name=body.name,
        user=body.user,
        scopes=frozenset(body.scopes) if body.scopes is not None else None,
        expires_at=body.expires_at,
    )
    return TokenSecret(**_token(info).model_dump(), secret=secret)


@router.delete("/tokens/{token_id}", response_model=TokenRead, dependencies=[needs()])
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31)],
    session: SessionDep,
    actor: ActorDep,
) -> TokenRead:
    """Revoke an API token at once: the answer comes once the doors have dropped it too."""
    return _token(accounts.revoke_token(session, token_id, actor=actor))
