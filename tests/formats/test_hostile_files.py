"""Every importer against every kind of hostile file (deep nesting, binary garbage, a wrong
encoding, empty, header only, a huge field, NUL bytes, formula-like cells): each is refused
with a clear reason naming the row and field where there is one, without a traceback, and the
store's content is exactly what it was (every table's checksum compared)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cordon.cli import app
from cordon.domain.roles import Actor
from cordon.errors import CordonError, ImportRefused, InvalidValue
from cordon.formats.schemas import COLUMNS, Kind
from cordon.services.admin import init_store
from cordon.services.imports import import_file, import_sociopatterns
from cordon.services.profile_import import read_profile
from cordon.services.scenarios import load_scenarios
from cordon.store.backup import content_checksum, data_tables
from cordon.store.db import Store
from tests.factory import station

LEAD = Actor("hostile")
UTC = ZoneInfo("UTC")
DEEP = 100_000
FORMULAS = ["=cmd|'/c calc'!A1", "+1+1", "@SUM(A1)", "-2+3", '=HYPERLINK("http://x")']


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    folder = tmp_path_factory.mktemp("hostile")
    store = Store(f"sqlite:///{folder / 'hostile.db'}")
    init_store(store, actor="hostile")
    files = station(folder)
    with store.session() as session:
        for kind in ("places", "people", "presence"):
            import_file(session, files[kind], kind=Kind(kind), actor=LEAD, zone=UTC)
    yield store, folder
    store.dispose()


def dump(store: Store) -> dict[str, tuple[str, int]]:
    """Every data table's content checksum and row count."""
    with store.session() as session:
        return {t.name: content_checksum(session, t) for t in data_tables()}


def header(kind: Kind) -> list[str]:
    required, optional = COLUMNS[kind]
    return list(required + optional)


def csv_files(kind: Kind) -> dict[str, tuple[bytes, str]]:
    """Hostile CSV files of ``kind``: the bytes and a word the refusal must contain."""
    names = header(kind)
    head = ",".join(names) + "\n"
    formulas = ",".join((FORMULAS * len(names))[: len(names)])
    huge = ",".join(["x" * 5_000_000] + ["p1"] * (len(names) - 1))
    nul = ",".join(["p\x001"] * len(names))
    return {
        "deep nesting": (b"[" * DEEP, "no rows"),
        "binary garbage": (bytes(range(256)) * 64, "UTF-8"),
        "latin-1": ((head + "Zoë,Zoë,Zoë\n").encode("latin-1"), "UTF-8"),
        "utf-16": ((head + "a,b,c\n").encode("utf-16"), "UTF-8"),
        "empty": (b"", "empty"),
        "header only": (head.encode(), "no rows"),
        "huge field": ((head + huge + "\n").encode(), "line 2"),
        "NUL bytes": ((head + nul + "\n").encode(), "line 2"),
        "formula cells": ((head + formulas + "\n").encode(), "line 2"),
    }


def jsonl_files(kind: Kind) -> dict[str, tuple[bytes, str]]:
    names = header(kind)
    record = dict.fromkeys(names, "p1")
    return {
        "deep nesting": (b"[" * DEEP, "levels deep"),
        "deep object in a row": (
            b'{"id": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}\n",
            "levels deep",
        ),
        "binary garbage": (bytes(range(256)) * 64, "line 1"),
        "latin-1": (json.dumps({"id": "x"}).replace("x", "Zoë").encode("latin-1"), "line 1"),
        "empty": (b"", "no rows"),
        "huge field": (json.dumps({**record, names[0]: "x" * 5_000_000}).encode(), "line 1"),
        "NUL bytes": (json.dumps(dict.fromkeys(names, "p\x001")).encode(), "line 1"),
        "formula cells": (json.dumps(dict(zip(names, FORMULAS * 3, strict=False))).encode(), "1"),
        "not objects": (b'[1, 2]\n"text"\n', "JSON object"),
    }


def parquet_files(kind: Kind) -> dict[str, tuple[bytes, str]]:
    return {
        "binary garbage": (bytes(range(256)) * 64, "parquet"),
        "empty": (b"", "parquet"),
        "deep nesting": (b"[" * DEEP, "parquet"),
    }


FORMATS: dict[str, Callable[[Kind], dict[str, tuple[bytes, str]]]] = {
    "csv": csv_files,
    "jsonl": jsonl_files,
    "parquet": parquet_files,
}
CASES = [(kind, fmt, name) for kind in Kind for fmt, make in FORMATS.items() for name in make(kind)]


def refused_clearly(refused: CordonError, word: str) -> str:
    """The refusal as a person reads it; every row error names line, field and reason."""
    text = str(refused)
    if isinstance(refused, ImportRefused):
        for error in refused.errors:
            assert error.line >= 1 and error.column and error.reason, error
            assert len(str(error)) < 300, "an error line echoes a huge value"
        text += "\n" + "\n".join(map(str, refused.errors))
    assert word in text, f"{word!r} not in {text[:500]!r}"
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize(("kind", "fmt", "name"), CASES, ids=[f"{k}-{f}-{n}" for k, f, n in CASES])
def test_every_importer_refuses_every_hostile_file_and_changes_nothing(
    base: tuple[Store, Path], kind: Kind, fmt: str, name: str
) -> None:
    store, folder = base
    data, word = FORMATS[fmt](kind)[name]
    path = folder / f"hostile.{fmt}"
    path.write_bytes(data)
    before = dump(store)
    with pytest.raises(ImportRefused) as refused, store.session() as session:
        import_file(session, path, kind=kind, actor=LEAD, zone=UTC)
    refused_clearly(refused.value, word)
    assert dump(store) == before


TIJ = {
    "deep nesting": (b"[" * DEEP, "1 fields"),
    "binary garbage": (bytes(range(256)) * 64, "UTF-8"),
    "latin-1": ("100 Zoë p1\n".encode("latin-1"), "UTF-8"),
    "utf-16": ("100 p1 p2\n".encode("utf-16"), "UTF-8"),
    "empty": (b"", "empty"),
    "header only": (b"t i j\n", "no contact rows"),
    "huge field": (b"100 " + b"9" * 5_000_000 + b" p2\n", "line 1"),
    "huge id": (b"100 p1 " + b"x" * 100_000 + b"\n", "longer than 64"),
    "NUL bytes": (b"100 p\x001 p2\n", "NUL"),
    "formula cells": (b"=1+1 @SUM(A1) -2+3\n", "line 1"),
    "ragged rows": (b"100 p1 p2\n120 p1\n140 p1 p2 x\n", "line 2"),
    "same person": (b"100 p1 p1\n", "same person"),
}


@pytest.mark.parametrize("name", list(TIJ))
def test_the_sociopatterns_importer_refuses_every_hostile_contact_file(
    base: tuple[Store, Path], name: str
) -> None:
    store, folder = base
    data, word = TIJ[name]
    target = folder / f"sp-{name.replace(' ', '-')}"
    target.mkdir(exist_ok=True)
    (target / "tij_x.dat").write_bytes(data)
    before = dump(store)
    with pytest.raises(ImportRefused) as refused, store.session() as session:
        import_sociopatterns(session, target, actor=LEAD, zone=UTC)
    refused_clearly(refused.value, word)
    assert dump(store) == before


@pytest.mark.parametrize(
    ("name", "data", "word"),
    [
        ("binary garbage", bytes(range(256)) * 64, "UTF-8"),
        ("empty", b"", "empty"),
        ("ragged rows", b"0 p1 NUR\n1 p2\n", "line 2"),
        ("NUL bytes", b"p\x001 NUR\n", "NUL"),
        ("huge group", b"p1 " + b"G" * 100_000 + b"\n", "longer than 200"),
    ],
)
def test_a_hostile_metadata_file_refuses_the_data_set_and_changes_nothing(
    base: tuple[Store, Path], name: str, data: bytes, word: str
) -> None:
    store, folder = base
    target = folder / f"meta-{name.replace(' ', '-')}"
    target.mkdir(exist_ok=True)
    (target / "tij_x.dat").write_bytes(b"100 p1 p2\n")
    (target / "metadata_x.dat").write_bytes(data)
    before = dump(store)
    with pytest.raises(ImportRefused) as refused, store.session() as session:
        import_sociopatterns(session, target, actor=LEAD, zone=UTC)
    refused_clearly(refused.value, word)
    assert dump(store) == before


@pytest.mark.parametrize("name", ["deep nesting", "binary garbage", "empty", "NUL bytes"])
def test_a_hostile_people_file_for_sociopatterns_changes_nothing(
    base: tuple[Store, Path], name: str
) -> None:
    store, folder = base
    data, word = csv_files(Kind.PEOPLE)[name]
    people = folder / "sp-people.csv"
    people.write_bytes(data)
    target = folder / "sp-with-people"
    target.mkdir(exist_ok=True)
    (target / "tij_x.dat").write_bytes(b"100 zz1 zz2\n")
    before = dump(store)
    with pytest.raises(ImportRefused) as refused, store.session() as session:
        import_sociopatterns(session, target, actor=LEAD, zone=UTC, people=people)
    refused_clearly(refused.value, word)
    assert dump(store) == before


def test_a_deeply_nested_profile_or_scenario_file_is_refused_with_a_clear_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * DEEP)
    with pytest.raises(ImportRefused, match="levels deep"):
        read_profile(path)
    with pytest.raises(InvalidValue, match="levels deep"):
        load_scenarios(path, zone=UTC, today=0)
    path.write_bytes(b'{"x": ' + b"[" * 70 + b"]" * 70 + b"}")
    with pytest.raises(InvalidValue, match="levels deep"):
        load_scenarios(path, zone=UTC, today=0)


@pytest.mark.parametrize("kind", [*(k.value for k in Kind), "sociopatterns"])
def test_the_command_line_answers_a_hostile_file_without_a_traceback(
    base: tuple[Store, Path], kind: str
) -> None:
    store, folder = base
    path = folder / "cli-deep.jsonl"
    path.write_bytes(b"[" * DEEP)
    if kind == "sociopatterns":
        path = folder / "tij_cli.dat"
        path.write_bytes(bytes(range(256)) * 64)
    before = dump(store)
    result = CliRunner().invoke(app, ["--db", str(store.url), "import", kind, str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stdout + result.stderr
    assert dump(store) == before
