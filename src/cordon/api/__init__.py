"""The web service: ``create_app(settings)`` gives the FastAPI app (API under /api/v1 and the
web dashboard). Door decisions are served by the doors process (``cordon.doors``), jobs run in
the worker (``cordon.worker``); ``cordon serve`` starts all three (``cordon.serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from cordon.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "app_from_environment", "create_app", "doors_from_environment"]


def app_from_environment() -> FastAPI:
    """The web app for the settings in the environment (uvicorn's factory, ``--workers N``)."""
    from cordon.config import get_settings

    return create_app(get_settings())


def doors_from_environment() -> FastAPI:
    """The doors app for the settings in the environment (uvicorn's factory)."""
    from cordon.config import get_settings
    from cordon.doors.app import create_doors_app

    return create_doors_app(get_settings())
