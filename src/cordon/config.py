"""Settings read from the environment (prefix ``CORDON_``), built on demand and never at import."""

from __future__ import annotations

import getpass
import time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cordon.errors import ConfigError
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
        le=86_400,
        description="A door decision asked for a time further than this from the station "
        "clock is refused (a replayed or forged request).",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Presence and passage logs older than this are purged by `cordon purge`.",
    )

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
            parse_time(value, ZoneInfo("UTC"))
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
