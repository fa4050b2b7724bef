"""Signing in and out of the browser session, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from cordon.api.deps import (
    COOKIE,
    ActorDep,
    SessionDep,
    SettingsDep,
    ThrottleDep,
    needs,
    source_of,
)
from cordon.api.schemas import Message
from cordon.domain.roles import ROLE_PERMISSIONS, Actor
from cordon.services import accounts

__all__ = ["router", "set_session_cookie"]

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginCreate(BaseModel):
    """A user name and password."""

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    """The current password and the new one (12+ characters besides blanks, hard to guess)."""

    current: str = Field(min_length=1, max_length=1024)
    new: str = Field(min_length=1, max_length=1024)


class MeRead(BaseModel):
    """The signed-in user, their role and what it allows."""

    name: str
    role: str
    permissions: list[str]
    csrf_token: str | None = None


def me_read(actor: Actor, csrf: str | None = None) -> MeRead:
    """The answer for ``actor``."""
    held = sorted(p.value for p in ROLE_PERMISSIONS[actor.role] if actor.can(p))
    return MeRead(name=actor.name, role=actor.role.value, permissions=held, csrf_token=csrf)


def set_session_cookie(
    response: Response, token: str, *, secure: bool, max_age: int = accounts.SESSION_SECONDS
) -> None:
    """Put the session cookie on a response: HttpOnly, SameSite=Strict, Secure unless disabled."""
    response.set_cookie(
        COOKIE, token, max_age=max_age, httponly=True, secure=secure, samesite="strict", path="/"
    )


@router.post(
    "/login",
    response_model=MeRead,
    responses={429: {"model": Message, "description": "Sign-in paused (see Retry-After)."}},
)
def login(
    body: LoginCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    cfg: SettingsDep,
    throttle: ThrottleDep,
) -> MeRead:
    """Sign in; sets the session cookie and returns the CSRF token to send on every write.
    Repeated failures for a name from one address pause its sign-in with a growing delay (429,
    ``Retry-After``), the same whether or not the name exists."""
    signed = accounts.login(
        session,
        body.name,
        body.password,
        previous=request.cookies.get(COOKIE),
        source=source_of(request),
        throttle=throttle,
    )
    set_session_cookie(response, signed.session_token, secure=cfg.cookie_secure)
    return me_read(signed.actor, signed.csrf)


@router.post(
    "/password",
    response_model=Message,
    dependencies=[needs()],
    responses={429: {"model": Message, "description": "Too many wrong passwords (Retry-After)."}},
)
def change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    throttle: ThrottleDep,
) -> Message:
    """Change one's own password; every browser session of the user ends (sign in again)."""
    accounts.change_password(
        session,
        actor,
        current=body.current,
        new=body.new,
        source=source_of(request),
        throttle=throttle,
    )
    response.delete_cookie(COOKIE, path="/")
    return Message(detail="password changed: sign in again")


class FirstPassword(BaseModel):
    """A user's own new password, proven by the one-time (or current) one."""

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post(
    "/first-password",
    response_model=MeRead,
    responses={429: {"model": Message, "description": "Sign-in paused (see Retry-After)."}},
)
def choose_password(
    body: FirstPassword,
    request: Request,
    response: Response,
    session: SessionDep,
    cfg: SettingsDep,
    throttle: ThrottleDep,
) -> MeRead:
    """Choose a new password without a session (a one-time password signs no one in until it
    is changed this way), throttled as a sign-in, and sign in with it."""
    source = source_of(request)
    accounts.choose_password(
        session, body.name, body.password, body.new_password, source=source, throttle=throttle
    )
    signed = accounts.login(
        session,
        body.name,
        body.new_password,
        previous=request.cookies.get(COOKIE),
        source=source,
        throttle=throttle,
    )
    set_session_cookie(response, signed.session_token, secure=cfg.cookie_secure)
    return me_read(signed.actor, signed.csrf)


@router.post("/logout", response_model=Message, dependencies=[needs()])
def logout(request: Request, response: Response, session: SessionDep) -> Message:
    """End the browser session."""
    cookie = request.cookies.get(COOKIE)
    if cookie:
        accounts.logout(session, cookie)
    response.delete_cookie(COOKIE, path="/")
    return Message(detail="signed out")


@router.get("/me", response_model=MeRead, dependencies=[needs()])
def me(actor: ActorDep) -> MeRead:
    """The signed-in user and their permissions."""
    return me_read(actor)
