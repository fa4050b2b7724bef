"""Loading 1 million presence rows: cordon's import (validate + fast path) against pandas.to_sql.

Run: ``.venv/bin/python -m bench bulk_load`` (PostgreSQL at CORDON_TEST_PG, default
127.0.0.1:5432/test). Prints seconds, rows per second and the ratio to the peer, on SQLite and
PostgreSQL, for the same CSV file in the same run.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg

from cordon.domain.roles import Actor
from cordon.formats.schemas import Kind
from cordon.services.admin import init_store
from cordon.services.imports import import_file
from cordon.store.db import Store

PG = os.environ.get("CORDON_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
BENCH = Actor("bench")
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def facility(folder: Path, rows: int, seed: int = 7) -> dict[str, Path]:
    """Places, people and a presence log of ``rows`` badge intervals."""
    rng = np.random.default_rng(seed)
    n_people, n_places = 20_000, 2_000
    places = pd.DataFrame(
        {"id": [f"z{k}" for k in range(n_places)], "name": "zone", "kind": "hall"}
    )
    people = pd.DataFrame(
        {"id": [f"p{k}" for k in range(n_people)], "name": "x", "role": "resident"}
    )
    start = 1_795_000_000 + rng.integers(0, 6 * 86_400, rows)
    presence = pd.DataFrame(
        {
            "person": np.char.add("p", rng.integers(0, n_people, rows).astype(str)),
            "place": np.char.add("z", rng.integers(0, n_places, rows).astype(str)),
            "start": start,
            "end": start + rng.integers(60, 4 * 3600, rows),
        }
    )
    paths = {
        "places": folder / "places.csv",
        "people": folder / "people.csv",
        "presence": folder / "presence.csv",
    }
    places.to_csv(paths["places"], index=False)
    people.to_csv(paths["people"], index=False)
    presence.to_csv(paths["presence"], index=False)
    return paths


def fresh_store(url: str, paths: dict[str, Path]) -> Store:
    """A new store with the facility's places and people loaded."""
    store = Store(url)
    init_store(store, actor="bench")
    utc = ZoneInfo("UTC")
    with store.session() as session:
        import_file(session, paths["places"], kind=Kind.PLACES, actor=BENCH, zone=utc)
        import_file(session, paths["people"], kind=Kind.PEOPLE, actor=BENCH, zone=utc)
    return store


def cordon_load(url: str, paths: dict[str, Path]) -> tuple[float, int]:
    """Seconds for ``cordon import presence`` (read, validate every row, load) on a fresh store."""
    store = fresh_store(url, paths)
    began = time.perf_counter()
    with store.session() as session:
        report = import_file(
            session, paths["presence"], kind=Kind.PRESENCE, actor=BENCH, zone=ZoneInfo("UTC")
        )
    seconds = time.perf_counter() - began
    store.dispose()
    return seconds, report.added


def peer_load(url: str, paths: dict[str, Path]) -> float:
    """Seconds for the analyst's way into the same table (same keys, indexes and foreign keys):
    pandas.read_csv, ids mapped to keys, duplicates dropped, DataFrame.to_sql; no validation."""
    store = fresh_store(url, paths)
    engine = store.engine
    began = time.perf_counter()
    frame = pd.read_csv(paths["presence"])
    people = pd.read_sql("SELECT id, pk FROM person", engine).set_index("id")["pk"]
    places = pd.read_sql("SELECT id, pk FROM place", engine).set_index("id")["pk"]
    rows = pd.DataFrame(
        {
            "person_pk": frame["person"].map(people),
            "place_pk": frame["place"].map(places),
            "start_time": frame["start"],
            "end_time": frame["end"],
        }
    ).drop_duplicates()
    rows.to_sql("presence", engine, if_exists="append", index=False, chunksize=50_000)
    seconds = time.perf_counter() - began
    store.dispose()
    return seconds


def pg_schema() -> tuple[str, str]:
    """A fresh PostgreSQL schema and a URL whose search path is it."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    base = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    return schema, f"{base}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    """Remove a benchmark schema."""
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    """Run on SQLite and PostgreSQL and print a table."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = facility(folder, ROWS)
        print(f"presence rows: {ROWS:,} ({paths['presence'].stat().st_size / 1e6:.0f} MB CSV)")
        print(f"{'database':<12}{'cordon s':>10}{'rows/s':>12}{'to_sql s':>10}{'ratio':>8}")
        for name in ("sqlite", "postgresql"):
            if name == "sqlite":
                url, peer_url, schema = (
                    f"sqlite:///{folder / 'c.db'}",
                    f"sqlite:///{folder / 'p.db'}",
                    None,
                )
            else:
                schema, url = pg_schema()
                peer_schema, peer_url = pg_schema()
            try:
                seconds, added = cordon_load(url, paths)
                assert added == ROWS, added
                peer = peer_load(peer_url, paths)
            finally:
                if schema:
                    drop_schema(schema)
                    drop_schema(peer_schema)
            print(
                f"{name:<12}{seconds:>10.2f}{ROWS / seconds:>12,.0f}"
                f"{peer:>10.2f}{peer / seconds:>7.1f}x"
            )


if __name__ == "__main__":
    main()
