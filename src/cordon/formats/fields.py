"""Vectorised parsers for the fields of the canonical formats, collecting every bad value.

Each parser takes one column (a pandas Series of text, or typed values from Parquet), returns a
NumPy array of parsed values, and flags bad rows in a ``Problems`` collector with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from cordon.domain.ids import normalise_id
from cordon.domain.vocab import normalise_word
from cordon.errors import RowError
from cordon.times import MAX_TIME, MIN_TIME

__all__ = [
    "MISSING",
    "Problems",
    "as_text",
    "boolean",
    "choice",
    "id_lists",
    "integer",
    "number",
    "refs",
    "text",
    "times",
]

MISSING = -1
"""The pk written for an optional reference that was left empty."""

_AWARE = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_LIST_SEPARATORS = re.compile(r"[\s,;|]+")
_TRUE = {"1", "true", "t", "yes", "y", "exit"}
_FALSE = {"0", "false", "f", "no", "n", ""}


class Problems:
    """Collects bad values by row, so that every bad row can be named and set aside."""

    def __init__(self, frame: pd.DataFrame, lines: np.ndarray) -> None:
        self.frame = frame
        self.lines = lines
        self.bad = np.zeros(len(frame), dtype=bool)
        self._found: list[tuple[int, str, str, str]] = []

    def flag(self, mask: np.ndarray, column: str, reason: str | np.ndarray) -> None:
        """Mark the rows in ``mask`` bad for ``reason`` (one text, or one per row)."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        self.bad[rows] = True
        values = self.frame[column] if column in self.frame.columns else None
        for row in rows.tolist():
            value = "" if values is None else _show(values.iat[row])
            why = reason if isinstance(reason, str) else str(reason[row])
            self._found.append((row, column, value, why))

    def errors(self) -> list[RowError]:
        """Every problem found, in file order."""
        self._found.sort(key=lambda item: item[0])
        return [RowError(int(self.lines[r]), c, v, why) for r, c, v, why in self._found]

    def reasons_by_row(self) -> dict[int, list[str]]:
        """Problems of each bad row, keyed by row index, for a rejects file."""
        out: dict[int, list[str]] = {}
        for row, column, _value, why in self._found:
            out.setdefault(row, []).append(f"{column}: {why}")
        return out


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The named column, or an all-empty one when the file does not have it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([""] * len(frame), index=frame.index, dtype=object)


def as_text(series: pd.Series) -> pd.Series:
    """Values as stripped text; missing values become empty text."""
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        return series.fillna("").astype(str).str.strip()
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def text(
    frame: pd.DataFrame, name: str, problems: Problems, *, required: bool, max_len: int = 200
) -> np.ndarray:
    """Text values; empty optional ones become None."""
    values = as_text(column(frame, name))
    empty = (values == "").to_numpy()
    if required:
        problems.flag(empty, name, "is required")
    problems.flag(
        (values.str.len() > max_len).to_numpy(), name, f"is longer than {max_len} characters"
    )
    problems.flag(values.str.contains("\x00", regex=False).to_numpy(), name, "contains a NUL byte")
    out = values.to_numpy(dtype=object, copy=True)
    out[empty] = None
    return out


def integer(
    frame: pd.DataFrame,
    name: str,
    problems: Problems,
    *,
    required: bool,
    low: int | None = None,
    high: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers, and a mask of which rows gave one."""
    raw = column(frame, name)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        numbers = raw.astype(float)
        empty = numbers.isna().to_numpy()
    else:
        values = as_text(raw)
        empty = (values == "").to_numpy()
        numbers = pd.to_numeric(values.where(~empty, None), errors="coerce")
    num = numbers.to_numpy(dtype=float)
    not_number = ~empty & (np.isnan(num) | ~np.isfinite(num))
    problems.flag(not_number, name, "is not a number")
    fractional = ~empty & ~not_number & (np.floor(num) != num)
    problems.flag(fractional, name, "is not a whole number")
    ok = ~empty & ~not_number & ~fractional
    if required:
        problems.flag(empty, name, "is required")
    if low is not None:
        problems.flag(ok & (num < low), name, f"is below {low}")
    if high is not None:
        problems.flag(ok & (num > high), name, f"is above {high}")
    huge = ok & (np.abs(np.nan_to_num(num)) >= 2.0**62)
    problems.flag(huge, name, "is out of range")
    ok &= ~huge
    out = np.zeros(len(num), dtype=np.int64)
    out[ok] = num[ok].astype(np.int64)
    return out, ok


def number(
    frame: pd.DataFrame, name: str, problems: Problems, *, low: float | None = None
) -> np.ndarray:
    """Optional real numbers; empty ones become NaN."""
    values = as_text(column(frame, name))
    empty = (values == "").to_numpy()
    num = pd.to_numeric(values.where(~empty, None), errors="coerce").to_numpy(dtype=float)
    problems.flag(~empty & ~np.isfinite(num), name, "is not a number")
    if low is not None:
        problems.flag(~empty & np.isfinite(num) & (num < low), name, f"is below {low}")
    return np.where(empty, np.nan, num)


def boolean(frame: pd.DataFrame, name: str, problems: Problems) -> np.ndarray:
    """Yes/no values (true/false, yes/no, 1/0); empty means no."""
    values = as_text(column(frame, name)).str.lower()
    yes = values.isin(_TRUE).to_numpy()
    no = values.isin(_FALSE).to_numpy()
    problems.flag(~yes & ~no, name, "is not yes/no (true, false, 1, 0)")
    return yes


def choice(
    frame: pd.DataFrame,
    name: str,
    problems: Problems,
    enum: type[StrEnum],
    *,
    aliases: Mapping[str, str] | None = None,
    default: StrEnum | None = None,
) -> np.ndarray:
    """Members of ``enum`` written in any case, with spaces or hyphens, or by an alias."""
    raw = as_text(column(frame, name))
    allowed = {m.value for m in enum}
    lookup = {**{m.value: m.value for m in enum}, **dict(aliases or {})}
    uniques = raw.unique()
    mapping = {u: lookup.get(normalise_word(u)) for u in uniques}
    words = raw.map(mapping).to_numpy(dtype=object, copy=True)
    empty = (raw == "").to_numpy()
    if default is not None:
        words[empty] = default.value
        empty = np.zeros_like(empty)
    problems.flag(empty, name, "is required")
    unknown = ~empty & pd.isna(words)
    problems.flag(unknown, name, f"is not one of: {', '.join(sorted(allowed))}")
    return words


def times(
    frame: pd.DataFrame, name: str, problems: Problems, zone: ZoneInfo, *, required: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds from ISO-8601 text (naive means station time) or epoch numbers."""
    raw = column(frame, name)
    n = len(raw)
    out = np.zeros(n, dtype=np.int64)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        stamps = raw if getattr(raw.dt, "tz", None) is not None else raw.dt.tz_localize(zone)
        empty = stamps.isna().to_numpy()
        seconds = _epoch_seconds(stamps)
    elif pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        seconds = raw.to_numpy(dtype=float, copy=True)
        empty = np.isnan(seconds)
    else:
        values = as_text(raw)
        empty = (values == "").to_numpy()
        seconds = pd.to_numeric(values.where(~empty, None), errors="coerce").to_numpy(
            dtype=float, copy=True
        )
        textual = ~empty & np.isnan(seconds)
        if textual.any():
            seconds[textual] = _iso_seconds(values[textual], zone)
    unreadable = ~empty & np.isnan(seconds)
    problems.flag(unreadable, name, "is not a time (write ISO-8601 or epoch seconds)")
    readable = ~empty & ~unreadable
    outside = readable & ((seconds < MIN_TIME) | (seconds >= MAX_TIME))
    problems.flag(outside, name, "is out of range (1970-01-01 to 2099-12-31)")
    ok = readable & ~outside
    out[ok] = np.floor(seconds[ok]).astype(np.int64)
    if required:
        problems.flag(empty, name, "is required")
    return out, ok


def _epoch_seconds(stamps: pd.Series) -> np.ndarray:
    """Epoch seconds of time-zone-aware stamps, NaN where missing; years up to 9999 fit."""
    naive = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us").to_numpy()
    seconds = naive.astype("int64").astype(float) / 1e6
    seconds[np.isnat(naive)] = np.nan
    return np.asarray(seconds, dtype=float)


def _iso_seconds(values: pd.Series, zone: ZoneInfo) -> np.ndarray:
    out = np.full(len(values), np.nan)
    aware = values.str.contains(_AWARE, regex=True).to_numpy()
    if aware.any():
        parsed = pd.to_datetime(values[aware], format="ISO8601", utc=True, errors="coerce")
        out[aware] = _epoch_seconds(parsed)
    if (~aware).any():
        naive = pd.to_datetime(values[~aware], format="ISO8601", errors="coerce")
        if getattr(naive.dt, "tz", None) is None:
            naive = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        out[~aware] = _epoch_seconds(naive)
    return out


def id_text(series: pd.Series) -> pd.Series:
    """Values as ids, written by the directory's rule (``domain.ids.normalise_id``), each
    distinct value normalised once."""
    values = as_text(series)
    distinct = pd.unique(values.to_numpy(dtype=object))
    lookup = {v: normalise_id(v) for v in distinct}
    if all(k == v for k, v in lookup.items()):
        return values
    return values.map(lookup)


def ids(
    frame: pd.DataFrame, name: str, problems: Problems, *, required: bool, max_len: int = 64
) -> np.ndarray:
    """Ids (``id_text``), checked as ``text`` checks text."""
    normal = frame.assign(**{name: id_text(column(frame, name))})
    return text(normal, name, problems, required=required, max_len=max_len)


def refs(
    frame: pd.DataFrame,
    name: str,
    problems: Problems,
    ids: Mapping[str, int],
    *,
    what: str,
    required: bool = True,
) -> np.ndarray:
    """The store keys of the ids in a column; unknown ids are bad, empty optional ones MISSING."""
    values = id_text(column(frame, name))
    empty = (values == "").to_numpy()
    known = pd.Index(list(ids.keys()), dtype=object)
    codes = known.get_indexer(pd.Index(values.to_numpy(dtype=object)))
    unknown = ~empty & (codes < 0)
    problems.flag(unknown, name, f"is not a known {what} id (import the {what} first)")
    if required:
        problems.flag(empty, name, "is required")
    pks = np.fromiter(ids.values(), dtype=np.int64, count=len(ids))
    return np.where(codes >= 0, pks[codes] if len(pks) else MISSING, MISSING).astype(np.int64)


def id_lists(
    frame: pd.DataFrame, name: str, problems: Problems, ids: Mapping[str, int], *, what: str
) -> list[list[str]]:
    """Lists of ids written space-, comma-, semicolon- or bar-separated; each must be known."""
    values = as_text(column(frame, name))
    out: list[list[str]] = []
    unknown = np.zeros(len(values), dtype=bool)
    reasons = np.empty(len(values), dtype=object)
    for row, cell in enumerate(values.tolist()):
        if not cell:
            out.append([])
            continue
        items = [normalise_id(i) for i in _LIST_SEPARATORS.split(cell) if normalise_id(i)]
        missing = [item for item in items if item not in ids]
        if missing:
            unknown[row] = True
            reasons[row] = f"names unknown {what} id(s): {', '.join(missing[:5])}"
        out.append(list(dict.fromkeys(items)))
    problems.flag(unknown, name, reasons)
    return out
