"""A pathogen profile from a JSON file (as ``store.profiles.profile_record`` writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cordon.domain.pathogen import ContainmentRules, PathogenProfile
from cordon.domain.records import Route
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import ImportRefused
from cordon.formats import jsondoc
from cordon.services.transaction import unit_of_work
from cordon.store import profiles

__all__ = ["import_profile", "read_profile"]


def read_profile(path: Path) -> PathogenProfile:
    """The profile in a JSON file, or ImportRefused saying what is wrong with it."""
    try:
        data: dict[str, Any] = jsondoc.loads(path.read_bytes())
        return PathogenProfile(
            name=str(data["name"]),
            transmission={Route(r): float(p) for r, p in data["transmission"].items()},
            latent_s=int(data["latent_s"]),
            infectious_s=int(data["infectious_s"]),
            serial_interval_mean_days=float(data["serial_interval_mean_days"]),
            serial_interval_sd_days=float(data["serial_interval_sd_days"]),
            rules=ContainmentRules(**data.get("rules", {})),
        )
    except OSError as exc:
        raise ImportRefused(str(path), [], problem=f"cannot be read: {exc}") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ImportRefused(
            str(path), [], problem=f"is not a pathogen profile ({type(exc).__name__}: {exc})"
        ) from exc


def import_profile(session: Session, path: Path, *, actor: Actor, activate: bool = True) -> bool:
    """Store the profile of ``path`` (and make it the active one); False when nothing changed."""
    require(actor, Permission.ADMINISTER_STORE)
    profile = read_profile(path)
    with unit_of_work(session):
        stored = {p.name: active for p, active in profiles.list_profiles(session)}
        same = [p for p, _a in profiles.list_profiles(session) if p == profile]
        if same and (stored[profile.name] or not activate):
            return False
        profiles.save_profile(session, profile, actor=actor.name, activate=activate)
    return True
