"""Stores loaded with the miniature Venus of tests/factory.py, with the nanite profile active."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from cordon.domain.pathogen import ContainmentRules, PathogenProfile
from cordon.domain.records import Route
from cordon.domain.roles import Actor
from cordon.formats.schemas import parse_kind
from cordon.services import imports
from cordon.services.transaction import unit_of_work
from cordon.store import profiles
from cordon.store.db import Store
from cordon.times import parse_time
from tests import factory

LEAD = Actor("lead")
DAY6 = parse_time("2026-11-25T00:00:00Z")
NANITE = PathogenProfile(
    name="nanite",
    transmission={Route.FLUID: 0.6},
    rules=ContainmentRules(quarantine_s=7 * 86_400, clear_after_negatives=2),
)


def load_venus(store: Store, folder: Path, *, profile: PathogenProfile = NANITE) -> None:
    """Import every miniature Venus file into ``store`` and activate ``profile``."""
    files = factory.venus_mini(folder)
    with store.session() as session:
        for kind, path in files.items():
            imports.import_file(
                session, path, kind=parse_kind(kind), actor=LEAD, zone=ZoneInfo("UTC")
            )
        with unit_of_work(session):
            profiles.save_profile(session, profile, actor="test", activate=True)


def sqlite_store(url: str) -> Store:
    """An initialised store on SQLite only, for behaviour the twin tests already run on both."""
    from cordon.services.admin import init_store

    store = Store(url)
    init_store(store, actor="test")
    return store
