"""``cordon demo``: loads through the importers, sets the cases, adds nothing when re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from typer.testing import CliRunner

from cordon.cli.app import app
from cordon.domain.cases import Clinical, Containment
from cordon.domain.roles import Actor
from cordon.scenarios import venus
from cordon.services import cases
from cordon.services.demo import run_demo
from cordon.store import profiles
from cordon.store.db import Store
from cordon.store.models import (
    AuditRow,
    CaseRow,
    ExposureRow,
    GatheringRow,
    LabResultRow,
    PassageRow,
    PersonRow,
    PlaceRow,
    PresenceRow,
)

SMALL = 500
ACTOR = Actor("test")
TABLES = (PlaceRow, PersonRow, PresenceRow, PassageRow, ExposureRow, LabResultRow, GatheringRow)


def counts(store: Store) -> dict[str, int]:
    """Rows in each table the demo fills."""
    with store.session() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (*TABLES, CaseRow)
        }


def test_demo_loads_the_story_and_rerun_adds_nothing(store: Store) -> None:
    first = run_demo(store, actor=ACTOR, population=SMALL)
    truth = first.truth
    assert truth is not None and first.cases_changed >= 16 and first.added > 100_000
    scenario = venus.generate(venus.DEFAULT_SEED, population=SMALL)
    loaded = counts(store)
    assert loaded["presence"] == len(scenario.presence)
    assert loaded["passage"] == len(scenario.passages)
    assert loaded["exposure"] == len(scenario.exposures)
    with store.session() as session:
        isolated = cases.list_cases(session, actor=ACTOR, status=Containment.ISOLATED)
        departed = cases.list_cases(session, actor=ACTOR, status=Containment.DEPARTED)
        confirmed = cases.list_cases(session, actor=ACTOR, status=Clinical.CONFIRMED)
        exposed = cases.list_cases(session, actor=ACTOR, status=Clinical.EXPOSED)
        assert sorted(c.person for c in isolated) == sorted(truth.isolated)
        assert sorted(c.person for c in confirmed) == sorted(truth.infected)
        gone = {c.person for c in departed if c.clinical is Clinical.CONFIRMED}
        assert gone == set(truth.missing)  # the rules found them gone through the airlocks
        assert set(truth.exposed_only) <= {c.person for c in exposed}
        assert profiles.active_profile(session) == venus.PROFILE
        audits = session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.action != "import")
        )
    again = run_demo(store, actor=ACTOR, population=SMALL)
    assert again.added == 0 and again.cases_changed == 0 and not again.profile_changed
    assert counts(store) == loaded
    with store.session() as session:
        assert audits == session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.action != "import")
        )


def test_export_round_trip_through_cordon_import(tmp_path: Path) -> None:
    runner = CliRunner()
    demo_db = f"sqlite:///{tmp_path / 'demo.db'}"
    folder = tmp_path / "export"
    result = runner.invoke(
        app,
        ["demo", "--db", demo_db, "--export", str(folder), "--population", "500", "--json"],
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["key"]["commander"] == "bahati" and len(shown["key"]["missing"]) == 6
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    assert runner.invoke(app, ["--db", other_db, "init"]).exit_code == 0
    for kind in venus.FILES:
        step = runner.invoke(app, ["--db", other_db, "import", kind, str(folder / f"{kind}.csv")])
        assert step.exit_code == 0, step.output
    demo_counts, other_counts = counts(Store(demo_db)), counts(Store(other_db))
    demo_counts.pop("case_state"), other_counts.pop("case_state")
    assert demo_counts == other_counts
    scenario = venus.generate(venus.DEFAULT_SEED, population=500)
    presence = pd.read_csv(folder / "presence.csv")
    for column in ("start", "end"):
        stamps = pd.to_datetime(presence[column], utc=True)
        seconds = (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
        assert (seconds.to_numpy() == scenario.presence[column].to_numpy()).all()
    assert (presence["person"] == scenario.presence["person"]).all()
