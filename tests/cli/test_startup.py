"""Start-up: the root command and its help import no heavy module, and hash nothing (issue 22).

Deterministic: each check runs in a fresh interpreter and looks at ``sys.modules``, not a clock
(`python -m bench startup` times ``cordon --help``).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap

import pytest
import typer
import typer.main

from cordon.cli.app import COMMANDS

HEAVY = (
    "numba",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "ortools",
    "matplotlib",
    "dask",
    "distributed",
    "sqlalchemy",
    "alembic",
    "argon2",
    "fastapi",
    "huey",
    "pydantic",
)


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level packages present in a fresh interpreter after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps(sorted(h for h in {HEAVY!r} if h in sys.modules)))
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _loaded_after("import cordon.cli.app") == []


def test_the_root_help_loads_no_heavy_module() -> None:
    code = """
        import contextlib, io
        from cordon.cli.app import app
        with contextlib.redirect_stdout(io.StringIO()) as shown:
            app(["--help"], standalone_mode=False)
        assert "contacts" in shown.getvalue() and "moratorium" in shown.getvalue()
    """
    assert _loaded_after(code) == []


def test_importing_the_package_loads_no_heavy_module() -> None:
    assert _loaded_after("import cordon, cordon.errors, cordon.domain") == []


def test_a_light_command_does_not_load_the_engines() -> None:
    loaded = _loaded_after("import cordon.cli.orders, cordon.cli.service, cordon.cli.cases")
    assert not {"numba", "pandas", "scipy", "ortools", "fastapi", "dask"} & set(loaded)


def test_no_password_is_hashed_at_import() -> None:
    code = """
        import argon2

        def refuse(*args, **kwargs):
            raise AssertionError("a password was hashed at import")

        argon2.PasswordHasher.hash = refuse
        import cordon.services.accounts
    """
    _loaded_after(code)  # check=True: the import raised nothing


def _real_commands() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        sub = typer.Typer()
        importlib.import_module(f"cordon.cli.{module}").register(sub)
        for name, command in typer.main.get_group(sub).commands.items():
            found[name] = (module, (command.help or "").split("\n\n")[0].strip())
    return found


def test_the_command_table_matches_the_modules() -> None:
    """The root help lists commands from a table; it names each command's module and help."""
    assert _real_commands() == COMMANDS


@pytest.mark.parametrize("name", ["contacts", "order", "user"])
def test_a_command_loads_on_demand(name: str) -> None:
    from typer.testing import CliRunner

    from cordon.cli.app import app

    shown = CliRunner().invoke(app, [name, "--help"])
    assert shown.exit_code == 0, shown.output
    assert "Usage: cordon " + name in " ".join(shown.output.split())
