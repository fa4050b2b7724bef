"""Fuzzing the importers: whatever the bytes, an import loads or is refused with a clear error,
and a refused import leaves the store exactly as it was."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cordon.domain.roles import Actor
from cordon.errors import ImportRefused
from cordon.formats.schemas import COLUMNS, Kind
from cordon.services.admin import init_store
from cordon.services.imports import import_file
from cordon.store.backup import row_counts
from cordon.store.db import Store
from tests.factory import station

LEAD = Actor("fuzz")
UTC = ZoneInfo("UTC")
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    folder = tmp_path_factory.mktemp("fuzz")
    store = Store(f"sqlite:///{folder / 'fuzz.db'}")
    init_store(store, actor="fuzz")
    files = station(folder)
    with store.session() as session:
        for kind in ("places", "people", "presence"):
            import_file(session, files[kind], kind=Kind(kind), actor=LEAD, zone=UTC)
    yield store, folder
    store.dispose()


def attempt(store: Store, path: Path, kind: Kind) -> None:
    """Import, asserting the only failure is a refusal that changed nothing."""
    with store.session() as session:
        before = row_counts(session)
    try:
        with store.session() as session:
            report = import_file(session, path, kind=kind, actor=LEAD, zone=UTC)
    except ImportRefused as refused:
        problems = (str(refused), refused.errors)
        assert problems[0]
        assert all(e.line >= 0 and e.reason for e in problems[1])
        with store.session() as session:
            assert row_counts(session) == before
        return
    with store.session() as session:
        again = import_file(session, path, kind=kind, actor=LEAD, zone=UTC)
    assert again.added == 0, "re-importing the same file added rows"
    assert report.read >= report.added


kinds = st.sampled_from(list(Kind))
SPECIAL = [
    "",
    " ",
    "\x00",
    "=cmd|'/c calc'!A1",
    "+1+1",
    "@SUM(A1)",
    "9999-12-31T23:59:59Z",
    "0000-01-01",
    "-1",
    "1e400",
    "nan",
    "p1",
    "hall",
    "ring-a",
    "fluid",
    "positive",
    "in",
    "yes",
]
nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SPECIAL),
    st.text(min_size=1000, max_size=5000),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@FUZZ
@given(kind=kinds, data=st.binary(max_size=400))
def test_random_bytes(base: tuple[Store, Path], kind: Kind, data: bytes) -> None:
    store, folder = base
    path = folder / "random.csv"
    path.write_bytes(data)
    attempt(store, path, kind)


@FUZZ
@given(kind=kinds, rows=st.lists(st.lists(nasty_text, min_size=1, max_size=9), max_size=6))
def test_canonical_headers_with_hostile_cells(
    base: tuple[Store, Path], kind: Kind, rows: list[list[str]]
) -> None:
    store, folder = base
    required, optional = COLUMNS[kind]
    header = list(required + optional)
    path = folder / "hostile.csv"
    import csv

    with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow((row * len(header))[: len(header)])
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    attempt(store, path, kind)


@FUZZ
@given(
    kind=kinds,
    records=st.lists(
        st.dictionaries(
            st.sampled_from(
                ["id", "name", "person", "place", "start", "end", "a", "b", "time", "role", "kind"]
            ),
            st.one_of(
                nasty_text,
                st.integers(),
                st.none(),
                st.booleans(),
                st.lists(st.text(max_size=5), max_size=3),
            ),
        ),
        max_size=6,
    ),
)
def test_json_lines_with_any_values(
    base: tuple[Store, Path], kind: Kind, records: list[dict[str, object]]
) -> None:
    store, folder = base
    path = folder / "any.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    attempt(store, path, kind)


def test_a_name_that_is_a_formula_is_stored_as_text_and_neutralised_in_csv_out(
    base: tuple[Store, Path],
) -> None:
    store, folder = base
    path = folder / "evil.csv"
    path.write_text('id,name,role\nevil,"=HYPERLINK(""http://x"",""click"")",guest\nbad,B,wizard\n')
    rejects = folder / "rejects.csv"
    with store.session() as session:
        import_file(session, path, kind=Kind.PEOPLE, actor=LEAD, zone=UTC, rejects=rejects)
    from cordon.services.directory import list_people

    with store.session() as session:
        names = {p.id: p.name for p in list_people(session, actor=LEAD).items}
    assert names["evil"].startswith("=HYPERLINK")
    path.write_text('id,name,role\nworse,"=1+1",wizard\n')
    with store.session() as session:
        import_file(session, path, kind=Kind.PEOPLE, actor=LEAD, zone=UTC, rejects=rejects)
    assert "'=1+1" in rejects.read_text()
