"""The pathogen profile: show, change (with a dry run) and its versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, SessionDep, SettingsDep, needs
from cordon.domain.roles import Permission
from cordon.services import profiles
from cordon.store.profiles import profile_record

__all__ = ["router"]

router = APIRouter(prefix="/profile", tags=["profile"])


class ProfileUpdate(BaseModel):
    """Settings to change (``{"rules.quarantine_s": "10d", "transmission.close": "0.1"}``)."""

    settings: dict[Annotated[str, Field(max_length=80)], Annotated[str, Field(max_length=200)]] = (
        Field(max_length=40)
    )
    reason: str = Field(min_length=1, max_length=2000)
    dry_run: bool = False


class FieldChange(BaseModel):
    """One setting that changes."""

    field: str
    before: Any
    after: Any


class ProfileChangeRead(BaseModel):
    """What a change did, or would do."""

    applied: bool
    changes: list[FieldChange]
    pending_exposures: int
    would_trigger: list[str]
    would_no_longer_trigger: list[str]
    profile: dict[str, Any]


class ProfileVersionRead(BaseModel):
    """One saved version."""

    version: int
    at: float
    actor: str
    reason: str | None
    profile: dict[str, Any]


@router.get("", dependencies=[needs(Permission.READ_AGGREGATES)])
def show(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """The active profile."""
    return profile_record(profiles.show(session, actor=actor))


@router.post(
    "", response_model=ProfileChangeRead, dependencies=[needs(Permission.ADMINISTER_STORE)]
)
def change(
    body: ProfileUpdate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> ProfileChangeRead:
    """Change settings of the active profile (a new version, from now on), or with
    ``dry_run`` only say what would change."""
    done = profiles.change_profile(
        session,
        actor=actor,
        now=cfg.now(),
        reason=body.reason,
        settings=body.settings,
        dry_run=body.dry_run,
    )
    return ProfileChangeRead(
        applied=done.applied,
        changes=[FieldChange(field=k, before=b, after=a) for k, b, a in done.changes],
        pending_exposures=done.pending,
        would_trigger=done.would_trigger,
        would_no_longer_trigger=done.would_not,
        profile=done.after,
    )


@router.get(
    "/history",
    response_model=list[ProfileVersionRead],
    dependencies=[needs(Permission.READ_AUDIT)],
)
def history(session: SessionDep, actor: ActorDep) -> list[ProfileVersionRead]:
    """Every saved version, oldest first."""
    return [
        ProfileVersionRead(
            version=v.version, at=v.at, actor=v.actor, reason=v.reason, profile=v.profile
        )
        for v in profiles.history(session, actor=actor)
    ]
