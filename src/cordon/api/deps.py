"""What route handlers ask for: the store session, the acting user, paging, permissions.

Dependencies without I/O are ``async`` so FastAPI runs them on the event loop instead of handing
each one to the thread pool (it matters on the door-decision path).

``SessionDep`` and ``ActorDep`` go in a handler's signature; ``needs(P.X)`` in its route's
``dependencies`` declares (and checks early) the permission the route needs. The services check
again: the route check only makes a forbidden call fail before anything is parsed or read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from cordon.api.settings import ServiceSettings
from cordon.domain.roles import WORDS, Actor, Permission
from cordon.errors import NotAuthenticated, PermissionDenied
from cordon.runtime.jobs import Jobs
from cordon.runtime.throttle import SignInThrottle
from cordon.services import accounts
from cordon.store.db import Store

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "ActorDep",
    "JobsDep",
    "Needs",
    "PageDep",
    "Paging",
    "SessionDep",
    "SettingsDep",
    "StoreDep",
    "ThrottleDep",
    "credential_expiry",
    "needs",
    "source_of",
]

COOKIE = "cordon_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_store(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> ServiceSettings:
    """The app's settings."""
    settings: ServiceSettings = request.app.state.settings
    return settings


async def get_jobs(request: Request) -> Jobs:
    """The jobs of the app's store (kept in the store, queued for the worker)."""
    jobs: Jobs = request.app.state.runtime.jobs
    return jobs


async def get_throttle(request: Request) -> SignInThrottle:
    """The app's sign-in throttle."""
    throttle: SignInThrottle = request.app.state.sign_ins
    return throttle


def source_of(request: Request) -> str:
    """Where a request comes from, as the sign-in throttle counts it: the peer address (behind a
    proxy, the address it forwards, as uvicorn's ``--proxy-headers`` sets it)."""
    return request.client.host if request.client is not None else "unknown"


StoreDep = Annotated[Store, Depends(get_store)]
ThrottleDep = Annotated[SignInThrottle, Depends(get_throttle)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]


def get_session(store: StoreDep) -> Iterator[Session]:
    """A session for one request, closed afterwards (services commit their own writes)."""
    with store.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def authenticate(request: Request, session: Session) -> tuple[Actor, str | None]:
    """The actor behind a request (API token or browser session) and the session's CSRF token."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        actor = accounts.actor_for_token(session, secret.strip())
        if scheme.lower() != "bearer" or actor is None:
            raise NotAuthenticated("the API token is unknown, revoked or expired")
        return actor, None
    cookie = request.cookies.get(COOKIE)
    if cookie:
        found = accounts.actor_for_session(session, cookie)
        if found is not None:
            return found
    raise NotAuthenticated("sign in first, or send an API token as 'Authorization: Bearer ...'")


def credential_expiry(request: Request, session: Session) -> int | None:
    """When the request's API token or browser session stops being valid (None: never), for
    an answer that lasts (the alert stream ends then)."""
    header = request.headers.get("authorization")
    if header:
        found = accounts.check_token(session, header.partition(" ")[2].strip())
        return 0 if found is None else found.expires_at
    cookie = request.cookies.get(COOKIE)
    return accounts.session_expires_at(session, cookie) if cookie else 0


def current_actor(request: Request, session: SessionDep) -> Actor:
    """The signed-in actor; a browser session must send its CSRF token on every write."""
    actor, csrf = authenticate(request, session)
    if (
        csrf is not None
        and request.method not in SAFE_METHODS
        and not accounts.csrf_matches(csrf, request.headers.get(CSRF_HEADER))
    ):
        raise PermissionDenied(f"missing or wrong {CSRF_HEADER} header for this session")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


class Needs:
    """A route's permission: all of ``permissions``, or any one of them with ``any_of``."""

    def __init__(self, *permissions: Permission, any_of: bool = False) -> None:
        self.permissions = frozenset(permissions)
        self.any_of = any_of

    def allows(self, actor: Actor) -> bool:
        """Whether the actor passes this check."""
        if not self.permissions:
            return True
        held = [actor.can(p) for p in self.permissions]
        return any(held) if self.any_of else all(held)

    async def __call__(self, actor: ActorDep) -> Actor:
        if not self.allows(actor):
            wanted = (" or " if self.any_of else " and ").join(
                sorted(WORDS[p] for p in self.permissions)
            )
            raise PermissionDenied(f"{actor.name} (role {actor.role.value}) may not {wanted}")
        return actor


def needs(*permissions: Permission, any_of: bool = False) -> Any:
    """The dependency declaring a route's permission (none: any signed-in user)."""
    return Depends(Needs(*permissions, any_of=any_of))


@dataclass(frozen=True)
class Paging:
    """``limit`` and ``offset`` query parameters of every list."""

    limit: int
    offset: int


async def paging(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")] = 0,
) -> Paging:
    """The paging parameters."""
    return Paging(limit, offset)


PageDep = Annotated[Paging, Depends(paging)]
