"""The deployment examples name commands the CLI accepts, the same in the Procfile and the
systemd units."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer.main

from cordon.cli.app import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _procfile() -> dict[str, list[str]]:
    out = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            out[name.strip()] = shlex.split(command)
    return out


def test_every_role_is_in_the_procfile_and_has_a_unit_that_runs_the_same() -> None:
    procs = _procfile()
    assert set(procs) == {"doors", "web", "worker"}
    command = typer.main.get_command(app)
    for name, args in procs.items():
        assert args[:3] == ["cordon", "serve", name]
        with command.make_context("cordon", args[1:], resilient_parsing=False) as ctx:
            sub = command.get_command(ctx, "serve")  # type: ignore[attr-defined]
            assert sub is not None
            sub.make_context("serve", args[2:])
        unit = (DEPLOY / "systemd" / f"cordon-{name}.service").read_text()
        start = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
        assert shlex.split(start.split("=", 1)[1])[1:] == args[1:], (start, args)
