"""The HTTP service: ``create_app(settings)`` gives the FastAPI app (API under /api/v1 and the
web dashboard); ``create_front(settings)`` the doors' front that serves it (``cordon serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from cordon.api.app import API_PREFIX, create_app
from cordon.api.front import Front, create_front

__all__ = [
    "API_PREFIX",
    "app_from_environment",
    "create_app",
    "create_front",
    "front_from_environment",
]


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (uvicorn's factory for several workers)."""
    from cordon.config import get_settings

    return create_app(get_settings())


def front_from_environment() -> Front:
    """The doors' front (and the service behind it) for the settings in the environment."""
    from cordon.config import get_settings

    return create_front(get_settings())
