"""``cordon import followups FILE``: a day's checks from a file (a paper round typed up, another
team's spreadsheet), validated row by row and loaded whole or not at all.

Columns: ``person``, ``at`` (ISO-8601 or epoch seconds; naive means station time), ``status``
(well, symptomatic, not_seen, refused), and optionally ``temperature`` (°C), ``symptoms``
(separated by ``;``), ``notes`` and ``checker`` (default: who imports). A row that repeats a
check already stored is left alone; each symptomatic row acts as a staff check would.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain.followup import CheckSource, CheckStatus, day_of, validate_check
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import normalise_word
from cordon.errors import CordonError, ImportRefused, RowError
from cordon.formats.tables import detect_format, read_table
from cordon.services.followup import _write_check, monitoring_on
from cordon.services.imports import ImportReport
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory, profiles
from cordon.store.models import FollowUpRow
from cordon.times import parse_time

__all__ = ["COLUMNS", "import_checks"]

COLUMNS = ("person", "at", "status", "temperature", "symptoms", "notes", "checker")
REQUIRED = ("person", "at", "status")


def _text(row: Mapping[Any, Any], column: str) -> str:
    value = row.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _parse(
    row: Mapping[Any, Any], line: int, *, people: Mapping[str, int], zone: tzinfo
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One row as a check's fields, or the row's problems."""
    problems: list[RowError] = []

    def bad(column: str, reason: str) -> None:
        problems.append(RowError(line, column, _text(row, column), reason))

    person = _text(row, "person")
    if not person:
        bad("person", "is empty")
    elif person not in people:
        bad("person", "is not a known person id")
    at: int | None = None
    try:
        at = parse_time(_text(row, "at"), zone) if _text(row, "at") else None
        if at is None:
            bad("at", "is empty")
    except CordonError as exc:
        bad("at", str(exc))
    status: CheckStatus | None = None
    try:
        status = CheckStatus(normalise_word(_text(row, "status")))
    except ValueError:
        bad("status", f"is not one of {', '.join(s.value for s in CheckStatus)}")
    temperature: float | None = None
    if _text(row, "temperature"):
        try:
            temperature = float(_text(row, "temperature").replace(",", "."))
        except ValueError:
            bad("temperature", "is not a number")
    symptoms = tuple(s.strip() for s in _text(row, "symptoms").split(";") if s.strip())
    if problems or at is None or status is None:
        return None, problems
    return {
        "person": person,
        "at": at,
        "status": status,
        "temperature": temperature,
        "symptoms": symptoms,
        "notes": _text(row, "notes") or None,
        "checker": _text(row, "checker"),
    }, []


def import_checks(
    session: Session, path: Path, *, actor: Actor, zone: tzinfo, fmt: str | None = None
) -> ImportReport:
    """Validate every row of ``path`` (person known, time and status readable, readings and
    symptoms valid for the profile, the person under monitoring that day) and load them in one
    transaction, or refuse the file naming each bad row, field and reason."""
    require(actor, Permission.FOLLOW_UP, Permission.IMPORT_CLINICAL)
    began = time.perf_counter()
    file_format = detect_format(path, fmt)
    raw = read_table(path, file_format)
    frame = raw.frame
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportRefused(str(path), [], problem=f"missing column(s): {', '.join(missing)}")
    unknown = [str(c) for c in frame.columns if c not in COLUMNS]
    people = directory.person_keys(session)
    rules = profiles.active_profile(session).rules
    errors = list(raw.broken)
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: set[tuple[str, int]] = set()
    for line, row in zip(raw.lines.tolist(), frame.to_dict("records"), strict=True):
        fields, problems = _parse(row, int(line), people=people, zone=zone)
        if fields is None:
            errors += problems
            continue
        key = (fields["person"], fields["at"])
        if key in seen:
            errors.append(RowError(int(line), "at", _text(row, "at"), "repeats an earlier row"))
            continue
        seen.add(key)
        try:
            validate_check(fields["status"], fields["temperature"], fields["symptoms"], rules)
        except CordonError as exc:
            errors.append(RowError(int(line), "status", _text(row, "status"), str(exc)))
            continue
        day = day_of(fields["at"], zone)
        if fields["person"] not in monitoring_on(session, day, zone):
            errors.append(
                RowError(int(line), "person", fields["person"],
                         f"is under no quarantine or isolation on {day.isoformat()}")
            )  # fmt: skip
            continue
        parsed.append((int(line), fields))
    if errors:
        raise ImportRefused(str(path), errors)
    added = unchanged = 0
    with unit_of_work(session):
        batch = audit.start_batch(
            session,
            kind="followups",
            path=str(path),
            fmt=file_format.value,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            actor=actor.name,
        )
        for _line, f in parsed:
            known = session.scalar(
                select(FollowUpRow).where(
                    FollowUpRow.person_pk == people[f["person"]], FollowUpRow.at == f["at"]
                )
            )
            if known is not None:
                unchanged += 1
                continue
            _write_check(
                session,
                person=f["person"],
                at=f["at"],
                status=f["status"],
                temperature=f["temperature"],
                symptoms=f["symptoms"],
                notes=f["notes"],
                source=CheckSource.IMPORT,
                checker=f["checker"] or actor.name,
                actor=actor.name,
                zone=zone,
                batch_pk=batch.pk,
            )
            added += 1
        batch.rows_read, batch.rows_added, batch.rows_unchanged = len(frame), added, unchanged
        batch.rows_rejected = 0
    return ImportReport(
        kind="followups",
        path=str(path),
        format=file_format.value,
        read=len(frame),
        added=added,
        updated=0,
        unchanged=unchanged,
        rejected=0,
        batch=batch.pk,
        unknown_columns=unknown,
        notes=[f"unknown column(s) ignored: {', '.join(unknown)}"] if unknown else [],
        seconds=time.perf_counter() - began,
    )
