"""Times and durations as people write them, turned into epoch seconds and back.

cordon keeps every time as integer epoch seconds (UTC); people write ISO-8601 (with an offset,
or naive meaning station time) or epoch seconds, and durations like ``5m``, ``1h30m`` or ``PT5M``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from cordon.errors import InvalidValue

__all__ = [
    "MAX_TIME",
    "MIN_TIME",
    "end_of_day",
    "format_duration",
    "format_time",
    "local_time",
    "parse_duration",
    "parse_expiry",
    "parse_time",
]

MIN_TIME = 0
"""Earliest time accepted from a file: 1970-01-01T00:00:00Z."""
MAX_TIME = 4_102_444_800
"""First time refused from a file: 2100-01-01T00:00:00Z."""

_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str | int | float) -> int:
    """Seconds in a duration such as ``300``, ``5m``, ``1h30m``, ``2d`` or ``PT5M``."""
    if isinstance(text, int | float):
        if text < 0:
            raise InvalidValue(f"duration {text!r} is negative")
        return int(text)
    raw = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return int(float(raw))
    iso = _ISO_DURATION.match(raw)
    if iso and raw.upper() not in ("P", "PT"):
        parts = {k: float(v) for k, v in iso.groupdict().items() if v}
        return int(sum(parts[k] * _UNITS[k] for k in parts))
    pieces = _DURATION.findall(raw)
    if not pieces or _DURATION.sub("", raw).strip():
        raise InvalidValue(
            f"duration {text!r} is not understood (write e.g. 300, 5m, 1h30m, 2d or PT5M)"
        )
    return int(sum(float(n) * _UNITS[u.lower()] for n, u in pieces))


def format_duration(seconds: int | float) -> str:
    """A short human form of a duration: ``1h 05m``, ``3d 2h``, ``45s``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s" if s % 60 else f"{s // 60}m"
    if s < 86_400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86_400}d {s % 86_400 // 3600}h"


def parse_time(text: str | int | float, zone: tzinfo | None = None) -> int:
    """Epoch seconds of an ISO-8601 time or an epoch number; a naive time is in ``zone``."""
    if isinstance(text, int | float):
        return int(text)
    raw = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return int(float(raw))
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise InvalidValue(
            f"time {text!r} is not understood "
            "(write ISO-8601 like 2026-11-24T08:00, or epoch seconds)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return int(moment.timestamp())


def parse_expiry(text: str, start: int, zone: tzinfo | None = None) -> int:
    """When an order lapses, written as a time (ISO-8601 or epoch seconds) or as a duration
    from ``start`` (``14d``, ``2h``, ``PT8H``), as the CLI's ``--expiry``/``--for`` take them."""
    raw = text.strip()
    if _ISO_DURATION.match(raw) and raw.upper() not in ("P", "PT"):
        return start + parse_duration(raw)
    if _DURATION.search(raw) and not _DURATION.sub("", raw).strip():
        return start + parse_duration(raw)
    try:
        return parse_time(raw, zone)
    except InvalidValue:
        raise InvalidValue(
            f"expiry {text!r} is neither a time (2026-12-08T08:00) nor a duration (14d, 2h)"
        ) from None


def format_time(epoch: int | float | None, zone: tzinfo | None = None) -> str:
    """ISO-8601 text of epoch seconds in ``zone`` (UTC by default), to the second."""
    if epoch is None:
        return ""
    moment = datetime.fromtimestamp(int(epoch), tz=zone or UTC)
    return moment.isoformat(timespec="seconds")


def local_time(
    epoch: int | float | None, zone: tzinfo | None = None, *, named: bool = False
) -> str:
    """A time as people on the station read it: ``2026-11-24 08:00:00`` in ``zone`` (UTC by
    default), with the zone's name after it when ``named`` (for text read on its own, such as an
    alert's message). The one readable form of the CLI, the pages, the report and alert texts;
    machines get ``format_time`` (ISO-8601 with the offset)."""
    if epoch is None:
        return ""
    moment = datetime.fromtimestamp(int(epoch), tz=zone or UTC)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} {moment.tzname()}" if named else text


def end_of_day(epoch: int, zone: tzinfo | None = None) -> int:
    """Epoch seconds of the next local midnight after ``epoch`` ("until the end of today")."""
    tz = zone or UTC
    local = datetime.fromtimestamp(epoch, tz=tz)
    next_day = (local + timedelta(days=1)).date()
    midnight = datetime(next_day.year, next_day.month, next_day.day, tzinfo=tz)
    if isinstance(tz, ZoneInfo):
        # A wall-clock midnight skipped by a DST change resolves to the first instant after it.
        midnight = datetime.fromtimestamp(midnight.timestamp(), tz=tz)
    return int(midnight.timestamp())
