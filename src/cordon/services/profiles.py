"""The pathogen profile, managed: show it, change it (fields or a file), see its versions.

Every save is a version: its audit row holds the whole profile, who saved it, when and why.
A change applies to evidence from then on: the rules act once on each exposure and result, so
what they already acted on stays as it was. ``change_profile`` says what a change would do
before it is made (``dry_run``): the fields that change, and which exposures the rules have
not yet acted on would then call for a quarantine, or no longer would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cordon.domain.pathogen import ContainmentRules, PathogenProfile
from cordon.domain.records import Route
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.rules import Standing, exposure_counts
from cordon.domain.vocab import require_text
from cordon.errors import InvalidValue
from cordon.services.containment import standing_of
from cordon.services.profile_import import read_profile
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory, profiles
from cordon.store import containment as records
from cordon.times import parse_duration

__all__ = [
    "ProfileChange",
    "ProfileVersion",
    "change_profile",
    "flat",
    "history",
    "show",
    "updated",
]


@dataclass(frozen=True)
class ProfileVersion:
    """One saved version of a profile, from the audit log."""

    version: int
    at: float
    actor: str
    reason: str | None
    profile: dict[str, Any]


@dataclass
class ProfileChange:
    """What a change does (or would do, in a dry run)."""

    before: dict[str, Any]
    after: dict[str, Any]
    changes: list[tuple[str, Any, Any]]
    """(field, before, after) for every field that changes."""
    pending: int = 0
    """Exposures the rules have not acted on yet (up to now)."""
    would_trigger: list[str] = field(default_factory=list)
    """Of those, the ones that would call for a quarantine under the new profile only."""
    would_not: list[str] = field(default_factory=list)
    """And the ones that would under the old profile but no longer under the new."""
    applied: bool = False


def show(session: Session, *, actor: Actor) -> PathogenProfile:
    """The active profile (the built-in default when none is stored)."""
    require(actor, Permission.READ_AGGREGATES)
    return profiles.active_profile(session)


def _value(current: Any, text: str, key: str) -> Any:
    if isinstance(current, bool):
        word = text.strip().lower()
        if word not in ("true", "false", "yes", "no", "1", "0"):
            raise InvalidValue(f"{key} is true or false (got {text!r})")
        return word in ("true", "yes", "1")
    if isinstance(current, int):
        return parse_duration(text) if key.endswith("_s") else int(text)
    if isinstance(current, float):
        return float(text)
    if isinstance(current, tuple):
        return tuple(w.strip() for w in text.split(",") if w.strip())
    return text


def updated(profile: PathogenProfile, settings: Mapping[str, str]) -> PathogenProfile:
    """``profile`` with ``settings`` (``latent_s=2d``, ``transmission.close=0.1``,
    ``rules.quarantine_s=10d``) applied, or InvalidValue naming the bad one."""
    top = {f.name: getattr(profile, f.name) for f in dataclasses.fields(profile)}
    rules = {f.name: getattr(profile.rules, f.name) for f in dataclasses.fields(ContainmentRules)}
    transmission = dict(profile.transmission)
    for key, text in settings.items():
        head, _, tail = key.strip().partition(".")
        try:
            if head == "transmission" and tail:
                p = float(text)
                if not 0.0 <= p <= 1.0:
                    raise ValueError("a probability is between 0 and 1")
                transmission[Route(tail)] = p
            elif head == "rules" and tail in rules:
                rules[tail] = _value(rules[tail], text, tail)
            elif head in top and not tail and head not in ("rules", "transmission", "name"):
                top[head] = _value(top[head], text, head)
            else:
                known = sorted(
                    [k for k in top if k not in ("rules", "transmission", "name")]
                    + [f"rules.{k}" for k in rules]
                    + [f"transmission.{r.value}" for r in Route]
                )
                raise InvalidValue(f"{key}: no such setting (one of: {', '.join(known)})")
        except (ValueError, TypeError) as exc:
            raise InvalidValue(f"{key}={text!r}: {exc}") from exc
    try:
        return replace(
            profile,
            transmission={r: p for r, p in transmission.items() if p > 0},
            latent_s=top["latent_s"],
            infectious_s=top["infectious_s"],
            serial_interval_mean_days=top["serial_interval_mean_days"],
            serial_interval_sd_days=top["serial_interval_sd_days"],
            rules=ContainmentRules(**rules),
        )
    except (ValueError, TypeError) as exc:
        raise InvalidValue(str(exc)) from exc


def flat(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, Mapping):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = list(v) if isinstance(v, tuple) else v
    return out


def _effect(
    session: Session, old: PathogenProfile, new: PathogenProfile, now: int
) -> ProfileChange:
    before, after = profiles.profile_record(old), profiles.profile_record(new)
    flat_b, flat_a = flat(before), flat(after)
    change = ProfileChange(
        before,
        after,
        [(k, flat_b.get(k), flat_a.get(k)) for k in sorted(flat_b.keys() | flat_a.keys())
         if flat_b.get(k) != flat_a.get(k)],
    )  # fmt: skip
    pending = records.pending_exposures(session, rule="exposure", routes=list(Route), until=now)
    change.pending = len(pending)
    keys = directory.person_keys(session)
    known: dict[str, Standing] = {}

    def look(person: str) -> Standing:
        if person not in known:
            known[person] = standing_of(session, person, person_pk=keys[person])
        return known[person]

    for key, e in pending:
        was = exposure_counts(e, old, look(e.a), look(e.b))
        will = exposure_counts(e, new, look(e.a), look(e.b))
        if will and not was:
            change.would_trigger.append(f"{key} {e.a}-{e.b} {e.route.value}")
        elif was and not will:
            change.would_not.append(f"{key} {e.a}-{e.b} {e.route.value}")
    return change


def change_profile(
    session: Session,
    *,
    actor: Actor,
    now: int,
    reason: str,
    settings: Mapping[str, str] | None = None,
    path: Path | None = None,
    dry_run: bool = False,
) -> ProfileChange:
    """Change the active profile by ``settings`` or to the profile in the file at ``path``;
    with ``dry_run`` only say what would change. A new version, audited with ``reason``."""
    require(actor, Permission.ADMINISTER_STORE)
    reason = require_text(reason, "the reason for a profile change")
    if (settings is None) == (path is None):
        raise InvalidValue("give either settings (key=value) or a profile file")
    with unit_of_work(session):
        old = profiles.active_profile(session)
        new = read_profile(path) if path is not None else updated(old, settings or {})
        change = _effect(session, old, new, now)
        if dry_run or (not change.changes and old.name == new.name):
            return change
        profiles.save_profile(session, new, actor=actor.name, activate=True, reason=reason)
        change.applied = True
    return change


def history(session: Session, *, actor: Actor, name: str | None = None) -> list[ProfileVersion]:
    """Every saved version of the profiles (or of ``name``), oldest first, from the audit log."""
    require(actor, Permission.READ_AUDIT)
    entries = audit.list_entries(session, entity="pathogen_profile", entity_id=name, limit=1000)
    out: list[ProfileVersion] = []
    counts: dict[str, int] = {}
    for e in reversed(entries):
        after = dict(e.after or {})
        who = str(e.entity_id)
        counts[who] = counts.get(who, 0) + 1
        reason = after.pop("reason", None)
        after.pop("active", None)
        out.append(ProfileVersion(counts[who], e.at, e.actor, reason, after))
    return out
