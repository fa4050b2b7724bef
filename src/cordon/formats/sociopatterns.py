"""The SocioPatterns contact format: ``t i j`` windows of 20 s, optionally ``t i j Ci Cj`` with
each person's class or department, and an optional metadata file per person.

Metadata columns differ between data sets (``id status``, ``id class gender``, sometimes with a
leading row number); the id column is found as the one whose values name the people in ``tij``.
A person's group (status, class or department) becomes a role by ``group_role``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cordon.domain.people import Role
from cordon.errors import ImportRefused, RowError
from cordon.formats.tables import RawTable

__all__ = [
    "DEPARTMENTS",
    "STATUS_ROLES",
    "SocioPatternsFiles",
    "find_files",
    "group_role",
    "people_frame",
    "people_from_ids",
    "read_tij",
]

STATUS_ROLES: dict[str, tuple[str, str]] = {
    "NUR": ("medical", "paramedical staff"),
    "MED": ("medical", "medical doctor"),
    "ADM": ("staff", "administrative staff"),
    "PAT": ("patient", "patient"),
}
"""Hospital-ward status codes mapped to a role and an affiliation."""

DEPARTMENTS = frozenset(
    {"DCAR", "DG", "DISQ", "DMCT", "DMI", "DSE", "SCOM", "SDOC", "SFLE", "SRH", "SSI"}
)
"""The departments of the SocioPatterns workplace data sets (InVS 2013, 2015): staff."""

_CLASS = re.compile(r"^(?:[1-5][AB]|2BIO\d|MP(?:\*\d?)?|PC\*?|PSI\*?)$", re.IGNORECASE)
"""The classes of the SocioPatterns school data sets (primary school 1A-5B, Thiers high
school 2BIO1-3, MP, MP*1-2, PC, PC*, PSI*): students."""

_TEACHERS = re.compile(r"^teachers?$", re.IGNORECASE)

_TIJ_WIDTHS = {3: ("t", "i", "j"), 5: ("t", "i", "j", "ci", "cj")}


def group_role(group: str, overrides: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """The role and affiliation of a person of ``group`` (a status code, class or department).

    ``overrides`` (group -> role) come first; then hospital status codes, school classes
    (student), ``Teachers`` (teacher), workplace departments (staff); any other group gives
    role ``unknown`` with the group kept as affiliation. No group at all is ``unknown`` too.
    """
    group = group.strip()
    if overrides and group in overrides:
        return overrides[group], group or None
    if not group:
        return Role.UNKNOWN.value, None
    if group in STATUS_ROLES:
        return STATUS_ROLES[group]
    if _TEACHERS.match(group):
        return Role.TEACHER.value, group
    if _CLASS.match(group):
        return Role.STUDENT.value, group
    if group.upper() in DEPARTMENTS:
        return Role.STAFF.value, group
    return Role.UNKNOWN.value, group


@dataclass(frozen=True)
class SocioPatternsFiles:
    """The contact file and, when there is one, the metadata file of a data set."""

    tij: Path
    metadata: Path | None


def find_files(path: Path, metadata: Path | None = None) -> SocioPatternsFiles:
    """The ``tij_*`` and ``metadata_*`` files in a folder, or a single tij file given directly."""
    if path.is_dir():
        tij = sorted(path.glob("tij*.dat")) + sorted(path.glob("tij*.csv"))
        if not tij:
            raise ImportRefused(str(path), [], problem="no tij_*.dat file in this folder")
        meta = metadata or next(
            iter(sorted(path.glob("metadata*.dat")) + sorted(path.glob("metadata*.txt"))), None
        )
        return SocioPatternsFiles(tij[0], meta)
    if not path.exists():
        raise ImportRefused(str(path), [], problem="no such file or folder")
    return SocioPatternsFiles(path, metadata)


def _lines(path: Path) -> list[str]:
    """The file's lines as text; refuses a file that is not UTF-8, naming the first bad line."""
    if path.is_dir():
        raise ImportRefused(str(path), [], problem="is a folder, not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(str(path), [], problem=f"cannot be read: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            str(path), [], problem=f"is not UTF-8 text (first bad byte on line {line})"
        ) from None
    return text.splitlines()


def _split(path: Path, widths: Mapping[int, tuple[str, ...]], what: str) -> RawTable:
    """Whitespace-separated fields (any run of spaces or tabs, leading and trailing ignored);
    the first line decides the layout, a line with another number of fields is a bad row."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    broken: list[RowError] = []
    names: tuple[str, ...] | None = None
    for number, line in enumerate(_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if names is None:
            if len(fields) not in widths:
                shown = " or ".join(f"{w} ({' '.join(widths[w])})" for w in sorted(widths))
                raise ImportRefused(
                    str(path),
                    [RowError(number, "(row)", line, f"has {len(fields)} fields")],
                    problem=f"line {number} has {len(fields)} fields; {what} has {shown}",
                )
            names = widths[len(fields)]
            if [x.lower() for x in fields] == list(names):
                continue  # a header line naming the columns
        if len(fields) != len(names):
            broken.append(
                RowError(
                    number,
                    "(row)",
                    line.strip(),
                    f"has {len(fields)} fields, the file's first line has {len(names)}",
                )
            )
            continue
        rows.append(fields)
        numbers.append(number)
    if names is None:
        raise ImportRefused(str(path), [], problem="is empty")
    frame = pd.DataFrame(rows, columns=list(names), dtype=object)
    return RawTable(frame, np.asarray(numbers, dtype=np.int64), broken)


def read_tij(path: Path) -> RawTable:
    """The rows of a tij file as text columns ``t``, ``i``, ``j`` (and ``ci``, ``cj`` in the
    five-column layout), each with its line number; lines of another width are ``broken``."""
    raw = _split(path, _TIJ_WIDTHS, "a SocioPatterns contact file")
    if not len(raw) and not raw.broken:
        raise ImportRefused(str(path), [], problem="has no contact rows")
    return raw


def _is_row_number(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().all() and (numbers.to_numpy() == np.arange(len(values))).all())


def people_frame(
    metadata: Path,
    tij_ids: set[str],
    *,
    prefix: str = "",
    roles: Mapping[str, str] | None = None,
) -> RawTable:
    """A canonical ``people`` table (id, name, role, affiliation) from a metadata file: the id
    column, then the person's group (status, class or department) as ``group_role`` maps it."""
    widths = {n: tuple(f"c{k}" for k in range(n)) for n in range(1, 9)}
    table = _split(metadata, widths, "a metadata file")
    if table.broken:
        raise ImportRefused(str(metadata), table.broken)
    raw = table.frame
    if raw.empty:
        raise ImportRefused(str(metadata), [], problem="has no rows")
    scores = [raw[c].isin(tij_ids).mean() for c in raw.columns]
    id_col = raw.columns[int(np.argmax(scores))]
    rest = [c for c in raw.columns if c != id_col and not _is_row_number(raw[c])]
    groups = raw[rest[0]] if rest else pd.Series([""] * len(raw), dtype=object)
    pairs = [group_role(str(g), roles) for g in groups.fillna("").tolist()]
    ids = prefix + raw[id_col]
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": ids,
            "role": [p[0] for p in pairs],
            "affiliation": [p[1] or "" for p in pairs],
        }
    )
    return RawTable(frame, table.lines)


def people_from_ids(
    groups: Mapping[str, str], *, prefix: str = "", roles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A canonical ``people`` table for ids seen only in the contacts, each with its group
    (from the five-column layout; empty when unknown)."""
    ids = sorted(groups)
    pairs = [group_role(groups[i], roles) for i in ids]
    named = [prefix + i for i in ids]
    return pd.DataFrame(
        {
            "id": named,
            "name": named,
            "role": [p[0] for p in pairs],
            "affiliation": [p[1] or "" for p in pairs],
        },
        dtype=object,
    )
