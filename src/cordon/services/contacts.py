"""Contacts and tracing: derived from the store's presence log (or straight from files, for
analysts working on an export), traced with the active pathogen profile.

Other interfaces call :func:`contacts` and :func:`trace` (store) or :func:`contacts_from_file`
and :func:`trace_from_files` (no store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from cordon.domain.pathogen import PathogenProfile
from cordon.domain.places import PlaceKind
from cordon.domain.records import ExposureSource, Route
from cordon.domain.roles import Actor, Permission, require
from cordon.engine.colocation import DataQuality, colocation_contacts, pair_days
from cordon.engine.trace import ContactGraph, Direction
from cordon.errors import ImportRefused, InvalidValue
from cordon.formats.tables import detect_format, read_table
from cordon.services import index_cache
from cordon.services.tracing import (
    ROUTES,
    SOURCES,
    EdgeSet,
    TraceReport,
    adjust_profile,
    parse_direction,
    prepare_trace,
    run_trace,
    transmitting_routes,
)
from cordon.services.transaction import unit_of_work
from cordon.store import arrays, audit, directory, epidemic, profiles

if TYPE_CHECKING:  # pandas and the validating readers: imported by the paths that use them
    import pandas as pd

    from cordon.formats.schemas import Kind

__all__ = [
    "CONTACT_COLUMNS",
    "DEFAULT_EXCLUDED_KINDS",
    "ContactsResult",
    "ContactsWritten",
    "contacts",
    "contacts_file_to_file",
    "contacts_from_file",
    "contacts_page",
    "contacts_to_file",
    "trace",
    "trace_from_files",
]

CONTACT_COLUMNS = ["a", "b", "place", "start", "end", "duration_s", "route", "source"]
"""The canonical columns of an exposures / contacts file (DESIGN.md)."""
DEFAULT_EXCLUDED_KINDS: tuple[PlaceKind, ...] = (PlaceKind.CORRIDOR,)
"""Places where being together is not a contact: passing someone in a corridor."""
DEFAULT_MIN_OVERLAP = 300


@dataclass(frozen=True)
class ContactsResult:
    """Derived contacts in the canonical columns, the data-quality report, and optionally the
    per-pair-and-day totals (a, b, day, count, duration_s, weighted_s)."""

    frame: pd.DataFrame
    quality: DataQuality
    min_overlap: int
    per_day: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-ready form, with at most ``limit`` rows of each table."""
        rows = self.frame if limit is None else self.frame.head(limit)
        out: dict[str, Any] = {
            "count": len(self.frame),
            "min_overlap_s": self.min_overlap,
            "quality": self.quality.to_dict(),
            "contacts": _records(rows),
        }
        if self.per_day is not None:
            days = self.per_day if limit is None else self.per_day.head(limit)
            out["per_day"] = _records(days)
        return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _derive(
    people: np.ndarray,
    places: np.ndarray,
    presence: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    min_overlap: int,
    exclude: np.ndarray,
    route: Route,
) -> tuple[EdgeSet, DataQuality]:
    """Contacts from presence over dense person and place indices."""
    found, quality = colocation_contacts(
        *presence, min_overlap=min_overlap, exclude_places=exclude if len(exclude) else None
    )
    n = len(found)
    edges = EdgeSet(
        people, places, found.a, found.b, found.place, found.start, found.end, found.duration,
        np.full(n, ROUTES.index(route), dtype=np.int64),
        np.full(n, SOURCES.index(ExposureSource.DERIVED), dtype=np.int64),
    )  # fmt: skip
    return edges, quality


def _frame(edges: EdgeSet) -> pd.DataFrame:
    """Edges as a canonical contacts table (person and place ids, not indices)."""
    import pandas as pd

    place = np.where(edges.place >= 0, edges.place, 0)
    place_names = edges.places[place] if len(edges.places) else np.full(len(edges), None)
    return pd.DataFrame(
        {
            "a": edges.people[edges.a],
            "b": edges.people[edges.b],
            "place": np.where(edges.place >= 0, place_names, np.array(None, dtype=object)),
            "start": edges.start,
            "end": edges.end,
            "duration_s": edges.duration,
            "route": np.array([r.value for r in ROUTES], dtype=object)[edges.route],
            "source": np.array([s.value for s in SOURCES], dtype=object)[edges.source],
        },
        columns=CONTACT_COLUMNS,
    )


def _result(
    edges: EdgeSet,
    quality: DataQuality,
    min_overlap: int,
    *,
    per_day: bool,
    place_weights: Mapping[str, float] | None,
    day_start: int,
) -> ContactsResult:
    import pandas as pd

    frame = _frame(edges)
    days = None
    if per_day:
        from cordon.engine.colocation import ContactArrays

        weights = None
        if place_weights:
            index = {str(p): k for k, p in enumerate(edges.places.tolist())}
            weights = {index[p]: w for p, w in place_weights.items() if p in index}
        agg = pair_days(
            ContactArrays(edges.a, edges.b, edges.place, edges.start, edges.end),
            day_start=day_start,
            place_weight=weights,
        )
        days = pd.DataFrame(
            {
                "a": edges.people[agg.a],
                "b": edges.people[agg.b],
                "day": agg.day,
                "count": agg.count,
                "duration_s": agg.duration,
                "weighted_s": agg.weighted,
            }
        )
    return ContactsResult(frame, quality, min_overlap, days)


# --- from the store -----------------------------------------------------------------------


def _dense(keys: Mapping[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted store keys and the ids in that order."""
    pks = np.array(sorted(keys), dtype=np.int64)
    return pks, np.array([keys[int(k)] for k in pks], dtype=object)


def _params(
    *,
    min_overlap: int,
    since: int | None,
    until: int | None,
    exclude_places: Sequence[str],
    exclude_kinds: Sequence[PlaceKind],
    route: Route,
    derived: bool = True,
    recorded: bool = False,
) -> dict[str, Any]:
    """The question that derives an edge set, in plain values (a cache key's half)."""
    return {
        "min_overlap": int(min_overlap),
        "since": since,
        "until": until,
        "exclude_places": sorted(exclude_places),
        "exclude_kinds": sorted(k.value for k in exclude_kinds),
        "route": route.value,
        "derived": derived,
        "recorded": recorded,
    }


def _edges_arrays(edges: EdgeSet) -> index_cache.Arrays:
    return {
        "people": np.asarray(edges.people.tolist(), dtype=str),
        "places": np.asarray(edges.places.tolist(), dtype=str),
        **{f"e_{n}": getattr(edges, n) for n in _FIELDS},
    }


def _edges_from(arrays: Mapping[str, np.ndarray]) -> EdgeSet:
    people = np.asarray(arrays["people"].tolist(), dtype=object)
    places = np.asarray(arrays["places"].tolist(), dtype=object)
    return EdgeSet(people, places, *(arrays[f"e_{n}"] for n in _FIELDS))


def _quality_meta(quality: DataQuality | None) -> dict[str, Any] | None:
    if quality is None:
        return None
    return {**asdict(quality), "persons": quality.persons.tolist()}


def _cached_store_edges(
    session: Session, params: dict[str, Any]
) -> tuple[EdgeSet, DataQuality | None]:
    """:func:`_store_edges`, answered from the cache while the store is unchanged."""
    key = {"what": "edges", "state": index_cache.store_state(session), **params}
    found = index_cache.get(session, key)
    if found is not None:
        arrays, meta = found
        q = meta["quality"]
        quality = (
            None
            if q is None
            else DataQuality(**{**q, "persons": np.array(q["persons"], dtype=np.int64)})
        )
        return _edges_from(arrays), quality
    edges, quality = _store_edges(
        session, min_overlap=params["min_overlap"], since=params["since"], until=params["until"],
        exclude_places=params["exclude_places"],
        exclude_kinds=[PlaceKind(k) for k in params["exclude_kinds"]], route=Route(params["route"]),
        derived=params["derived"], recorded=params["recorded"],
    )  # fmt: skip
    index_cache.put(session, key, _edges_arrays(edges), {"quality": _quality_meta(quality)})
    return edges, quality


def _store_edges(
    session: Session,
    *,
    min_overlap: int,
    since: int | None,
    until: int | None,
    exclude_places: Sequence[str],
    exclude_kinds: Sequence[PlaceKind],
    route: Route,
    derived: bool = True,
    recorded: bool = False,
) -> tuple[EdgeSet, DataQuality | None]:
    person_pks, people = _dense(arrays.person_ids(session))
    place_pks, places = _dense(arrays.place_ids(session))
    excluded_ids = set(exclude_places)
    unknown = excluded_ids - set(places.tolist())
    if unknown:
        raise InvalidValue(f"no place {', '.join(sorted(unknown))} to exclude")
    excluded_ids |= {p.id for p in directory.list_places(session) if p.kind in exclude_kinds}
    exclude = np.flatnonzero(np.isin(places, list(excluded_ids)))
    parts: list[EdgeSet] = []
    quality = None
    if derived:
        log = arrays.presence_arrays(session, since=since, until=until)
        start, end = log.start, log.end
        if since is not None:
            start = np.maximum(start, since)
        if until is not None:
            end = np.minimum(end, until)
        presence = (
            np.searchsorted(person_pks, log.person),
            np.searchsorted(place_pks, log.place),
            start,
            end,
        )
        edges, quality = _derive(
            people, places, presence, min_overlap=min_overlap, exclude=exclude, route=route
        )
        parts.append(edges)
    if recorded:
        rec = arrays.exposure_arrays(session, since=since, until=until)
        place = np.where(rec.place >= 0, np.searchsorted(place_pks, rec.place), -1)
        # arrays.ROUTE_CODES / SOURCE_CODES enumerate the enums in the same order as ROUTES
        parts.append(
            EdgeSet(
                people,
                places,
                np.searchsorted(person_pks, rec.a),
                np.searchsorted(person_pks, rec.b),
                place,
                rec.start,
                rec.end,
                rec.duration,
                rec.route.astype(np.int64),
                rec.source.astype(np.int64),
            )
        )
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return EdgeSet(people, places, z, z, z, z, z, z, z, z), quality
    joined = EdgeSet(
        people,
        places,
        *(np.concatenate([getattr(p, n) for p in parts]) for n in _FIELDS),
    )
    return joined, quality


_FIELDS = ("a", "b", "place", "start", "end", "duration", "route", "source")


def contacts(
    session: Session,
    *,
    actor: Actor,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    since: int | None = None,
    until: int | None = None,
    exclude_places: Sequence[str] = (),
    exclude_kinds: Sequence[PlaceKind] = DEFAULT_EXCLUDED_KINDS,
    route: Route = Route.SHARED_AIR,
    per_day: bool = False,
    place_weights: Mapping[str, float] | None = None,
) -> ContactsResult:
    """Contacts derived from the store's presence log: every pair of persons together in one
    place for at least ``min_overlap`` seconds within [since, until), marked with ``route``."""
    require(actor, Permission.READ_CONTACTS)
    edges, quality = _cached_store_edges(
        session, _params(min_overlap=min_overlap, since=since, until=until,
                         exclude_places=exclude_places, exclude_kinds=exclude_kinds, route=route),
    )  # fmt: skip
    assert quality is not None
    found = _result(
        edges, quality, min_overlap, per_day=per_day, place_weights=place_weights,
        day_start=since or 0,
    )  # fmt: skip
    _audit_read(session, actor, "contacts", None, {"since": since, "until": until,
                                                   "pairs": len(found)})  # fmt: skip
    return found


def contacts_page(
    session: Session,
    *,
    actor: Actor,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    since: int | None = None,
    until: int | None = None,
    exclude_places: Sequence[str] = (),
    exclude_kinds: Sequence[PlaceKind] = DEFAULT_EXCLUDED_KINDS,
    route: Route = Route.SHARED_AIR,
    offset: int = 0,
    limit: int = 500,
) -> dict[str, Any]:
    """One page of :func:`contacts` (rows ``offset`` to ``offset + limit``) in its JSON form,
    read from the cached contacts while the store is unchanged: only the page is built."""
    require(actor, Permission.READ_CONTACTS)
    edges, quality = _cached_store_edges(
        session, _params(min_overlap=min_overlap, since=since, until=until,
                         exclude_places=exclude_places, exclude_kinds=exclude_kinds, route=route),
    )  # fmt: skip
    assert quality is not None
    page = [getattr(edges, n)[offset : offset + limit] for n in _FIELDS]
    _audit_read(session, actor, "contacts", None, {"since": since, "until": until,
                                                   "pairs": len(edges)})  # fmt: skip
    return {
        "count": len(edges),
        "min_overlap_s": min_overlap,
        "quality": quality.to_dict(),
        "offset": offset,
        "contacts": _head_rows(edges.people, edges.places, page, limit),
    }


def _audit_read(
    session: Session, actor: Actor, entity: str, entity_id: str | None, after: dict[str, Any]
) -> None:
    """Record a read of who met whom in the audit log, like every clinical read (issue 21)."""
    with unit_of_work(session):
        audit.record(
            session, actor=actor.name, action="read", entity=entity, entity_id=entity_id,
            after=after,
        )  # fmt: skip


def _latest_infection(session: Session, persons: Sequence[str]) -> dict[str, int]:
    """The latest a case can have been infected: its onset or confirmation, the earlier."""
    keys = directory.person_keys(session)
    wanted = {keys[p]: p for p in persons if p in keys}
    times = epidemic.case_times(session)
    out: dict[str, int] = {}
    for pk, onset, confirmed in zip(
        times.person.tolist(), times.onset.tolist(), times.confirmed.tolist(), strict=True
    ):
        known = [t for t in (onset, confirmed) if t == t]  # NaN is unknown
        if pk in wanted and known:
            out[wanted[pk]] = int(min(known))
    return out


def trace(
    session: Session,
    *,
    actor: Actor,
    persons: Sequence[str],
    direction: Direction | str = Direction.FORWARD,
    since: int | None = None,
    until: int | None = None,
    profile: PathogenProfile | None = None,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    derived_route: Route = Route.SHARED_AIR,
    exclude_kinds: Sequence[PlaceKind] = DEFAULT_EXCLUDED_KINDS,
    index_window_s: int | None = None,
    chains: bool = True,
    latent_s: int | None = None,
    infectious_s: int | None = None,
    routes: Sequence[Route] | None = None,
) -> TraceReport:
    """Trace from ``persons`` over the store's derived contacts and recorded exposures, with
    ``profile`` (default: the active one) deciding which routes transmit and the windows.

    Forward: the persons are infectious from ``since`` (default: the first record) and the
    trace stops at ``until``. Backward: they were infected at the latest by ``until`` (default:
    the last record) and the trace looks no further back than ``since``. Both: each of them.
    ``latent_s``, ``infectious_s`` and ``routes`` override the profile's.
    """
    require(actor, Permission.READ_CONTACTS)
    profile = adjust_profile(
        profile or profiles.active_profile(session),
        latent_s=latent_s, infectious_s=infectious_s, routes=routes,
    )  # fmt: skip
    derived = profile.transmits(derived_route)
    params = _params(
        min_overlap=min_overlap, since=since, until=until, exclude_places=(),
        exclude_kinds=exclude_kinds, route=derived_route, derived=derived, recorded=True,
    )  # fmt: skip
    key = {"what": "trace", "state": index_cache.store_state(session), **params,
           "transmitting": transmitting_routes(profile).tolist()}  # fmt: skip
    found = index_cache.get(session, key)
    if found is not None:
        arrays, meta = found
        used = _edges_from(arrays)
        graph = ContactGraph.from_arrays({k[2:]: v for k, v in arrays.items() if k[:2] == "g_"})
        quality_dict = meta["quality"]
    else:
        edges, quality = _cached_store_edges(session, params)
        used, graph = prepare_trace(edges, profile)
        quality_dict = quality.to_dict() if quality else None
    had_backward = found is not None and "g_bwd_indptr" in found[0]
    report = run_trace(
        used, list(persons), profile=profile, direction=parse_direction(direction),
        since=since, until=until, index_window_s=index_window_s, chains=chains,
        quality=quality_dict, prepared=(used, graph),
        latest_infection=_latest_infection(session, persons),
    )  # fmt: skip
    stored = graph.arrays()
    if found is None or ("bwd_indptr" in stored and not had_backward):
        index_cache.put(
            session, key, {**_edges_arrays(used), **{f"g_{k}": v for k, v in stored.items()}},
            {"quality": quality_dict},
        )  # fmt: skip
    _audit_read(session, actor, "trace", ",".join(persons)[:200],
                {"persons": list(persons)[:100], "direction": str(direction)})  # fmt: skip
    return report


# --- from files, without a store ----------------------------------------------------------


def _read(
    path: Path, kind: Kind, person_columns: Sequence[str], zone: ZoneInfo, fmt: str | None
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Validate a canonical file against the ids it names itself; a bad row refuses it."""
    from cordon.formats import fields as f
    from cordon.formats.schemas import Refs, validate

    raw = read_table(path, detect_format(path, fmt))
    frame = raw.frame

    def ids(columns: Sequence[str]) -> np.ndarray:
        values = [f.id_text(f.column(frame, c)).to_numpy(dtype=object) for c in columns]
        found = np.unique(np.concatenate(values)) if values and len(frame) else np.zeros(0)
        return np.array([v for v in found.tolist() if v != ""], dtype=object)

    people, places = ids(person_columns), ids(["place"])
    refs = Refs(
        people={str(p): k for k, p in enumerate(people.tolist())},
        places={str(p): k for k, p in enumerate(places.tolist())},
        zone=zone,
    )
    checked = validate(kind, raw, refs, path=str(path))
    if checked.errors:
        raise ImportRefused(str(path), checked.errors)
    return checked.columns, people, places


def contacts_from_file(
    presence: Path,
    *,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    zone: ZoneInfo | None = None,
    fmt: str | None = None,
    exclude_places: Sequence[str] = (),
    route: Route = Route.SHARED_AIR,
    per_day: bool = False,
    place_weights: Mapping[str, float] | None = None,
) -> ContactsResult:
    """Contacts from a canonical presence file (person, place, start, end), no store needed."""
    edges, quality = _file_presence_edges(
        presence, min_overlap=min_overlap, zone=zone or ZoneInfo("UTC"), fmt=fmt,
        exclude_places=exclude_places, route=route,
    )  # fmt: skip
    first = int(edges.start.min()) if len(edges) else 0
    return _result(
        edges, quality, min_overlap, per_day=per_day, place_weights=place_weights,
        day_start=first - first % 86_400,
    )  # fmt: skip


def _file_presence_edges(
    path: Path,
    *,
    min_overlap: int,
    zone: ZoneInfo,
    fmt: str | None,
    exclude_places: Sequence[str],
    route: Route,
) -> tuple[EdgeSet, DataQuality]:
    from cordon.formats.schemas import Kind

    columns, people, places = _read(path, Kind.PRESENCE, ["person"], zone, fmt)
    exclude = np.flatnonzero(np.isin(places, list(exclude_places)))
    p, q, s, e = (
        np.asarray(columns[c], dtype=np.int64)
        for c in ("person_pk", "place_pk", "start_time", "end_time")
    )
    return _derive(
        people, places, (p, q, s, e), min_overlap=min_overlap, exclude=exclude, route=route
    )


# --- file (or store) to file, in chunks ---------------------------------------------------

OUT_CHUNK = 1_000_000
"""Contacts computed and written at a time by the file outputs: memory is bounded by a chunk."""


@dataclass(frozen=True)
class ContactsWritten:
    """What a file output wrote: how many contacts, the data-quality report, the first rows."""

    path: Path
    count: int
    quality: DataQuality | None
    min_overlap: int
    head: list[dict[str, Any]]

    def __len__(self) -> int:
        return self.count

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the first rows only: the rest are in the file)."""
        return {
            "count": self.count,
            "min_overlap_s": self.min_overlap,
            "quality": self.quality.to_dict() if self.quality else None,
            "contacts": self.head,
            "written": str(self.path),
        }


def _head_rows(
    people: np.ndarray, places: np.ndarray, columns: Sequence[np.ndarray], limit: int
) -> list[dict[str, Any]]:
    a, b, place, start, end, duration, route, source = (c[:limit].tolist() for c in columns)
    return [
        {
            "a": str(people[a[k]]),
            "b": str(people[b[k]]),
            "place": str(places[place[k]]) if place[k] >= 0 else None,
            "start": start[k],
            "end": end[k],
            "duration_s": duration[k],
            "route": ROUTES[route[k]].value,
            "source": SOURCES[source[k]].value,
        }
        for k in range(len(a))
    ]


def _write_edges(
    edges: EdgeSet, out: Path, out_fmt: str | None, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """Write an edge set to ``out`` in slices; the count and the first ``limit`` rows."""
    from cordon.formats.columnar import ContactWriter

    fmt = detect_format(out, out_fmt)
    with ContactWriter(
        out, fmt, people=edges.people, places=edges.places,
        routes=[r.value for r in ROUTES], sources=[x.value for x in SOURCES],
    ) as writer:  # fmt: skip
        for lo in range(0, max(len(edges), 1), OUT_CHUNK):
            writer.write(*(getattr(edges, n)[lo : lo + OUT_CHUNK] for n in _FIELDS))
    head = _head_rows(edges.people, edges.places, [getattr(edges, n) for n in _FIELDS], limit)
    return writer.rows, head


def contacts_file_to_file(
    presence: Path,
    out: Path,
    *,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    zone: ZoneInfo | None = None,
    fmt: str | None = None,
    out_fmt: str | None = None,
    exclude_places: Sequence[str] = (),
    route: Route = Route.SHARED_AIR,
    limit: int = 20,
    chunk: int = OUT_CHUNK,
) -> ContactsWritten:
    """Contacts from a presence file written to ``out``, columnar from end to end.

    The same rows in the same order as :func:`contacts_from_file` then ``write_table``; ids are
    read into integer codes with pyarrow and written dictionary-encoded, chunk by chunk. A file
    that needs row-by-row validation takes the validating reader (which names the bad rows).
    """
    from cordon.engine.colocation import iter_colocation_contacts
    from cordon.formats.columnar import ContactWriter, read_presence

    zone = zone or ZoneInfo("UTC")
    in_fmt = detect_format(presence, fmt)
    out_format = detect_format(out, out_fmt)
    if not presence.exists() or presence.is_dir():
        read_table(presence, in_fmt)  # refuses with the reason
    codes = read_presence(presence, in_fmt, zone)
    if codes is None:
        edges, quality = _file_presence_edges(
            presence, min_overlap=min_overlap, zone=zone, fmt=fmt,
            exclude_places=exclude_places, route=route,
        )  # fmt: skip
        count, first = _write_edges(edges, out, out_fmt, limit)
        return ContactsWritten(out, count, quality, min_overlap, first)
    places = np.asarray(codes.places.to_numpy(zero_copy_only=False), dtype=object)
    people = np.asarray(codes.people.to_numpy(zero_copy_only=False), dtype=object)
    exclude = np.flatnonzero(np.isin(places, list(exclude_places)))
    quality, _total, chunks = iter_colocation_contacts(
        codes.person, codes.place, codes.start, codes.end, min_overlap=min_overlap,
        exclude_places=exclude if len(exclude) else None, chunk=chunk,
    )  # fmt: skip
    route_code, source_code = ROUTES.index(route), SOURCES.index(ExposureSource.DERIVED)
    head: list[dict[str, Any]] = []
    with ContactWriter(
        out, out_format, people=codes.people, places=codes.places,
        routes=[r.value for r in ROUTES], sources=[x.value for x in SOURCES],
    ) as writer:  # fmt: skip
        for found in chunks:
            n = len(found)
            columns = (
                found.a, found.b, found.place, found.start, found.end, found.duration,
                np.full(n, route_code, dtype=np.int64), np.full(n, source_code, dtype=np.int64),
            )  # fmt: skip
            if len(head) < limit:
                head += _head_rows(people, places, columns, limit - len(head))
            writer.write(*columns)
    return ContactsWritten(out, writer.rows, quality, min_overlap, head)


def contacts_to_file(
    session: Session,
    out: Path,
    *,
    actor: Actor,
    out_fmt: str | None = None,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    since: int | None = None,
    until: int | None = None,
    exclude_places: Sequence[str] = (),
    exclude_kinds: Sequence[PlaceKind] = DEFAULT_EXCLUDED_KINDS,
    route: Route = Route.SHARED_AIR,
    limit: int = 20,
) -> ContactsWritten:
    """The store's derived contacts (as :func:`contacts`) written to ``out`` in chunks."""
    require(actor, Permission.READ_CONTACTS)
    edges, quality = _cached_store_edges(
        session, _params(min_overlap=min_overlap, since=since, until=until,
                         exclude_places=exclude_places, exclude_kinds=exclude_kinds, route=route),
    )  # fmt: skip
    count, head = _write_edges(edges, out, out_fmt, limit)
    _audit_read(session, actor, "contacts", None, {"since": since, "until": until,
                                                   "pairs": count})  # fmt: skip
    return ContactsWritten(out, count, quality, min_overlap, head)


def trace_from_files(
    persons: Sequence[str],
    *,
    contacts: Path | None = None,
    presence: Path | None = None,
    direction: Direction | str = Direction.FORWARD,
    since: int | None = None,
    until: int | None = None,
    profile: PathogenProfile | None = None,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    derived_route: Route = Route.SHARED_AIR,
    zone: ZoneInfo | None = None,
    index_window_s: int | None = None,
    chains: bool = True,
    latent_s: int | None = None,
    infectious_s: int | None = None,
    routes: Sequence[Route] | None = None,
    scheduler: Any = None,
) -> TraceReport:
    """Trace over a canonical contacts file and/or contacts derived from a presence file
    (same meaning of the arguments as :func:`trace`; the profile defaults to the built-in one).
    With ``scheduler`` the contacts are derived on that Dask cluster (:mod:`contacts_dask`) and
    the trace runs here, over them."""
    if contacts is None and presence is None:
        raise InvalidValue("give a contacts file, a presence file, or both")
    zone = zone or ZoneInfo("UTC")
    profile = adjust_profile(
        profile or PathogenProfile(name="default"),
        latent_s=latent_s, infectious_s=infectious_s, routes=routes,
    )  # fmt: skip
    parts: list[EdgeSet] = []
    quality = None
    if contacts is not None:
        from cordon.formats.schemas import Kind

        cols, people, places = _read(contacts, Kind.EXPOSURES, ["a", "b"], zone, None)
        parts.append(
            EdgeSet(
                people,
                places,
                np.asarray(cols["a_pk"], dtype=np.int64),
                np.asarray(cols["b_pk"], dtype=np.int64),
                np.asarray(cols["place_pk"], dtype=np.int64),
                np.asarray(cols["start_time"], dtype=np.int64),
                np.asarray(cols["end_time"], dtype=np.int64),
                np.asarray(cols["duration_s"], dtype=np.int64),
                np.array([ROUTES.index(Route(r)) for r in cols["route"]], dtype=np.int64),
                np.array(
                    [SOURCES.index(ExposureSource(s)) for s in cols["source"]], dtype=np.int64
                ),
            )
        )
    if presence is not None and profile.transmits(derived_route) and scheduler is not None:
        edges, quality = _dask_presence_edges(presence, scheduler, min_overlap, derived_route)
        parts.append(edges)
    elif presence is not None and profile.transmits(derived_route):
        edges, q = _file_presence_edges(
            presence, min_overlap=min_overlap, zone=zone, fmt=None, exclude_places=(),
            route=derived_route,
        )  # fmt: skip
        parts.append(edges)
        quality = q.to_dict()
    return run_trace(
        _union(parts), list(persons), profile=profile, direction=parse_direction(direction),
        since=since, until=until, index_window_s=index_window_s, chains=chains, quality=quality,
    )  # fmt: skip


def _dask_presence_edges(
    presence: Path, scheduler: Any, min_overlap: int, route: Route
) -> tuple[EdgeSet, dict[str, Any]]:
    """Contacts derived on a Dask cluster into a private temporary folder, read back as edges."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from cordon.formats.columnar import id_codes
    from cordon.services.contacts_dask import contacts_on_dask

    with tempfile.TemporaryDirectory(prefix="cordon-contacts-") as folder:
        done = contacts_on_dask(
            presence, Path(folder) / "parts", scheduler=scheduler, min_overlap=min_overlap
        )
        files = sorted((Path(folder) / "parts").glob("*.parquet"))
        tables = [pq.read_table(f) for f in files]
    columns = {
        name: pa.chunked_array(
            [c for t in tables for c in t[name].cast(pa.string()).chunks], type=pa.string()
        )
        for name in ("a", "b", "place")
    }
    n = sum(t.num_rows for t in tables)
    people, codes = id_codes(pa.chunked_array(columns["a"].chunks + columns["b"].chunks))
    places, place = id_codes(columns["place"])

    def ints(name: str) -> np.ndarray:
        return np.concatenate([t[name].to_numpy() for t in tables] or [np.zeros(0)]).astype(
            np.int64
        )

    edges = EdgeSet(
        np.asarray(people.to_pylist(), dtype=object), np.asarray(places.to_pylist(), dtype=object),
        codes[:n], codes[n:], place, ints("start"), ints("end"), ints("duration_s"),
        np.full(n, ROUTES.index(route), dtype=np.int64),
        np.full(n, SOURCES.index(ExposureSource.DERIVED), dtype=np.int64),
    )  # fmt: skip
    return edges, done.quality


def _union(parts: list[EdgeSet]) -> EdgeSet:
    """Edge sets over different id lists, re-indexed onto the union of their ids."""
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        empty = np.zeros(0, dtype=object)
        return EdgeSet(empty, empty, z, z, z, z, z, z, z, z)
    if len(parts) == 1:
        return parts[0]
    people = np.unique(np.concatenate([p.people for p in parts]).astype(str)).astype(object)
    places = np.unique(np.concatenate([p.places for p in parts]).astype(str)).astype(object)
    columns: dict[str, list[np.ndarray]] = {n: [] for n in _FIELDS}
    for part in parts:
        pmap = np.searchsorted(people.astype(str), part.people.astype(str))
        qmap = np.searchsorted(places.astype(str), part.places.astype(str))
        columns["a"].append(pmap[part.a])
        columns["b"].append(pmap[part.b])
        columns["place"].append(
            np.where(part.place >= 0, qmap[np.maximum(part.place, 0)] if len(qmap) else -1, -1)
        )
        for name in ("start", "end", "duration", "route", "source"):
            columns[name].append(getattr(part, name))
    return EdgeSet(people, places, *(np.concatenate(columns[n]) for n in _FIELDS))
