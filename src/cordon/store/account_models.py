"""The tables of user accounts: users, browser sessions and API tokens (migration 0003).

Secrets are never stored: passwords as Argon2 hashes, session ids and tokens as SHA-256 digests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cordon.store.models import Base

__all__ = ["ApiTokenRow", "UserRow", "WebSessionRow"]


class UserRow(Base):
    """A person or machine that signs in to the service, with one role."""

    __tablename__ = "app_user"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    disabled_at: Mapped[int | None] = mapped_column(BigInteger)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Unused since sign-in failures are counted by the throttle (``runtime.throttle``): a
    count per account revealed which accounts exist and let anyone lock one."""
    locked_until: Mapped[int | None] = mapped_column(BigInteger)
    """Unused (see ``failed_logins``); kept until a migration drops both."""
    last_login_at: Mapped[int | None] = mapped_column(BigInteger)


class WebSessionRow(Base):
    """A signed-in browser: the digest of its cookie, its CSRF token and when it expires."""

    __tablename__ = "web_session"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("app_user.pk"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)


class ApiTokenRow(Base):
    """A machine credential of one user, limited to some permissions, revocable."""

    __tablename__ = "api_token"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("app_user.pk"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)
