"""The SocioPatterns contact format: ``t i j`` windows of 20 s and a metadata file per person.

Metadata columns differ between data sets (``id status``, ``id class gender``, sometimes with a
leading row number); the id column is found as the one whose values name the people in ``tij``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cordon.errors import ImportRefused

__all__ = ["STATUS_ROLES", "SocioPatternsFiles", "find_files", "people_frame", "read_tij"]

STATUS_ROLES: dict[str, tuple[str, str]] = {
    "NUR": ("medical", "paramedical staff"),
    "MED": ("medical", "medical doctor"),
    "ADM": ("staff", "administrative staff"),
    "PAT": ("patient", "patient"),
}
"""Hospital-ward status codes mapped to a role and an affiliation."""


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


def _read_whitespace(path: Path, names: list[str] | None = None) -> pd.DataFrame:
    with path.open("r", encoding="utf-8") as handle:
        first = handle.readline()
    delimiter = "\t" if "\t" in first else " "
    width = len(first.split())
    columns = names or [f"c{k}" for k in range(width)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=columns, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}),
        )
    except pa.ArrowInvalid as exc:
        raise ImportRefused(
            str(path), [], problem=f"cannot be read as SocioPatterns text: {exc}"
        ) from exc
    frame: pd.DataFrame = table.to_pandas()
    return frame


def read_tij(path: Path) -> pd.DataFrame:
    """The ``t i j`` rows as text columns ``t``, ``i``, ``j`` (line n is row n - 1)."""
    return _read_whitespace(path, ["t", "i", "j"])


def people_frame(metadata: Path, tij_ids: set[str], *, prefix: str = "") -> pd.DataFrame:
    """A canonical ``people`` table (id, name, role, affiliation) from a metadata file."""
    raw = _read_whitespace(metadata)
    scores = [raw[c].str.strip().isin(tij_ids).mean() for c in raw.columns]
    id_col = raw.columns[int(np.argmax(scores))]
    rest = [c for c in raw.columns if c != id_col and not _is_row_number(raw[c])]
    ids = raw[id_col].str.strip()
    roles, affiliations = [], []
    for _, row in raw[rest].iterrows():
        values = [str(v).strip() for v in row.tolist()]
        status = values[0] if values else ""
        if status in STATUS_ROLES:
            role, affiliation = STATUS_ROLES[status]
        else:
            role, affiliation = "student", " ".join(values)
        roles.append(role)
        affiliations.append(affiliation)
    return pd.DataFrame(
        {
            "id": prefix + ids,
            "name": prefix + ids,
            "role": roles,
            "affiliation": affiliations,
        }
    )


def _is_row_number(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().all() and (numbers.to_numpy() == np.arange(len(values))).all())
