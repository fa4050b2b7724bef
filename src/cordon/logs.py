"""What reaches a log: never a request body, a clinical value or a secret, whatever logs it.

``install`` wraps the process's log record factory, so every record of every logger (cordon's,
uvicorn's, SQLAlchemy's, a library's) is scrubbed once, when it is made, before any handler or
filter sees it:

- an exception keeps its type and where it was raised, not its message or arguments (they carry
  the values: a body that failed to encode, the SQL parameters of a failed insert);
- an access-log line keeps method, path and status, not the query string;
- SQLAlchemy's records lose their statement parameters;
- any other message is rendered and then loses what looks like a body (a JSON object, a bytes
  literal), a bearer token or API token, and the value of a password, token or secret field.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["WITHHELD", "install", "scrub"]

WITHHELD = "[withheld]"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\bbearer\s+\S+"), f"Bearer {WITHHELD}"),
    (re.compile(r"cordon_[A-Za-z0-9_\-]{16,}"), WITHHELD),
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|secret|token|csrf\w*|cookie)[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^,;&}\n]+)"
        ),
        rf"\1{WITHHELD}",
    ),
    (re.compile(r"b(['\"]).*?\1"), f"b'{WITHHELD}'"),
    (re.compile(r"\{[^{}]*[:=][^{}]*\}"), "{" + WITHHELD + "}"),
]
_ACCESS = "uvicorn.access"
_SQL = "sqlalchemy."
"""SQLAlchemy's loggers: statement parameters (a tuple or a dict) are values, never logged."""
_Factory = Callable[..., logging.LogRecord]


def _redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        previous = None
        while previous != text:  # nested objects: innermost first, until none is left
            previous, text = text, pattern.sub(replacement, text)
    return text


def _exception_text(exc_info: Any) -> str:
    """A traceback with frames and the exception's type only."""
    kind, _value, tb = exc_info
    frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
    name = getattr(kind, "__name__", "Exception")
    return f"Traceback (most recent call last):\n{frames}{name}: (message withheld)"


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """The record without bodies, clinical values or secrets (see the module docstring)."""
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = _exception_text(record.exc_info)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = _redact(record.exc_text)
    if record.name == _ACCESS and isinstance(record.args, tuple) and len(record.args) == 5:
        client, method, path, version, status = record.args
        record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return record
    if isinstance(record.args, tuple):
        record.args = tuple(
            type(a).__name__
            if isinstance(a, BaseException)
            else (WITHHELD if record.name.startswith(_SQL) and not isinstance(a, str | int) else a)
            for a in record.args
        )
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    record.msg, record.args = _redact(message), ()
    return record


def install() -> None:
    """Scrub every log record this process makes from now on (idempotent)."""
    current: _Factory = logging.getLogRecordFactory()
    if getattr(current, "cordon_scrubs", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(current(*args, **kwargs))

    factory.cordon_scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
