"""The Venus demo: seconds to generate the scenario and to load it, on SQLite and PostgreSQL.

Run: ``.venv/bin/python -m bench venus_demo``. Generation is timed in its two halves (the story
and everyone's walk, then the canonical CSV files); loading is ``services.demo.run_demo`` on a
fresh store (the importers validate every row), then again on the loaded store (idempotent: adds
nothing). The peer is the analyst's way into the same tables: ``DataFrame.to_sql`` of the presence
and passage frames with ids mapped to keys, no validation, on a store with the directory loaded.
Target: generation + load under 20 s on SQLite on the 2-core machine.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg
from sqlalchemy import JSON

from cordon.domain.roles import Actor
from cordon.formats.schemas import Kind
from cordon.scenarios import venus
from cordon.services.admin import init_store
from cordon.services.demo import run_demo
from cordon.services.imports import import_file
from cordon.store.db import Store

PG = os.environ.get("CORDON_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
ACTOR = Actor("bench")


def pg_url() -> tuple[str, str]:
    """A fresh PostgreSQL schema and a URL whose search path is it."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    base = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    return schema, f"{base}?options=-csearch_path%3D{schema}"


def drop(schema: str) -> None:
    """Remove a benchmark schema."""
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def peer_load(url: str, scenario: venus.Scenario, folder: Path) -> float:
    """Seconds for to_sql of presence and passages into a store holding the directory."""
    store = Store(url)
    init_store(store, actor="bench")
    paths = venus.write_files(scenario, folder)
    with store.session() as session:
        for kind in (Kind.PLACES, Kind.PEOPLE):
            import_file(session, paths[kind.value], kind=kind, actor=ACTOR, zone=venus_zone())
    engine = store.engine
    began = time.perf_counter()
    people = pd.read_sql("SELECT id, pk FROM person", engine).set_index("id")["pk"]
    places = pd.read_sql("SELECT id, pk FROM place", engine).set_index("id")["pk"]
    p = scenario.presence
    pd.DataFrame(
        {
            "person_pk": p["person"].map(people),
            "place_pk": p["place"].map(places),
            "start_time": p["start"],
            "end_time": p["end"],
        }
    ).to_sql("presence", engine, if_exists="append", index=False, chunksize=50_000)
    x = scenario.passages
    pd.DataFrame(
        {
            "person_pk": x["person"].map(people),
            "place_pk": x["place"].map(places),
            "at": x["time"],
            "direction": x["direction"],
            "credential": x["credential"],
            "companions": [[c] if c else [] for c in x["companions"]],
            "camera": x["camera"].replace("", None),
        }
    ).to_sql(
        "passage",
        engine,
        if_exists="append",
        index=False,
        chunksize=50_000,
        dtype={"companions": JSON()},
    )
    seconds = time.perf_counter() - began
    store.dispose()
    return seconds


def venus_zone() -> ZoneInfo:
    """UTC, the zone of the generated files."""
    return ZoneInfo("UTC")


def main() -> None:
    """Time generation, then the load on each database, and print a table."""
    began = time.perf_counter()
    scenario = venus.generate()
    story_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        venus.write_files(scenario, folder / "files")
        files_s = time.perf_counter() - began
        rows = len(scenario.presence) + len(scenario.passages)
        print(
            f"scenario: {len(scenario.people):,} people, {len(scenario.presence):,} presence, "
            f"{len(scenario.passages):,} passages, {len(scenario.exposures)} exposures"
        )
        print(f"generate: story and walks {story_s:.2f} s, canonical files {files_s:.2f} s")
        print(
            f"{'database':<12}{'demo s':>8}{'load s':>8}{'rerun s':>9}"
            f"{'to_sql s':>10}{'ratio':>8}{'gen+load':>10}"
        )
        for name in ("sqlite", "postgresql"):
            schemas: list[str] = []
            if name == "sqlite":
                url, peer = f"sqlite:///{folder / 'demo.db'}", f"sqlite:///{folder / 'peer.db'}"
            else:
                schema, url = pg_url()
                peer_schema, peer = pg_url()
                schemas = [schema, peer_schema]
            try:
                began = time.perf_counter()
                first = run_demo(Store(url), actor=ACTOR)
                total = time.perf_counter() - began
                again = run_demo(Store(url), actor=ACTOR)
                assert again.added == 0
                peer_s = peer_load(peer, scenario, folder / name)
            finally:
                for s in schemas:
                    drop(s)
            load = first.load_s
            print(
                f"{name:<12}{total:>8.2f}{load:>8.2f}{again.load_s:>9.2f}{peer_s:>10.2f}"
                f"{peer_s / load:>7.2f}x{first.generate_s + load:>10.2f}"
            )
        print(f"(presence + passages: {rows:,} rows; ratio = to_sql s / cordon load s)")


if __name__ == "__main__":
    main()
