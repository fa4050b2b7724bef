"""Settings read from the environment (prefix ``CORDON_``), built on demand and never at import."""

from __future__ import annotations

import getpass
import time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cordon.errors import ConfigError, InvalidValue
from cordon.times import parse_time

__all__ = ["Settings", "default_actor", "get_settings"]


def default_actor() -> str:
    """Who the audit log names for a command run from this shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


class Settings(BaseSettings):
    """Everything cordon reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CORDON_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./cordon.db",
        description="SQLAlchemy URL of the record store: a SQLite file or postgresql+psycopg://...",
    )
    timezone: str = Field(default="UTC", description="Station time zone for display and 'today'.")
    actor: str = Field(default_factory=default_actor, description="Name written to the audit log.")
    clock: str | None = Field(
        default=None,
        description="A fixed station time (ISO-8601 or epoch seconds) that 'now' means, for "
        "replaying recorded days such as the demo; default: the wall clock.",
    )
    missing_grace_seconds: int = Field(
        default=600,
        ge=0,
        le=86_400,
        description="The missing check waits for the presence feed: whereabouts are judged at the "
        "feed's latest record when it lags the clock, and a presence that ended this little "
        "before then still counts.",
    )
    decision_skew_seconds: int = Field(
        default=300,
        ge=1,
        le=10**10,
        description="A door decision asked for a time further than this from the station "
        "clock is refused (a replayed or forged request); a replay of recorded days sets it "
        "wide.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Presence and passage logs older than this are purged by `cordon purge`.",
    )
    public_url: str | None = Field(
        default=None,
        description="The dashboard's address as people reach it (e.g. https://cordon.example), "
        "put in front of the links that messages carry; default: the links' paths alone.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for e-mail notifications (none: e-mail waits)."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_from: str = Field(default="cordon@localhost", description="Sender of notifications.")
    smtp_user: str | None = Field(default=None, description="SMTP login, if the server asks.")
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP password (never logged, never shown)."
    )
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP link with STARTTLS.")
    notify_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="The longest one delivery attempt may take."
    )
    notify_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86_400,
        description="Wait before the first retry of a failed delivery; each further retry "
        "waits twice as long (with jitter), up to notify_retry_cap_seconds.",
    )
    notify_retry_cap_seconds: float = Field(
        default=3600.0, gt=0, le=7 * 86_400, description="The longest wait between two retries."
    )
    notify_max_attempts: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Delivery attempts before a notification is marked failed (with an alert).",
    )

    @field_validator("database_url")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        """A plain file path (``cordon.db``, ``/srv/cordon.db``) names a SQLite store."""
        text = value.strip()
        if text and "://" not in text:
            return f"sqlite:///{text}"
        return text

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'UTC')") from exc
        return value

    @field_validator("clock")
    @classmethod
    def _valid_clock(cls, value: str | None) -> str | None:
        if value:
            try:
                parse_time(value, ZoneInfo("UTC"))
            except InvalidValue:
                raise ConfigError(
                    f"CORDON_CLOCK (or --clock) {value!r} is not a time: write ISO-8601 like "
                    "2026-11-24T12:00:00Z, or epoch seconds, or leave it unset for the wall clock"
                ) from None
        return value or None

    def now(self) -> int:
        """Station time now: the fixed clock when one is set, else the wall clock."""
        if self.clock:
            return parse_time(self.clock, self.zone)
        return int(time.time())

    @property
    def zone(self) -> ZoneInfo:
        """The station time zone as a tzinfo."""
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process settings, read from the environment the first time they are asked for."""
    try:
        return Settings()
    except ValueError as exc:
        raise ConfigError(f"bad CORDON_ setting: {exc}") from exc
