"""The pathogen profile, managed: a dry run says which pending exposures a change would turn
into quarantines (checked against the rows and against the rules run after the change), a
change is a version in the audit log, and evidence already acted on stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, PermissionDenied
from cordon.services import containment, profiles
from cordon.store import profiles as profile_store
from cordon.store.db import Store
from cordon.store.models import ExposureRow, OrderRow
from cordon.times import parse_time
from tests.services.containment_fixtures import LEAD, load_venus

NOW = parse_time("2026-11-25T06:00:00Z")


@pytest.fixture
def venus(store: Store, tmp_path: Path) -> Store:
    load_venus(store, tmp_path)
    return store


def test_a_dry_run_names_what_the_rules_would_then_do(venus: Store) -> None:
    with venus.session() as session:
        containment.apply_rules(session, actor=LEAD, now=NOW)  # the fluid exposures acted on
        orders_before = session.scalar(select(func.count()).select_from(OrderRow))
        shared = set(
            session.scalars(select(ExposureRow.pk).where(ExposureRow.route == "shared_air"))
        )
        assert shared
        dry = profiles.change_profile(
            session,
            actor=LEAD,
            now=NOW,
            reason="it is airborne after all",
            settings={"transmission.shared_air": "0.05", "rules.quarantine_s": "10d"},
            dry_run=True,
        )
        assert not dry.applied
        assert ("transmission.shared_air", None, 0.05) in dry.changes
        assert ("rules.quarantine_s", 7 * 86_400, 10 * 86_400) in dry.changes
        assert {int(t.split()[0].split(":")[1]) for t in dry.would_trigger} == shared
        assert dry.would_not == []
        assert profile_store.active_profile(session).rules.quarantine_s == 7 * 86_400
        assert session.scalar(select(func.count()).select_from(OrderRow)) == orders_before
        done = profiles.change_profile(
            session,
            actor=LEAD,
            now=NOW,
            reason="it is airborne after all",
            settings={"transmission.shared_air": "0.05", "rules.quarantine_s": "10d"},
        )
        assert done.applied and done.would_trigger == dry.would_trigger
        report = containment.apply_rules(session, actor=LEAD, now=NOW)
        # What the dry run said is what the rules then did: the shared-air exposure quarantines
        # its two parties (its direction unknown), under the new quarantine length.
        assert {o.person for o in report.orders} == {"w8", "d1"}
        assert all(
            o.expiry is not None and o.expiry - o.start == 10 * 86_400 for o in report.orders
        )
        # Evidence already acted on is not judged again under the new profile.
        older = session.scalars(select(OrderRow).where(OrderRow.kind == "quarantine")).all()
        assert any(o.expiry - o.start_time == 7 * 86_400 for o in older if o.expiry)


def test_versions_come_from_the_audit_log_with_their_reasons(venus: Store, tmp_path: Path) -> None:
    with venus.session() as session:
        profiles.change_profile(
            session, actor=LEAD, now=NOW, reason="longer latency", settings={"latent_s": "3d"}
        )
        current = profile_store.profile_record(profile_store.active_profile(session))
        path = tmp_path / "profile.json"
        path.write_text(json.dumps({**current, "infectious_s": 86_400}), encoding="utf-8")
        dry = profiles.change_profile(
            session, actor=LEAD, now=NOW, reason="from the lab", path=path, dry_run=True
        )
        assert dry.changes == [("infectious_s", current["infectious_s"], 86_400)]
        profiles.change_profile(session, actor=LEAD, now=NOW, reason="from the lab", path=path)
        versions = profiles.history(session, actor=LEAD, name="nanite")
        assert [(v.version, v.reason) for v in versions] == [
            (1, None),
            (2, "longer latency"),
            (3, "from the lab"),
        ]
        assert versions[1].profile["latent_s"] == 3 * 86_400
        assert versions[2].profile["infectious_s"] == 86_400
        unchanged = profiles.change_profile(session, actor=LEAD, now=NOW, reason="again", path=path)
        assert not unchanged.applied
        assert len(profiles.history(session, actor=LEAD, name="nanite")) == 3


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rules.quarantine": "10d"}, "no such setting"),
        ({"transmission.fluid": "1.5"}, "between 0 and 1"),
        ({"transmission.telepathy": "0.1"}, "transmission.telepathy"),
        ({"rules.followup_cutoff_hour": "25"}, "not an hour"),
        ({"rules.isolate_on_positive": "maybe"}, "true or false"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(
    venus: Store, settings: dict[str, str], message: str
) -> None:
    with venus.session() as session:
        with pytest.raises(InvalidValue, match=message):
            profiles.change_profile(session, actor=LEAD, now=NOW, reason="x", settings=settings)
        assert len(profiles.history(session, actor=LEAD, name="nanite")) == 1
        with pytest.raises(PermissionDenied):
            profiles.change_profile(
                session,
                actor=Actor("lee", UserRole.MEDICAL),
                now=NOW,
                reason="x",
                settings={"latent_s": "1d"},
            )
