"""Settings of the HTTP service, on top of the store settings (same ``CORDON_`` prefix)."""

from __future__ import annotations

from pydantic import Field

from cordon.config import Settings

__all__ = ["ServiceSettings", "service_settings"]


class ServiceSettings(Settings):
    """What the service reads from its environment besides the store settings."""

    cookie_secure: bool = Field(
        default=True,
        description="Mark the session cookie Secure (browsers still send it to http://localhost).",
    )
    hsts: bool = Field(
        default=False, description="Send Strict-Transport-Security (set when served over https)."
    )
    sync_import_bytes: int = Field(
        default=1 << 20,
        ge=0,
        description="Uploads up to this size import before the response; larger ones in the "
        "background as a job.",
    )
    request_threads: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Threads that run requests' blocking work (pages, most API routes). Few: "
        "they share one interpreter with the event loop answering the doors, and ten busy "
        "pages at once made door decisions wait hundreds of milliseconds for it.",
    )
    doors_url: str | None = Field(
        default=None,
        description="URL of the doors process (e.g. http://127.0.0.1:8001): after each write the "
        "web process waits until the doors have loaded it (`cordon serve` sets it).",
    )
    door_sync_seconds: float = Field(
        default=5.0, gt=0, le=60, description="The longest a write waits for the doors."
    )
    queue_url: str | None = Field(
        default=None,
        description="Where jobs queue: default a SQLite file beside a SQLite store, the database "
        "itself for PostgreSQL; `redis://...` for Redis; `immediate` runs jobs in the caller.",
    )
    spool_dir: str | None = Field(
        default=None,
        description="Folder for uploads waiting for the worker (shared by web and worker hosts); "
        "default: the system's temporary folder.",
    )
    max_json_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="Largest JSON request body; larger ones answer 413 before they are parsed.",
    )
    max_form_bytes: int = Field(
        default=64 << 10, ge=1024, description="Largest dashboard form body (413 beyond)."
    )
    max_upload_bytes: int = Field(
        default=256 << 20,
        ge=1024,
        description="Largest file upload: room for a presence file of 10^6 rows (about 60 "
        "bytes a row as CSV, with long ids) and the multipart framing; 413 beyond.",
    )
    rate_limit_url: str | None = Field(
        default=None,
        description="Where failed sign-ins are counted for the sign-in throttle: `memory://` "
        "(each web process counts its own) or `redis://...` (shared by every process and host); "
        "default: the queue's URL when it is redis://, else memory.",
    )
    alert_poll_seconds: float = Field(
        default=0.5, gt=0, description="How often the live alert stream looks for new alerts."
    )


def service_settings(settings: Settings) -> ServiceSettings:
    """The service settings for ``settings`` (kept as they are when they already are)."""
    if isinstance(settings, ServiceSettings):
        return settings
    return ServiceSettings(**settings.model_dump())
