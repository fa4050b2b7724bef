"""Reading files: line numbers that match what an editor shows, and files that cannot be read."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cordon.errors import ImportRefused
from cordon.formats.schemas import Kind, Refs, validate
from cordon.formats.tables import Format, read_table
from cordon.formats.writers import safe_cell, write_table

REFS = Refs(people={"p1": 1, "p2": 2}, places={"hall": 1}, zone=ZoneInfo("UTC"))


def test_line_numbers_count_quoted_newlines_and_broken_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        'id,name,role\na,"two\nlines",staff\nb,short\nc,C,nonsense\nd,D,staff,extra\ne,E,guest\n'
    )
    raw = read_table(path, Format.CSV)
    assert raw.lines.tolist() == [2, 5, 7]
    assert [(e.line, e.reason) for e in raw.broken] == [
        (4, "has 2 fields, the header has 3"),
        (6, "has 4 fields, the header has 3"),
    ]
    checked = validate(Kind.PEOPLE, raw, REFS, path=str(path))
    assert [(e.line, e.column) for e in checked.errors] == [(4, "(row)"), (5, "role"), (6, "(row)")]
    assert checked.columns["id"].tolist() == ["a", "e"]


def test_tab_separated_files_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_bytes("\ufeffperson\tplace\tstart\tend\np1\thall\t0\t60\n".encode())
    raw = read_table(path, Format.CSV)
    checked = validate(Kind.PRESENCE, raw, REFS, path=str(path))
    assert checked.errors == []
    assert checked.columns["end_time"].tolist() == [60]


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,name,role\na,A,staff\nb,\xff\xfe,staff\n")
    with pytest.raises(ImportRefused, match=r"not UTF-8 text \(first bad byte on line 3\)"):
        read_table(path, Format.CSV)


def test_json_lines_name_the_lines_that_are_not_objects(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": "a", "name": "A", "role": "staff"}\n\n[1, 2]\n{oops\n'
        '{"id": "b", "name": "B", "role": "guest"}\n'
    )
    raw = read_table(path, Format.JSONL)
    assert raw.lines.tolist() == [1, 5]
    assert [e.line for e in raw.broken] == [3, 4]


def test_times_in_any_accepted_form_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "person,place,start,end\n"
        "p1,hall,2026-11-24T08:00:00+01:00,2026-11-24T08:00:00Z\n"
        "p1,hall,2026-11-24 08:00,1795510800.9\n"
        "p1,hall,-5,10\n"
        "p1,hall,nan,inf\n"
        "p1,hall,,10\n"
    )
    checked = validate(Kind.PRESENCE, read_table(path, Format.CSV), REFS, path=str(path))
    assert checked.columns["start_time"].tolist() == [1795503600, 1795507200]
    assert checked.columns["end_time"].tolist() == [1795507200, 1795510800]
    reasons = {(e.line, e.column): e.reason for e in checked.errors}
    assert reasons[(4, "start")].startswith("is out of range")
    assert reasons[(5, "start")].startswith("is not a time")
    assert reasons[(5, "end")].startswith("is out of range")
    assert reasons[(6, "start")] == "is required"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("@cmd", "'@cmd"),
        ("-5", "-5"),
        ("+1e3", "+1e3"),
        ("-x", "'-x"),
        ("ok", "ok"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell: str, safe: str) -> None:
    assert safe_cell(cell) == safe


def test_written_csv_does_not_carry_formulas(tmp_path: Path) -> None:
    import pandas as pd

    path = write_table(pd.DataFrame({"name": ['=HYPERLINK("x")', "Ann"]}), tmp_path / "out.csv")
    assert path.read_text().splitlines()[1].startswith("\"'=HYPERLINK")


def test_quoted_header_names_are_read_as_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "presence.csv"
    path.write_text('"person","place","start","end"\n"p1","hub",1,2\n', encoding="utf-8")
    table = read_table(path, Format.CSV)
    assert list(table.frame.columns) == ["person", "place", "start", "end"]
    assert table.frame["start"].tolist() == ["1"]
