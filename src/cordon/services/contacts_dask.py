"""Contacts past one machine: co-location on a Dask cluster, from a Parquet dataset to a folder
of Parquet (or CSV, JSON lines) parts, partitioned by place and day.

Two shuffles make it exact. First by (person, place): each person's overlapping intervals in a
place are merged there (they may span any number of days), and intervals shorter than the
minimum overlap dropped, exactly as on one machine (:func:`merged_presence`). Then each merged
interval is copied to every day on which a contact with it could start (a contact starts at
``max(s1, s2)``, which lies in ``[s, e - min_overlap]`` of both intervals), and the copies are
shuffled by (place, day). A worker joins each (place, day) group with the same kernel and keeps
the contacts that start on that day: each contact is found once, with the start and end the
single-machine run gives, since every copy carries its whole interval. A worker holds one
partition's intervals and one chunk of its output at a time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cordon.engine.colocation import DEFAULT_MIN_OVERLAP, iter_colocation_contacts, merged_presence
from cordon.errors import InvalidValue

__all__ = ["DaskContacts", "contacts_on_dask"]

DAY = 86_400
_PRESENCE = ["person", "place", "start", "end"]


@dataclass(frozen=True)
class DaskContacts:
    """What a partitioned run wrote: the folder of parts, how many contacts, the data quality
    (summed over the partitions; ``persons`` are ids), and how many parts."""

    folder: Path
    count: int
    quality: dict[str, Any]
    persons: list[str]
    parts: int


def _seconds(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values.dt.tz_convert("UTC") if values.dt.tz is not None else values
        nanos = stamps.dt.tz_localize(None).astype("datetime64[ns]").astype("int64")
        seconds: np.ndarray = np.floor_divide(nanos.to_numpy(), 1_000_000_000)
        return seconds
    if not pd.api.types.is_integer_dtype(values.dtype) or values.isna().any():
        raise InvalidValue("a partitioned run needs start and end as epoch seconds or timestamps")
    return values.to_numpy(dtype=np.int64)


def _merge_part(
    frame: pd.DataFrame, min_overlap: int, exclude: Sequence[str], day: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Phase 1 on one (person, place) partition: merged intervals, copied to their days."""
    if frame[["person", "place"]].isna().any().any():
        raise InvalidValue("a partitioned run needs every person and place id")
    person_code, people = pd.factorize(frame["person"].astype(str), sort=True)
    place_code, places = pd.factorize(frame["place"].astype(str), sort=True)
    excluded = np.flatnonzero(np.isin(np.asarray(places, dtype=object), list(exclude)))
    (p, q, s, e), quality = merged_presence(
        person_code, place_code, _seconds(frame["start"]), _seconds(frame["end"]),
        min_overlap=min_overlap, exclude_places=excluded if len(excluded) else None,
    )  # fmt: skip
    d = max(int(min_overlap), 1)
    first, last = s // day, (e - d) // day
    copies = (last - first + 1).astype(np.int64)
    rows = np.repeat(np.arange(len(p)), copies)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(copies) - copies, copies)
    merged = pd.DataFrame(
        {
            "person": np.asarray(people, dtype=object)[p[rows]],
            "place": np.asarray(places, dtype=object)[q[rows]],
            "start": s[rows],
            "end": e[rows],
            "day": first[rows] + offset,
        }
    ).astype({"person": "str", "place": "str"})
    stats = {**quality.to_dict(), "persons": np.asarray(people, dtype=object)[quality.persons]}
    stats.pop("persons_with_overlapping_intervals")
    return merged, stats


def _join_part(
    frame: pd.DataFrame, min_overlap: int, day: int, folder: str, index: int, suffix: str
) -> int:
    """Phase 2 on one (place, day) partition: the contacts starting on each group's day,
    written to this partition's file in chunks."""
    from cordon.domain.records import ExposureSource, Route
    from cordon.formats.columnar import ContactWriter
    from cordon.formats.tables import detect_format
    from cordon.services.tracing import ROUTES, SOURCES

    path = Path(folder) / f"part-{index:05d}.{suffix}"
    person_code, people = pd.factorize(frame["person"].astype(str), sort=True)
    groups = frame[["place", "day"]].astype({"place": str}).reset_index(drop=True)
    group_code, group_keys = pd.factorize(pd.MultiIndex.from_frame(groups), sort=True)
    place_code, places = pd.factorize(
        np.asarray([k[0] for k in group_keys], dtype=object), sort=True
    )
    group_day = np.asarray([k[1] for k in group_keys], dtype=np.int64)
    _quality, _total, chunks = iter_colocation_contacts(
        person_code, group_code, frame["start"].to_numpy(np.int64), frame["end"].to_numpy(np.int64),
        min_overlap=min_overlap,
    )  # fmt: skip
    route, source = ROUTES.index(Route.SHARED_AIR), SOURCES.index(ExposureSource.DERIVED)
    with ContactWriter(
        path, detect_format(path), people=np.asarray(people, dtype=object),
        places=np.asarray(places, dtype=object), routes=[r.value for r in ROUTES],
        sources=[x.value for x in SOURCES],
    ) as writer:  # fmt: skip
        for found in chunks:
            keep = found.start // day == group_day[found.place]
            n = int(keep.sum())
            writer.write(
                found.a[keep], found.b[keep], place_code[found.place[keep]], found.start[keep],
                found.end[keep], found.duration[keep], np.full(n, route), np.full(n, source),
            )  # fmt: skip
        return writer.rows


def _client(scheduler: Any) -> tuple[Any, Any | None]:
    """A client for ``scheduler`` (``local``, an address, or a client), and a cluster to close."""
    import distributed

    client_class: Any = distributed.Client  # distributed is untyped
    local_cluster: Any = distributed.LocalCluster
    if isinstance(scheduler, client_class):
        return scheduler, None
    if scheduler == "local":
        workers = max(1, min(os.cpu_count() or 1, 4))
        cluster = local_cluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
        return client_class(cluster), cluster
    return client_class(str(scheduler)), None


def contacts_on_dask(
    presence: Path,
    out: Path,
    *,
    scheduler: Any,
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    exclude_places: Sequence[str] = (),
    partitions: int | None = None,
    day: int = DAY,
    suffix: str = "parquet",
) -> DaskContacts:
    """Contacts of a presence Parquet file or dataset (person, place, start, end: epoch seconds
    or timestamps), computed on the Dask cluster at ``scheduler`` (``local`` starts one here)
    and written to the folder ``out`` as ``part-NNNNN.<suffix>`` files."""
    import dask.dataframe as dd
    from dask.base import compute as dask_compute
    from dask.delayed import delayed as dask_delayed

    compute: Any = dask_compute  # dask is untyped
    delayed: Any = dask_delayed

    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)  # "shuffle initialized"
    if not presence.exists():
        raise InvalidValue(f"{presence}: no such file or folder")
    if out.exists() and any(out.iterdir()):
        raise InvalidValue(f"{out}: give an empty or new folder for the parts")
    out.mkdir(parents=True, exist_ok=True)
    client, cluster = _client(scheduler)
    try:
        frame = dd.read_parquet(str(presence), columns=_PRESENCE)
        n = partitions or max(frame.npartitions, 2)
        by_person = frame.shuffle(on=["person", "place"], npartitions=n)
        phase1 = [
            delayed(_merge_part)(part, min_overlap, list(exclude_places), day)
            for part in by_person.to_delayed()
        ]
        meta = pd.DataFrame(
            {"person": pd.Series(dtype="str"), "place": pd.Series(dtype="str"),
             "start": pd.Series(dtype=np.int64), "end": pd.Series(dtype=np.int64),
             "day": pd.Series(dtype=np.int64)}
        )  # fmt: skip
        merged = dd.from_delayed([delayed(lambda r: r[0])(r) for r in phase1], meta=meta)
        by_day = merged.shuffle(on=["place", "day"], npartitions=n)
        written = [
            delayed(_join_part)(part, min_overlap, day, str(out), k, suffix)
            for k, part in enumerate(by_day.to_delayed())
        ]
        stats = [delayed(lambda r: r[1])(r) for r in phase1]
        counts, quality = compute(written, stats, scheduler=client.get)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    total: dict[str, Any] = {}
    persons: set[str] = set()
    for part in quality:
        persons |= {str(x) for x in part.pop("persons")}
        for key, value in part.items():
            total[key] = total.get(key, 0) + int(value)
    total["persons_with_overlapping_intervals"] = len(persons)
    return DaskContacts(out, int(sum(counts)), total, sorted(persons), len(counts))
