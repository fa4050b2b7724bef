"""cordon's errors as HTTP answers: a status that says what went wrong and a message to act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from cordon.errors import (
    ConfigError,
    Conflict,
    CordonError,
    ImportRefused,
    InvalidForm,
    InvalidValue,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    StoreNotReady,
    StoreUnavailable,
    TransitionError,
)

__all__ = ["STATUS", "error_response", "install", "status_of"]

STATUS: list[tuple[type[CordonError], int]] = [
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (TransitionError, 409),
    (Conflict, 409),
    (InvalidForm, 400),
    (ImportRefused, 422),
    (InvalidValue, 422),
    (StoreNotReady, 503),
    (StoreUnavailable, 503),
    (ConfigError, 500),
]


def status_of(exc: CordonError) -> int:
    """The HTTP status for one of cordon's errors."""
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def error_response(exc: CordonError) -> JSONResponse:
    """The JSON answer for one of cordon's errors."""
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, ImportRefused):
        body["errors"] = [str(e) for e in exc.errors[:200]]
        body["error_count"] = len(exc.errors)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def _cordon_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CordonError)
    return error_response(exc)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "a value is out of range for the store"}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(CordonError, _cordon_error)
    app.add_exception_handler(DataError, _data_error)
