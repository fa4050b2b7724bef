"""The exceptions cordon raises on purpose, all under one root.

::

    CordonError                 anything cordon refuses or cannot do, said so a person can act
    ├── ConfigError             a setting or environment value is unusable
    ├── StoreError              the record store cannot do what was asked
    │   ├── StoreNotReady       the store is missing or its schema is not current: run `cordon init`
    │   └── StoreUnavailable    the database cannot be reached
    ├── NotFound                an id names nothing in the store
    ├── InvalidValue            one value is unusable (a time, a duration, an option)
    │   └── InvalidForm         ... in a dashboard form (answered 400 on the form)
    ├── ImportRefused           a file has bad rows; carries every one of them
    ├── Conflict                the record already exists (a unique key); nothing was written
    ├── TransitionError         a case or order change that the rules forbid
    ├── PermissionDenied        the acting user's role does not allow this
    ├── NotAuthenticated        no valid login, session or API token came with the request
    ├── TooManyAttempts         sign-in paused after repeated failures (``retry_after`` seconds)
    └── EngineError             a numeric kernel was given inconsistent input
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "Conflict",
    "CordonError",
    "EngineError",
    "ImportRefused",
    "InvalidForm",
    "InvalidValue",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "RowError",
    "StoreError",
    "StoreNotReady",
    "StoreUnavailable",
    "TooManyAttempts",
    "TransitionError",
]


class CordonError(Exception):
    """Root of every error cordon raises on purpose (the tree is in the module docstring)."""


class ConfigError(CordonError):
    """A setting or environment value is unusable."""


class StoreError(CordonError):
    """The record store cannot do what was asked."""


class StoreNotReady(StoreError):
    """The store does not exist yet or its schema is behind the code."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached."""


class NotFound(CordonError):
    """An id names nothing in the store."""


class InvalidValue(CordonError):
    """One value given by a person or a file is unusable."""


class InvalidForm(InvalidValue):
    """A field of a dashboard form holds a value the form does not offer."""


class Conflict(CordonError):
    """The record already exists (a unique key): nothing was written."""


class TransitionError(CordonError):
    """A change of case or order state that the containment rules forbid."""


class PermissionDenied(CordonError):
    """The acting user's role does not allow this operation."""


class NotAuthenticated(CordonError):
    """No valid login, browser session or API token came with the request."""


class TooManyAttempts(CordonError):
    """Sign-in is paused after repeated failures; ``retry_after`` says for how many seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PasswordChangeRequired(NotAuthenticated):
    """The password was right but is a one-time password: a new one must be chosen first."""


class EngineError(CordonError):
    """A numeric kernel was given inconsistent input."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad value in an input file: where it is, what it was and why it was refused."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"line {self.line}, column {self.column!r}, value {shown!r}: {self.reason}"


class ImportRefused(CordonError):
    """A file was refused whole because of bad rows (or a bad header); nothing was written."""

    def __init__(self, path: str, errors: list[RowError], *, problem: str | None = None) -> None:
        self.path = path
        self.errors = errors
        self.problem = problem
        if problem is not None:
            message = f"{path}: refused: {problem}"
        else:
            rows = len({e.line for e in errors})
            message = (
                f"{path}: refused, {rows} bad row{'s' if rows != 1 else ''} "
                f"({len(errors)} problem{'s' if len(errors) != 1 else ''}); nothing was imported. "
                "Fix them, or pass --rejects FILE to load the good rows and set the bad ones aside"
            )
        super().__init__(message)
