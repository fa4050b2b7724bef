"""The Venus demo: generate the scenario, load it through the importers, set the story's cases.

``run_demo`` does what a facility's first day with cordon would: create the store, import each
canonical file (people, places, presence, passages, exposures, lab, gatherings) with the same
importer as ``cordon import``, store the pathogen profile, then bring the cases to the state of the
story. Running it again adds nothing.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cordon.domain.exit_policy import PolicyAction, PolicyKind
from cordon.domain.roles import Actor, Permission, require
from cordon.formats.schemas import Kind
from cordon.scenarios import venus
from cordon.services import arrivals, containment, exit_policies, followup, missing
from cordon.services.admin import init_store
from cordon.services.imports import ImportReport, import_file
from cordon.services.profile_import import import_profile
from cordon.services.progress import NO_PROGRESS, Progress
from cordon.store import directory
from cordon.store.db import Store

__all__ = ["DemoReport", "run_demo", "stage_situation"]


@dataclass
class DemoReport:
    """What the demo loaded and how long it took."""

    store: str
    seed: int
    folder: str | None
    imports: list[ImportReport] = field(default_factory=list)
    profile_changed: bool = False
    cases_changed: int = 0
    generate_s: float = 0.0
    load_s: float = 0.0
    truth: venus.Truth | None = None

    @property
    def added(self) -> int:
        """Records added by this run (zero when the demo was already loaded)."""
        return sum(r.added + r.updated for r in self.imports)


def run_demo(
    store: Store,
    *,
    actor: Actor,
    seed: int = venus.DEFAULT_SEED,
    export: Path | None = None,
    population: int = venus.POPULATION,
    zone: ZoneInfo | None = None,
    progress: Progress = NO_PROGRESS,
) -> DemoReport:
    """Create the store if needed and load the Venus scenario into it; idempotent."""
    require(actor, Permission.ADMINISTER_STORE)
    zone = zone or ZoneInfo("UTC")
    init_store(store, actor=actor.name)
    began = time.perf_counter()
    progress.phase("generating the Venus scenario")
    scenario = venus.generate(seed, population=population)
    report = DemoReport(store.display_url, seed, str(export) if export else None)
    report.truth = scenario.truth
    with tempfile.TemporaryDirectory(prefix="cordon-demo-") as scratch:
        folder = export or Path(scratch)
        paths = venus.write_files(scenario, folder)
        report.generate_s = time.perf_counter() - began
        began = time.perf_counter()
        with store.session() as session:
            for kind in venus.FILES:
                report.imports.append(
                    import_file(
                        session,
                        paths[kind],
                        kind=Kind(kind),
                        actor=actor,
                        zone=zone,
                        progress=progress,
                    )
                )
            report.profile_changed = import_profile(session, paths["profile"], actor=actor)
            arrivals.import_manifest(session, paths["manifests"], actor=actor, zone=zone)
            report.cases_changed = stage_situation(session, scenario.truth, actor=actor)
    report.load_s = time.perf_counter() - began
    return report


FOLLOWUP_TEAMS = {
    "med-deck": "ward",
    "ring-a": "ring-a",
    "ring-b": "ring-b",
    "ring-c": "ring-c",
    "ring-d": "ring-d",
    "promenade": "promenade",
}
"""The demo's follow-up teams: the ward team for the medical deck, one team per ring of
quarters, one for the promenade."""


def stage_situation(session: Session, truth: venus.Truth, *, actor: Actor) -> int:
    """Apply the containment rules to the loaded records as of the data's end (noon of day 6),
    as an outbreak team would: positives confirmed and isolated, the exposed quarantined, then
    everyone under order who is not in their place marked missing or departed. Returns how many
    orders that issued (none on a re-run)."""
    report = containment.apply_rules(session, actor=actor, now=truth.data_end)
    missing.find_missing(session, actor=actor, at=truth.data_end, record=True)
    known = set(directory.place_keys(session))
    for place, team in FOLLOWUP_TEAMS.items():
        if place in known:
            followup.set_team(session, actor=actor, place=place, team=team)
    set_exit_policies(session, actor=actor, at=truth.data_end)
    arrivals.screen_arrivals(session, actor=actor, now=truth.data_end)
    return len(report.orders)


STATION_POLICIES: tuple[tuple[PolicyKind, PolicyAction, tuple[str, ...], str], ...] = (
    (
        PolicyKind.FOREIGN_CREDENTIAL,
        PolicyAction.HOLD,
        ("visiting_crew",),
        "no device the station did not issue opens an exit for its people",
    ),
    (
        PolicyKind.ESCORT,
        PolicyAction.HOLD,
        ("visiting_crew",),
        "the visiting crew may not lead station people out",
    ),
    (PolicyKind.UNKNOWN_PERSON, PolicyAction.DENY, (), "nobody leaves under an unknown id"),
)
"""The station's standing exit policies in the demo (the chief of security's, day 6): the
roles are the exempt ones, and for the escort policy the escorts' (exempt too)."""


def set_exit_policies(session: Session, *, actor: Actor, at: int) -> int:
    """Put the station's exit policies in force unless one of that kind already is; returns
    how many it set."""
    kinds = {p.kind for p in exit_policies.list_policies(session, actor=actor)}
    added = 0
    for kind, action, roles, reason in STATION_POLICIES:
        if kind in kinds:
            continue
        escort = kind is PolicyKind.ESCORT
        exit_policies.set_policy(
            session,
            actor=actor,
            kind=kind,
            action=action,
            at=at,
            reason=reason,
            companion_roles=roles if escort else (),
            exempt_roles=None if escort else roles,
        )
        added += 1
    return added
