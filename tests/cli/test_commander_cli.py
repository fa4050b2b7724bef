"""The command line as a commander under pressure meets it, on the miniature Venus: a plain
path for --db, a bad CORDON_CLOCK named, --ack confirming, a cut listing saying how much it hides
(index persons last in a trace), tables that fit 80 columns without breaking an id, and
"until lifted" said once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cordon.cli import app
from cordon.config import get_settings
from tests import factory

NOW = "2026-11-25T06:00:00Z"
WIDTH = 80


def cordon(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    runner = CliRunner(env={"COLUMNS": str(WIDTH), "CORDON_CLOCK": NOW, **(env or {})})
    get_settings.cache_clear()  # read the environment given here, as a new process would
    try:
        result = runner.invoke(app, list(args))
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The miniature Venus in a SQLite file, named by its plain path, with the rules applied."""
    path = str(tmp_path / "cordon.db")
    assert cordon("--db", path, "init")[0] == 0
    for kind, file in factory.venus_mini(tmp_path).items():
        code, _, err = cordon("--db", path, "import", kind, str(file))
        assert code == 0, err
    assert cordon("--db", path, "rules", "apply")[0] == 0
    assert cordon("--db", path, "missing")[0] == 0
    return path


def _fits(out: str, ids: set[str]) -> None:
    """Every line within the width, and every id whole on one line."""
    lines = out.splitlines()
    assert all(len(line) <= WIDTH for line in lines), max(lines, key=len)
    text = "\n".join(lines)
    for person in ids:
        assert re.search(rf"(?<![\w-]){re.escape(person)}(?![\w-])", text), person


def test_a_plain_path_names_a_sqlite_store(db: str) -> None:
    code, out, err = cordon("--db", db, "people", "--json")
    assert code == 0, err
    assert json.loads(out)["total"] > 10
    assert Path(db).exists()


def test_a_bad_clock_names_the_variable(db: str) -> None:
    code, _out, err = cordon("--db", db, "people", env={"CORDON_CLOCK": "tomorrow"})
    assert code != 0
    assert "CORDON_CLOCK" in err and "tomorrow" in err
    assert "Traceback" not in err


def test_ack_confirms_and_prints_no_list(db: str) -> None:
    listed = json.loads(cordon("--db", db, "alerts", "--open", "--json", "--limit", "0")[1])
    first, second = listed[0]["id"], listed[1]["id"]
    code, out, err = cordon("--db", db, "alerts", "--ack", str(first), "--ack", str(second))
    assert code == 0, err
    said = [line for line in out.splitlines() if line.startswith("alert ")]
    assert [line.split()[1] for line in said] == [str(first), str(second)]
    assert all(" acknowledged by " in line for line in said)
    assert "┃" not in out  # no table
    left = json.loads(cordon("--db", db, "alerts", "--open", "--json", "--limit", "0")[1])
    assert len(left) == len(listed) - 2


def test_a_cut_listing_says_how_much_it_hides(db: str) -> None:
    everything = json.loads(cordon("--db", db, "alerts", "--json", "--limit", "0")[1])
    assert len(everything) > 3
    code, out, _ = cordon("--db", db, "alerts", "--limit", "3")
    assert code == 0
    assert f"3 of {len(everything)} alerts shown, use --limit 0 for all" in out
    _fits(out, set())
    code, out, _ = cordon("--db", db, "alerts", "--limit", "0")
    assert "use --limit 0" not in out


def test_trace_puts_the_index_persons_last_and_counts_what_it_hides(db: str) -> None:
    crew = ["v1", "v2", "v3", "v4"]
    full = json.loads(cordon("--db", db, "trace", *crew, "--direction", "forward", "--json")[1])
    reached = [p["person"] for p in full["forward"] if p["person"] not in crew]
    total = len(full["forward"])
    assert reached and total > len(reached)
    code, out, err = cordon("--db", db, "trace", *crew, "--direction", "forward", "--limit", "2")
    assert code == 0, err
    assert f"2 of {total} rows shown, use --limit 0 for all" in out
    rows = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│ ")]
    shown = [r for r in rows if r]
    assert shown[:2] == reached[:2]  # the persons reached, not the index persons
    code, out, _ = cordon("--db", db, "trace", *crew, "--direction", "forward", "--limit", "0")
    firsts = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│ ")]
    named = [r for r in firsts if r]
    assert named[-len(crew) :] == sorted(named[-len(crew) :]) and set(named[-4:]) <= set(crew)
    _fits(out, set(crew) | set(reached))


def test_tables_fit_80_columns_without_breaking_an_id(db: str) -> None:
    missing = json.loads(cordon("--db", db, "missing", "--no-record", "--json")[1])
    code, out, _ = cordon("--db", db, "missing", "--no-record")
    assert code == 0
    _fits(out, {m["person"] for m in missing})
    code, out, _ = cordon("--db", db, "alerts", "--limit", "0")
    _fits(out, set())
    ids = re.findall(r"^│ (\d+) ", out, flags=re.M)
    assert ids  # every alert id whole at the start of its row


def test_person_says_until_once(db: str) -> None:
    code, out, err = cordon("--db", db, "person", "w3")
    assert code == 0, err
    assert "until until" not in out
