"""The canonical file formats of DESIGN.md: their columns, and row-by-row validation of each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from cordon.domain.people import ROLE_ALIASES, Role
from cordon.domain.places import PLACE_ALIASES, PlaceKind
from cordon.domain.records import (
    CREDENTIAL_ALIASES,
    OUTCOME_ALIASES,
    ROUTE_ALIASES,
    Credential,
    Direction,
    ExposureSource,
    LabOutcome,
    Route,
)
from cordon.errors import ImportRefused, InvalidValue, RowError
from cordon.formats import fields as f
from cordon.formats.tables import RawTable

__all__ = ["COLUMNS", "Kind", "Refs", "Validated", "parse_kind", "rejected_rows", "validate"]


class Kind(StrEnum):
    """The kinds of record a facility can import."""

    PEOPLE = "people"
    PLACES = "places"
    PRESENCE = "presence"
    PASSAGES = "passages"
    EXPOSURES = "exposures"
    LAB = "lab"
    GATHERINGS = "gatherings"


_KIND_ALIASES = {
    "person": "people",
    "place": "places",
    "passage": "passages",
    "exposure": "exposures",
    "contacts": "exposures",
    "contact": "exposures",
    "lab_results": "lab",
    "results": "lab",
    "gathering": "gatherings",
    "events": "gatherings",
}

COLUMNS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Kind.PEOPLE: (("id", "name", "role"), ("affiliation", "home")),
    Kind.PLACES: (("id", "name", "kind"), ("capacity", "parent", "exit")),
    Kind.PRESENCE: (("person", "place", "start", "end"), ()),
    Kind.PASSAGES: (
        ("person", "place", "time", "direction"),
        ("credential", "companions", "camera"),
    ),
    Kind.EXPOSURES: (("a", "b", "start"), ("place", "end", "duration_s", "route", "source")),
    Kind.LAB: (("person", "collected_at", "assay", "result"), ("quantity",)),
    Kind.GATHERINGS: (("id", "name", "place", "start", "end"), ("participants", "kind")),
}
"""Required and optional columns of each kind."""


def parse_kind(text: str) -> Kind:
    """The kind named by ``text`` (singular and a few synonyms accepted)."""
    from cordon.domain.vocab import choice

    try:
        return choice(Kind, text, _KIND_ALIASES)
    except InvalidValue:
        raise InvalidValue(
            f"unknown kind {text!r}: use one of {', '.join(k.value for k in Kind)} or sociopatterns"
        ) from None


@dataclass(frozen=True)
class Refs:
    """What the store already knows, to check references against."""

    people: Mapping[str, int]
    places: Mapping[str, int]
    zone: ZoneInfo
    place_parents: Mapping[str, str | None] = field(default_factory=dict)


@dataclass
class Validated:
    """The good rows of a file as typed columns, and every problem of the bad ones."""

    kind: Kind
    columns: dict[str, Any]
    lines: np.ndarray
    errors: list[RowError]
    rejected: pd.DataFrame
    read: int
    unknown_columns: list[str]

    @property
    def good(self) -> int:
        """How many rows passed validation."""
        return len(self.lines)


def validate(kind: Kind, raw: RawTable, refs: Refs, *, path: str) -> Validated:
    """Check every row of ``raw`` as ``kind``; a missing required column refuses the file."""
    required, optional = COLUMNS[kind]
    present = set(raw.frame.columns)
    missing = [c for c in required if c not in present]
    if missing and (len(raw.frame) or not raw.broken):
        raise ImportRefused(
            path,
            [],
            problem=(
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                f"(a {kind.value} file has {', '.join(required + optional)})"
            ),
        )
    problems = f.Problems(raw.frame, raw.lines)
    columns = _VALIDATORS[kind](raw.frame, problems, refs)
    keep = ~problems.bad
    good = {name: _select(values, keep) for name, values in columns.items()}
    errors = sorted(raw.broken + problems.errors(), key=lambda e: e.line)
    return Validated(
        kind=kind,
        columns=good,
        lines=raw.lines[keep],
        errors=errors,
        rejected=rejected_rows(raw, problems),
        read=len(raw.frame) + len(raw.broken),
        unknown_columns=sorted(present - set(required) - set(optional)),
    )


def _select(values: Any, keep: np.ndarray) -> Any:
    if isinstance(values, list):
        return [v for v, k in zip(values, keep.tolist(), strict=True) if k]
    return values[keep]


def rejected_rows(raw: RawTable, problems: f.Problems) -> pd.DataFrame:
    reasons = problems.reasons_by_row()
    rows = sorted(reasons)
    frame = raw.frame.iloc[rows].astype(object).copy() if rows else raw.frame.iloc[0:0].copy()
    frame.insert(0, "line", raw.lines[rows] if rows else np.array([], dtype=np.int64))
    frame["problems"] = ["; ".join(reasons[r]) for r in rows]
    if raw.broken:
        broken = pd.DataFrame(
            {
                "line": [e.line for e in raw.broken],
                "problems": [f"{e.reason}: {e.value}" for e in raw.broken],
            }
        )
        frame = pd.concat([frame, broken], ignore_index=True).sort_values("line", kind="stable")
    return frame.reset_index(drop=True)


def _duplicates(frame: pd.DataFrame, problems: f.Problems, ids: np.ndarray) -> None:
    series = pd.Series(ids)
    dup = series.duplicated(keep="first").to_numpy() & pd.notna(ids)
    if dup.any():
        first_line = dict(zip(series[~dup].tolist(), problems.lines[~dup].tolist(), strict=True))
        reasons = np.array(
            [
                f"duplicate id (first on line {first_line.get(v)})" if d else ""
                for v, d in zip(ids, dup, strict=True)
            ],
            dtype=object,
        )
        problems.flag(dup, "id", reasons)


def _people(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    ids = f.ids(frame, "id", p, required=True)
    _duplicates(frame, p, ids)
    return {
        "id": ids,
        "name": f.text(frame, "name", p, required=True),
        "role": f.choice(frame, "role", p, Role, aliases=ROLE_ALIASES),
        "affiliation": f.text(frame, "affiliation", p, required=False),
        "home": f.refs(frame, "home", p, refs.places, what="place", required=False),
    }


def _places(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    ids = f.ids(frame, "id", p, required=True)
    _duplicates(frame, p, ids)
    parents = f.ids(frame, "parent", p, required=False)
    known = set(refs.places) | {i for i in ids.tolist() if i is not None}
    unknown = np.array([q is not None and q not in known for q in parents.tolist()], dtype=bool)
    p.flag(unknown, "parent", "is not a known place id (in the store or this file)")
    p.flag(
        np.array([q is not None and q == i for q, i in zip(parents, ids, strict=True)]),
        "parent",
        "is the place itself",
    )
    _parent_cycles(ids, parents, p, refs)
    capacity, _ = f.integer(frame, "capacity", p, required=False, low=0, high=10_000_000)
    has_capacity = (f.as_text(f.column(frame, "capacity")) != "").to_numpy()
    return {
        "id": ids,
        "name": f.text(frame, "name", p, required=True),
        "kind": f.choice(frame, "kind", p, PlaceKind, aliases=PLACE_ALIASES),
        "capacity": np.where(has_capacity, capacity, -1),
        "parent": parents,
        "exit": f.boolean(frame, "exit", p),
    }


def _parent_cycles(ids: np.ndarray, parents: np.ndarray, p: f.Problems, refs: Refs) -> None:
    graph: dict[str, str | None] = dict(refs.place_parents)
    graph.update(
        {i: q for i, q in zip(ids.tolist(), parents.tolist(), strict=True) if i is not None}
    )
    looping = np.zeros(len(ids), dtype=bool)
    for row, start in enumerate(ids.tolist()):
        seen: set[str] = set()
        node: str | None = start
        while node is not None and node not in seen:
            seen.add(node)
            node = graph.get(node)
        looping[row] = node is not None and node == start and parents[row] != start
    p.flag(looping, "parent", "makes a loop of parents")


def _presence(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    start, ok_start = f.times(frame, "start", p, refs.zone)
    end, ok_end = f.times(frame, "end", p, refs.zone)
    p.flag(ok_start & ok_end & (end < start), "end", "is before start")
    return {
        "person_pk": f.refs(frame, "person", p, refs.people, what="person"),
        "place_pk": f.refs(frame, "place", p, refs.places, what="place"),
        "start_time": start,
        "end_time": end,
    }


def _passages(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    time, _ = f.times(frame, "time", p, refs.zone)
    person = f.ids(frame, "person", p, required=False)
    companions = f.id_lists(frame, "companions", p, refs.people, what="person")
    self_escort = np.array(
        [who in group for who, group in zip(person, companions, strict=True)], dtype=bool
    )
    p.flag(self_escort, "companions", "lists the person themselves")
    return {
        "person_pk": f.refs(frame, "person", p, refs.people, what="person"),
        "place_pk": f.refs(frame, "place", p, refs.places, what="place"),
        "at": time,
        "direction": f.choice(
            frame, "direction", p, Direction, aliases={"enter": "in", "exit": "out", "leave": "out"}
        ),
        "credential": f.choice(
            frame, "credential", p, Credential, aliases=CREDENTIAL_ALIASES, default=Credential.BADGE
        ),
        "companions": companions,
        "camera": f.text(frame, "camera", p, required=False),
    }


def _exposures(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    a = f.refs(frame, "a", p, refs.people, what="person")
    b = f.refs(frame, "b", p, refs.people, what="person")
    p.flag((a == b) & (a != f.MISSING), "b", "is the same person as a")
    start, ok_start = f.times(frame, "start", p, refs.zone)
    end, ok_end = f.times(frame, "end", p, refs.zone, required=False)
    duration, has_duration = f.integer(frame, "duration_s", p, required=False, low=0, high=10**9)
    end = np.where(ok_end, end, np.where(has_duration, start + duration, start))
    p.flag(ok_start & ok_end & (end < start), "end", "is before start")
    too_long = ok_start & ok_end & has_duration & (duration > end - start)
    p.flag(too_long, "duration_s", "is longer than end - start")
    return {
        "a_pk": a,
        "b_pk": b,
        "place_pk": f.refs(frame, "place", p, refs.places, what="place", required=False),
        "start_time": start,
        "end_time": end,
        "duration_s": np.where(has_duration, duration, end - start),
        "route": f.choice(frame, "route", p, Route, aliases=ROUTE_ALIASES, default=Route.CLOSE),
        "source": f.choice(frame, "source", p, ExposureSource, default=ExposureSource.REPORTED),
    }


def _lab(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    collected, _ = f.times(frame, "collected_at", p, refs.zone)
    return {
        "person_pk": f.refs(frame, "person", p, refs.people, what="person"),
        "collected_at": collected,
        "assay": f.text(frame, "assay", p, required=True, max_len=100),
        "result": f.choice(frame, "result", p, LabOutcome, aliases=OUTCOME_ALIASES),
        "quantity": f.number(frame, "quantity", p, low=0.0),
    }


def _gatherings(frame: pd.DataFrame, p: f.Problems, refs: Refs) -> dict[str, Any]:
    ids = f.ids(frame, "id", p, required=True)
    _duplicates(frame, p, ids)
    start, ok_start = f.times(frame, "start", p, refs.zone)
    end, ok_end = f.times(frame, "end", p, refs.zone)
    p.flag(ok_start & ok_end & (end < start), "end", "is before start")
    kinds = f.text(frame, "kind", p, required=False, max_len=32)
    return {
        "id": ids,
        "name": f.text(frame, "name", p, required=True),
        "place_pk": f.refs(frame, "place", p, refs.places, what="place"),
        "start_time": start,
        "end_time": end,
        "participants": f.id_lists(frame, "participants", p, refs.people, what="person"),
        "kind": np.array([k or "event" for k in kinds.tolist()], dtype=object),
    }


_VALIDATORS: dict[Kind, Callable[[pd.DataFrame, f.Problems, Refs], dict[str, Any]]] = {
    Kind.PEOPLE: _people,
    Kind.PLACES: _places,
    Kind.PRESENCE: _presence,
    Kind.PASSAGES: _passages,
    Kind.EXPOSURES: _exposures,
    Kind.LAB: _lab,
    Kind.GATHERINGS: _gatherings,
}
