"""``cordon demo``: the Venus station outbreak, generated and loaded through the importers."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from cordon.cli.context import Runtime, runtime
from cordon.cli.output import console, emit_json, table
from cordon.cli.progress import LazyProgress
from cordon.config import Settings
from cordon.scenarios import venus
from cordon.services import demo

__all__ = ["register"]


def run(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL (default: the global --db or setting).")
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="Keep the generated canonical files in this folder.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the scenario.")] = venus.DEFAULT_SEED,
    population: Annotated[
        int, typer.Option(min=500, max=1600, help="Station residents, staff and performers.")
    ] = venus.POPULATION,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load the Venus station demo (creating the store); running it again adds nothing."""
    rt = runtime(ctx)
    if db:
        rt = Runtime(Settings(**{**rt.settings.model_dump(), "database_url": db}))
    with LazyProgress(enabled=not as_json) as progress:
        report = demo.run_demo(
            rt.store,
            actor=rt.actor,
            seed=seed,
            export=export,
            population=population,
            zone=rt.settings.zone,
            progress=progress,
        )
    truth = report.truth
    assert truth is not None
    if as_json:
        emit_json(
            {
                "store": report.store,
                "seed": report.seed,
                "export": report.folder,
                "added": report.added,
                "cases_changed": report.cases_changed,
                "generate_s": round(report.generate_s, 3),
                "load_s": round(report.load_s, 3),
                "imports": [asdict(r) for r in report.imports],
                "key": _key(truth),
            }
        )
        return
    table(
        f"Venus demo (seed {report.seed}) in {report.store}",
        ["kind", "read", "added", "updated", "unchanged", "seconds"],
        [
            (
                r.kind,
                f"{r.read:,}",
                f"{r.added:,}",
                f"{r.updated:,}",
                f"{r.unchanged:,}",
                f"{r.seconds:.2f}",
            )
            for r in report.imports
        ],
    )
    console.print(
        f"generated in {report.generate_s:.1f} s, loaded in {report.load_s:.1f} s; "
        f"{report.cases_changed} case(s) set; "
        + ("nothing new (already loaded)" if report.added == 0 else f"{report.added:,} records")
    )
    if report.folder:
        console.print(f"canonical files kept in {report.folder}")
    key = _key(truth)
    console.print(
        f"commander {key['commander']}, director {key['director']}, security chief "
        f"{key['security_chief']}, index patient {key['index_patient']}; missing: "
        f"{', '.join(truth.missing)}"
    )


def _key(truth: venus.Truth) -> dict[str, object]:
    return {
        "commander": truth.commander,
        "director": truth.director,
        "security_chief": truth.security_chief,
        "index_patient": truth.index_patient,
        "infected": list(truth.infected),
        "isolated": list(truth.isolated),
        "missing": list(truth.missing),
        "egress": [asdict(e) for e in truth.egress],
        "airlocks": list(truth.airlocks),
        "isolation_ward": truth.isolation_ward,
        "shows_tonight": list(truth.shows_tonight),
        "westworld_session": truth.westworld_session,
    }


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.command("demo")(run)
