"""The HTTP service: ``create_app(settings)`` gives the FastAPI app (API under /api/v1 and the
web dashboard)."""

from __future__ import annotations

from fastapi import FastAPI

from cordon.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "app_from_environment", "create_app"]


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (uvicorn's factory for several workers)."""
    from cordon.config import get_settings

    return create_app(get_settings())
