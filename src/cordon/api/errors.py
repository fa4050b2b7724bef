"""cordon's errors as HTTP answers: a status that says what went wrong and a message to act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError

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
    StoreError,
    StoreNotReady,
    StoreUnavailable,
    TooManyAttempts,
    TransitionError,
)

log = logging.getLogger(__name__)
STORE_UNAVAILABLE = "store unavailable"
"""All a caller learns of a store failure; where and why is in the service's log."""

__all__ = ["STATUS", "error_response", "install", "safe_errors", "status_of"]

STATUS: list[tuple[type[CordonError], int]] = [
    (NotAuthenticated, 401),
    (TooManyAttempts, 429),
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
    """The JSON answer for one of cordon's errors (a store failure says only "store
    unavailable": the database's host, name and error text go to the log)."""
    body: dict[str, object] = {"detail": str(exc)}
    if isinstance(exc, StoreError):
        log.warning("store failure: %s", exc)
        body = {"detail": STORE_UNAVAILABLE}
    if isinstance(exc, ImportRefused):
        body["errors"] = [str(e) for e in exc.errors[:200]]
        body["error_count"] = len(exc.errors)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=status, headers=headers)


async def _cordon_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CordonError)
    return error_response(exc)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "a value is out of range for the store"}, status_code=422)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "this record already exists or conflicts with one: nothing was written"},
        status_code=409,
    )


def safe_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Validation errors as field and reason only: the input is never echoed (it may be
    clinical, a password, megabytes long, or not encodable at all)."""
    return [
        {
            "loc": [str(part)[:64] for part in e.get("loc", ())],
            "msg": str(e.get("msg", ""))[:200],
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()[:50]
    ]


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": safe_errors(exc)}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(CordonError, _cordon_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(RequestValidationError, _invalid)
