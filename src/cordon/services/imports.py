"""Importing a facility's records: validate every row, then load all of it or none of it.

A file with bad rows is refused whole (every bad row named) unless a rejects file is given, in
which case the good rows load and the bad ones are written there. Re-importing adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from cordon.domain.people import ROLE_ALIASES, Role
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import choice
from cordon.engine.windows import merge_windows
from cordon.errors import ImportRefused, RowError
from cordon.formats import fields as f
from cordon.formats import sociopatterns
from cordon.formats.schemas import Kind, Refs, Validated, rejected_rows, validate
from cordon.formats.tables import RawTable, detect_format, read_table, records_table
from cordon.formats.writers import write_rejects
from cordon.services.progress import NO_PROGRESS, Progress
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory, gatherings, observations
from cordon.store.models import ImportBatchRow

__all__ = ["KIND_PERMISSION", "ImportReport", "import_file", "import_rows", "import_sociopatterns"]

KIND_PERMISSION = {
    Kind.PEOPLE: Permission.IMPORT_DIRECTORY,
    Kind.PLACES: Permission.IMPORT_DIRECTORY,
    Kind.GATHERINGS: Permission.IMPORT_DIRECTORY,
    Kind.PRESENCE: Permission.IMPORT_LOCATIONS,
    Kind.PASSAGES: Permission.IMPORT_LOCATIONS,
    Kind.EXPOSURES: Permission.IMPORT_CLINICAL,
    Kind.LAB: Permission.IMPORT_CLINICAL,
}
"""The permission each kind of import needs."""


@dataclass
class ImportReport:
    """What one import did."""

    kind: str
    path: str
    format: str
    read: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    batch: int | None
    rejects_path: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refs(session: Session, zone: ZoneInfo) -> Refs:
    return Refs(
        people=directory.person_keys(session),
        places=directory.place_keys(session),
        zone=zone,
        place_parents=directory.place_parents(session),
    )


def _settle_errors(checked: Validated, path: Path, rejects: Path | None) -> str | None:
    """Refuse the file when it has bad rows and no rejects file; else write the rejects file."""
    if not checked.errors:
        return None
    if rejects is None:
        raise ImportRefused(str(path), checked.errors)
    write_rejects(checked.rejected, rejects)
    return str(rejects)


def _write(
    session: Session,
    kind: Kind,
    checked: Validated,
    batch: ImportBatchRow,
    actor: str,
    progress: Progress,
) -> tuple[int, int, int]:
    """Load the good rows; returns (added, updated, unchanged)."""
    if kind is Kind.PEOPLE:
        result = directory.upsert_people(session, checked.columns, actor=actor)
    elif kind is Kind.PLACES:
        result = directory.upsert_places(session, checked.columns, actor=actor)
    elif kind is Kind.GATHERINGS:
        result = gatherings.upsert_gatherings(session, checked.columns, actor=actor)
    else:
        progress.phase(f"writing {kind.value}", checked.good)
        added = observations.add_records(
            session, kind.value, checked.columns, batch_pk=batch.pk, progress=progress.advance
        )
        return added, 0, checked.good - added
    return result.added, result.updated, result.unchanged


def _finish_batch(
    session: Session, batch: ImportBatchRow, report: ImportReport, actor: str
) -> None:
    batch.rows_read = report.read
    batch.rows_added = report.added + report.updated
    batch.rows_unchanged = report.unchanged
    batch.rows_rejected = report.rejected
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="import_batch",
        entity_id=batch.pk,
        after={
            "kind": report.kind,
            "path": report.path,
            "sha256": batch.sha256,
            "read": report.read,
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        },
    )


def import_file(
    session: Session,
    path: Path,
    *,
    kind: Kind,
    actor: Actor,
    zone: ZoneInfo,
    fmt: str | None = None,
    rejects: Path | None = None,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Validate and load one canonical file of ``kind`` in a single transaction."""
    require(actor, KIND_PERMISSION[kind])
    began = time.perf_counter()
    file_format = detect_format(path, fmt)
    progress.phase(f"reading {path.name}")
    raw = read_table(path, file_format)
    return _load(
        session, raw, kind=kind, actor=actor, zone=zone, name=str(path),
        fmt=file_format.value, sha256=_sha256(path), rejects=rejects, progress=progress,
        began=began,
    )  # fmt: skip


def import_rows(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    *,
    kind: Kind,
    actor: Actor,
    zone: ZoneInfo,
    source: str,
) -> ImportReport:
    """Validate and load a batch of rows posted as JSON (a badge reader's or a door
    controller's), exactly as a file of ``kind`` would be: all or none, each bad row named by
    its place in the batch; sending the same batch again adds nothing."""
    require(actor, KIND_PERMISSION[kind])
    began = time.perf_counter()
    digest = hashlib.sha256(
        json.dumps(list(rows), sort_keys=True, default=str).encode()
    ).hexdigest()
    return _load(
        session, records_table(rows), kind=kind, actor=actor, zone=zone, name=source,
        fmt="json", sha256=digest, rejects=None, progress=NO_PROGRESS, began=began,
    )  # fmt: skip


def _load(
    session: Session,
    raw: RawTable,
    *,
    kind: Kind,
    actor: Actor,
    zone: ZoneInfo,
    name: str,
    fmt: str,
    sha256: str,
    rejects: Path | None,
    progress: Progress,
    began: float,
) -> ImportReport:
    """Validate ``raw`` and load it in a single transaction (the common part of file and batch
    imports)."""
    path = Path(name)
    progress.phase(f"checking {len(raw):,} rows")
    with unit_of_work(session):
        checked = validate(kind, raw, _refs(session, zone), path=name)
        rejects_path = _settle_errors(checked, path, rejects)
        batch = audit.start_batch(
            session,
            kind=kind.value,
            path=name,
            fmt=fmt,
            sha256=sha256,
            actor=actor.name,
        )
        added, updated, unchanged = _write(session, kind, checked, batch, actor.name, progress)
        report = ImportReport(
            kind=kind.value,
            path=name,
            format=fmt,
            read=checked.read,
            added=added,
            updated=updated,
            unchanged=unchanged,
            rejected=len({e.line for e in checked.errors}),
            batch=batch.pk,
            rejects_path=rejects_path,
            unknown_columns=checked.unknown_columns,
        )
        if checked.unknown_columns:
            report.notes.append(f"ignored unknown columns: {', '.join(checked.unknown_columns)}")
        _finish_batch(session, batch, report, actor.name)
        _crash_point("after-write")
    report.seconds = time.perf_counter() - began
    return report


def _crash_point(name: str) -> None:
    """Fault injection for the interrupted-import tests: CORDON_FAULT=kill:<name> dies here with
    SIGKILL, CORDON_FAULT=interrupt:<name> raises KeyboardInterrupt, both mid-transaction."""
    fault = os.environ.get("CORDON_FAULT", "")
    if fault == f"kill:{name}":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == f"interrupt:{name}":
        raise KeyboardInterrupt


def _tij_checks(
    raw: RawTable, prefix: str
) -> tuple[pd.DataFrame, f.Problems, np.ndarray, np.ndarray]:
    """The checks of tij rows that need no store: a whole time, two ids that can name people,
    two different people. Returns the prefixed frame, its problems, the time and id validity."""
    prefixed = raw.frame.copy()
    for side in ("i", "j"):
        prefixed[side] = prefix + prefixed[side].astype(str).str.strip()
    problems = f.Problems(prefixed, raw.lines)
    t, _ = f.integer(prefixed, "t", problems, required=True, low=0, high=10**10)
    ok = np.ones(len(prefixed), dtype=bool)
    for side in ("i", "j"):
        before = problems.bad.copy()
        f.text(prefixed, side, problems, required=True, max_len=64)
        ok &= ~(problems.bad & ~before)
    problems.flag(ok & (prefixed["i"] == prefixed["j"]).to_numpy(), "j", "is the same person as i")
    return prefixed, problems, t, ok


def _tij_refs(
    prefixed: pd.DataFrame, problems: f.Problems, ids_ok: np.ndarray, people: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The store keys of ``i`` and ``j`` of the rows not already bad; an id that is not a
    person is a bad row."""
    safe = prefixed.copy()
    safe.loc[~ids_ok | problems.bad, ["i", "j"]] = ""
    i = f.refs(safe, "i", problems, people, what="person", required=False)
    j = f.refs(safe, "j", problems, people, what="person", required=False)
    return i, j


def _role_overrides(roles: Mapping[str, str] | None) -> dict[str, str]:
    """``--role GROUP=ROLE`` values checked against the roles cordon knows."""
    return {
        str(group).strip(): choice(Role, role, ROLE_ALIASES).value
        for group, role in (roles or {}).items()
    }


def _groups(prefixed: pd.DataFrame, good: np.ndarray) -> dict[str, str]:
    """Every id of the good rows with its group (class or department in the five-column
    layout, the first one seen; empty otherwise)."""
    rows = prefixed[good]
    out: dict[str, str] = {}
    has_groups = "ci" in rows.columns
    for side, group in (("i", "ci"), ("j", "cj")):
        ids = rows[side].tolist()
        groups = rows[group].astype(str).tolist() if has_groups else [""] * len(ids)
        for person, g in zip(ids, groups, strict=True):
            out.setdefault(person, g)
    return out


def _load_people(
    session: Session,
    raw: RawTable,
    *,
    source: str,
    sha256: str,
    fmt: str,
    actor: Actor,
    zone: ZoneInfo,
    progress: Progress,
) -> ImportReport:
    """Validate and write one table of people inside the caller's transaction; any bad row
    refuses the whole import."""
    checked = validate(Kind.PEOPLE, raw, _refs(session, zone), path=source)
    if checked.errors:
        raise ImportRefused(source, checked.errors)
    batch = audit.start_batch(
        session, kind="people", path=source, fmt=fmt, sha256=sha256, actor=actor.name
    )
    added, updated, unchanged = _write(session, Kind.PEOPLE, checked, batch, actor.name, progress)
    report = ImportReport(
        "people", source, fmt, checked.read, added, updated, unchanged, 0, batch.pk
    )
    _finish_batch(session, batch, report, actor.name)
    return report


def _role_note(frame: pd.DataFrame) -> str:
    counts = frame["role"].value_counts()
    text = ", ".join(f"{n:,} {role}" for role, n in counts.items())
    unknown = sorted({a for a, r in zip(frame["affiliation"], frame["role"], strict=True)
                      if r == "unknown" and a})  # fmt: skip
    if unknown:
        shown = ", ".join(unknown[:8]) + (", ..." if len(unknown) > 8 else "")
        text += f" (groups with no known role: {shown}; give --role GROUP=ROLE)"
    return f"roles: {text}"


def import_sociopatterns(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    zone: ZoneInfo,
    metadata: Path | None = None,
    people: Path | None = None,
    roles: Mapping[str, str] | None = None,
    t0: int = 0,
    prefix: str = "",
    window: int = 20,
    place: str | None = None,
    rejects: Path | None = None,
    progress: Progress = NO_PROGRESS,
) -> list[ImportReport]:
    """Load a SocioPatterns data set: people, then windows merged into contacts.

    People come from the metadata file (found beside the contacts or given), from a canonical
    ``people`` file, or else are created from the ids in the contacts (their class or
    department from the five-column layout as affiliation, the role by
    ``sociopatterns.group_role``; ``roles`` maps further groups to roles). People already in
    the store are left as they are unless the metadata or people file says otherwise. Times are
    shifted by ``t0`` (the data set's start as epoch seconds) when they are relative.
    """
    require(actor, Permission.IMPORT_DIRECTORY, Permission.IMPORT_CLINICAL)
    began = time.perf_counter()
    overrides = _role_overrides(roles)
    files = sociopatterns.find_files(path, metadata)
    progress.phase(f"reading {files.tij.name}")
    raw = sociopatterns.read_tij(files.tij)
    prefixed, problems, t, ids_ok = _tij_checks(raw, prefix)
    listed: RawTable | None = None
    listed_from = files.tij
    if people is not None:
        listed = read_table(people, detect_format(people))
        listed_from = people
    elif files.metadata is not None:
        good_ids = set(prefixed["i"][ids_ok]) | set(prefixed["j"][ids_ok])
        bare = {x[len(prefix) :] for x in good_ids}
        listed = sociopatterns.people_frame(files.metadata, bare, prefix=prefix, roles=overrides)
        listed_from = files.metadata
    reports: list[ImportReport] = []
    with unit_of_work(session):
        named: set[str] = set()
        if listed is not None:
            fmt = "sociopatterns" if listed_from == files.metadata else "people"
            report = _load_people(
                session, listed, source=str(listed_from), sha256=_sha256(listed_from),
                fmt=fmt, actor=actor, zone=zone, progress=progress,
            )  # fmt: skip
            if fmt != "people":
                report.notes.append(_role_note(listed.frame))
            reports.append(report)
            named = set(f.as_text(f.column(listed.frame, "id")))
        known = directory.person_keys(session)
        groups = _groups(prefixed, ~problems.bad)
        new = {p: g for p, g in groups.items() if p not in known and p not in named}
        if new:
            frame = sociopatterns.people_from_ids(
                {p[len(prefix) :]: g for p, g in new.items()}, prefix=prefix, roles=overrides
            )
            report = _load_people(
                session, RawTable(frame, np.arange(1, len(frame) + 1, dtype=np.int64)),
                source=str(files.tij), sha256=_sha256(files.tij), fmt="sociopatterns ids",
                actor=actor, zone=zone, progress=progress,
            )  # fmt: skip
            origin = "not in " + Path(listed_from).name if listed is not None else "no metadata"
            report.notes.append(
                f"{len(frame):,} people created from the ids in the contacts ({origin}); "
                + _role_note(frame)
            )
            reports.append(report)
        refs = _refs(session, zone)
        place_pk = f.MISSING
        if place is not None:
            if place not in refs.places:
                raise ImportRefused(
                    str(files.tij), [], problem=f"--place {place!r} is not a known place id"
                )
            place_pk = refs.places[place]
        progress.phase(f"checking {len(prefixed):,} windows")
        i, j = _tij_refs(prefixed, problems, ids_ok, dict(refs.people))
        errors: list[RowError] = sorted(raw.broken + problems.errors(), key=lambda e: e.line)
        rejects_path = None
        if errors:
            if rejects is None:
                raise ImportRefused(str(files.tij), errors)
            write_rejects(rejected_rows(RawTable(prefixed, raw.lines, raw.broken), problems),
                          rejects)  # fmt: skip
            rejects_path = str(rejects)
        keep = ~problems.bad
        merged = merge_windows(t[keep] + t0, i[keep], j[keep], window)
        columns = {
            "a_pk": merged.a,
            "b_pk": merged.b,
            "place_pk": np.full(len(merged.a), place_pk, dtype=np.int64),
            "start_time": merged.start,
            "end_time": merged.end,
            "duration_s": merged.end - merged.start,
            "route": np.full(len(merged.a), "close", dtype=object),
            "source": np.full(len(merged.a), "sensor", dtype=object),
        }
        batch = audit.start_batch(
            session,
            kind="exposures",
            path=str(files.tij),
            fmt="sociopatterns",
            sha256=_sha256(files.tij),
            actor=actor.name,
        )
        progress.phase("writing contacts", len(merged.a))
        added = observations.add_records(
            session, "exposures", columns, batch_pk=batch.pk, progress=progress.advance
        )
        report = ImportReport(
            kind="exposures",
            path=str(files.tij),
            format="sociopatterns",
            read=len(prefixed) + len(raw.broken),
            added=added,
            updated=0,
            unchanged=len(merged.a) - added,
            rejected=len({e.line for e in errors}),
            batch=batch.pk,
            rejects_path=rejects_path,
            notes=[f"{int(keep.sum()):,} windows merged into {len(merged.a):,} contacts"],
        )
        _finish_batch(session, batch, report, actor.name)
        reports.append(report)
    for r in reports:
        r.seconds = time.perf_counter() - began
    return reports
