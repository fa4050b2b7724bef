"""Pathogen profiles in the store: the active one drives tracing, rules and forecasts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cordon.domain.pathogen import ContainmentRules, PathogenProfile
from cordon.domain.records import Route
from cordon.store import audit
from cordon.store.models import ProfileRow

__all__ = ["active_profile", "list_profiles", "profile_record", "save_profile"]


def profile_record(profile: PathogenProfile) -> dict[str, Any]:
    """The profile as a JSON-ready dict."""
    return {
        "name": profile.name,
        "transmission": {r.value: p for r, p in profile.transmission.items()},
        "latent_s": profile.latent_s,
        "infectious_s": profile.infectious_s,
        "serial_interval_mean_days": profile.serial_interval_mean_days,
        "serial_interval_sd_days": profile.serial_interval_sd_days,
        "rules": asdict(profile.rules),
    }


def _profile(row: ProfileRow) -> PathogenProfile:
    return PathogenProfile(
        name=row.name,
        transmission={Route(r): float(p) for r, p in row.transmission.items()},
        latent_s=row.latent_s,
        infectious_s=row.infectious_s,
        serial_interval_mean_days=row.serial_interval_mean_days,
        serial_interval_sd_days=row.serial_interval_sd_days,
        rules=ContainmentRules(**row.rules),
    )


def save_profile(
    session: Session,
    profile: PathogenProfile,
    *,
    actor: str,
    activate: bool,
    reason: str | None = None,
) -> None:
    """Create or replace the profile of this name, optionally making it the active one; the
    audit row (with ``reason``) is the version's record."""
    row = session.scalar(select(ProfileRow).where(ProfileRow.name == profile.name))
    before = profile_record(_profile(row)) if row is not None else None
    record = profile_record(profile)
    if row is None:
        row = ProfileRow(name=profile.name, active=False)
        session.add(row)
    row.transmission = record["transmission"]
    row.latent_s = profile.latent_s
    row.infectious_s = profile.infectious_s
    row.serial_interval_mean_days = profile.serial_interval_mean_days
    row.serial_interval_sd_days = profile.serial_interval_sd_days
    row.rules = record["rules"]
    if activate:
        session.execute(update(ProfileRow).values(active=False))
        row.active = True
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update" if before else "create",
        entity="pathogen_profile",
        entity_id=profile.name,
        before=before,
        after={**record, "active": row.active, **({"reason": reason} if reason else {})},
    )


def active_profile(session: Session) -> PathogenProfile:
    """The active profile, or the built-in default when none is stored."""
    row = session.scalar(select(ProfileRow).where(ProfileRow.active.is_(True)))
    return _profile(row) if row is not None else PathogenProfile(name="default")


def list_profiles(session: Session) -> list[tuple[PathogenProfile, bool]]:
    """Every stored profile with whether it is active."""
    return [
        (_profile(r), r.active)
        for r in session.scalars(select(ProfileRow).order_by(ProfileRow.name))
    ]
