"""Follow-up: the day's list, recording and importing checks, follow-up teams, self-report
links (issued by staff; used without an account under /self-report), and a person's story."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, UploadFile
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, SettingsDep, needs
from cordon.api.schemas import PageBase
from cordon.domain.followup import CheckStatus, day_of
from cordon.domain.roles import Permission
from cordon.errors import InvalidValue
from cordon.services import followup, selfreport, story
from cordon.services.followup_import import import_checks

__all__ = ["router"]

router = APIRouter(tags=["follow-up"])
PersonId = Annotated[str, Path(min_length=1, max_length=64)]
Token = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
Symptoms = Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=30)]


class CheckRead(BaseModel):
    """One follow-up check."""

    id: int | None
    person: str
    day: str
    at: int
    checker: str
    source: str
    status: str
    temperature: float | None
    symptoms: list[str]
    notes: str | None
    order: int | None


class DueRead(BaseModel):
    """One person due a check on the day."""

    person: str
    name: str
    order: int
    kind: str
    day_of_monitoring: int
    monitoring_days: int | None
    team: str | None
    place: str | None
    aboard: bool
    done: bool
    overdue: bool
    checks: list[CheckRead]


class FollowUpPage(PageBase):
    """A page of the follow-up list of one station day (those who left the station apart)."""

    day: str
    cutoff: int
    done: int
    symptoms: list[str]
    items: list[DueRead]
    departed: list[DueRead]


class CheckCreate(BaseModel):
    """A check made by staff."""

    person: str = Field(min_length=1, max_length=64)
    status: CheckStatus
    temperature: float | None = Field(default=None, allow_inf_nan=False, ge=0, le=100)
    symptoms: Symptoms = []
    notes: str | None = Field(default=None, max_length=2000)
    at: int | None = Field(
        default=None, ge=0, le=10**11, description="Epoch seconds; now if unset."
    )


class RecordedRead(BaseModel):
    """A recorded check and what it set off."""

    check: CheckRead
    suspected: bool
    order: int | None
    task: int | None
    alert: int | None


class ImportRead(BaseModel):
    """What an import of checks did."""

    read: int
    added: int
    unchanged: int
    notes: list[str]


class TeamWrite(BaseModel):
    """The follow-up team of a place (null: none of its own)."""

    team: str | None = Field(max_length=64)


class LinkCreate(BaseModel):
    """A self-report link for a person, or for whoever answers for a group of quarters."""

    person: str = Field(min_length=1, max_length=64)
    quarters: str | None = Field(default=None, max_length=64)
    valid_seconds: int | None = Field(default=None, ge=60, le=90 * 86_400)


class LinkRead(BaseModel):
    """A self-report link (its token only in the answer that creates it)."""

    id: int
    person: str
    place: str | None
    order: int | None
    expires_at: int
    created_at: int
    created_by: str
    revoked_at: int | None
    last_used_at: int | None
    path: str | None = None


class MemberRead(BaseModel):
    """Someone a link reports for."""

    person: str
    name: str
    day_number: int
    reported_today: bool


class SelfReportRead(BaseModel):
    """What a self-report page shows."""

    expires_at: int
    members: list[MemberRead]
    symptoms: list[str]
    fever_c: float


class SelfReportCreate(BaseModel):
    """A self-reported check."""

    person: str = Field(min_length=1, max_length=64)
    status: CheckStatus
    temperature: float | None = Field(default=None, allow_inf_nan=False, ge=0, le=100)
    symptoms: Symptoms = []
    notes: str | None = Field(default=None, max_length=2000)


class SummaryRead(BaseModel):
    """A person's story in a few lines, as the reader may see it."""

    person: str
    lines: list[str]


def _link(link: Any, path: str | None = None) -> LinkRead:
    return LinkRead(**link.to_dict(), path=path)


def _recorded(done: followup.Recorded) -> RecordedRead:
    return RecordedRead.model_validate(done.to_dict())


@router.get("/followups", response_model=FollowUpPage, dependencies=[needs(Permission.FOLLOW_UP)])
def list_followups(
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
    page: PageDep,
    day: Annotated[date | None, Query(alias="date", description="Station date.")] = None,
    overdue: bool = False,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> FollowUpPage:
    """The follow-up list of a station day (default: today)."""
    now = cfg.now()
    found = followup.followup_list(
        session,
        actor=actor,
        day=day or day_of(now, cfg.zone),
        now=now,
        zone=cfg.zone,
        overdue=overdue,
        team=team,
    )
    data = found.to_dict()
    items = data["items"][page.offset : page.offset + page.limit]
    return FollowUpPage.model_validate(
        {**data, "items": items, "limit": page.limit, "offset": page.offset}
    )


@router.post(
    "/followups",
    response_model=RecordedRead,
    status_code=201,
    dependencies=[needs(Permission.FOLLOW_UP)],
)
def record_followup(
    body: CheckCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> RecordedRead:
    """Record a check; a symptomatic one of a quarantined person isolates them and asks for a
    sample, in the same transaction."""
    done = followup.record_check(
        session,
        actor=actor,
        person=body.person,
        at=body.at if body.at is not None else cfg.now(),
        status=body.status,
        zone=cfg.zone,
        temperature=body.temperature,
        symptoms=body.symptoms,
        notes=body.notes,
    )
    return _recorded(done)


@router.post(
    "/followups/import",
    response_model=ImportRead,
    status_code=201,
    dependencies=[needs(Permission.FOLLOW_UP)],
)
def import_followups(
    file: UploadFile, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> ImportRead:
    """Import a file of checks (CSV or JSON lines), whole or not at all."""
    name = FilePath(file.filename or "followups.csv").name
    if FilePath(name).suffix.lower() not in (".csv", ".jsonl", ".ndjson", ".json"):
        raise InvalidValue("upload a .csv or .jsonl file of checks")
    folder = FilePath(tempfile.mkdtemp(prefix="cordon-followups-"))
    try:
        path = folder / name
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        report = import_checks(session, path, actor=actor, zone=cfg.zone)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ImportRead(
        read=report.read, added=report.added, unchanged=report.unchanged, notes=report.notes
    )


@router.get(
    "/followup-teams", response_model=dict[str, str], dependencies=[needs(Permission.FOLLOW_UP)]
)
def list_teams(session: SessionDep, actor: ActorDep) -> dict[str, str]:
    """Place id -> the follow-up team responsible for the people housed there."""
    return followup.list_teams(session, actor=actor)


@router.put(
    "/followup-teams/{place_id}",
    response_model=TeamWrite,
    dependencies=[needs(Permission.FOLLOW_UP)],
)
def set_team(
    place_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: TeamWrite,
    session: SessionDep,
    actor: ActorDep,
) -> TeamWrite:
    """Make a team responsible for a place and the places within it."""
    followup.set_team(session, actor=actor, place=place_id, team=body.team)
    return body


@router.post(
    "/report-links",
    response_model=LinkRead,
    status_code=201,
    dependencies=[needs(Permission.FOLLOW_UP)],
)
def issue_link(
    body: LinkCreate, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> LinkRead:
    """Issue a self-report link; ``path`` (``/r/<token>``) is shown this once."""
    now = cfg.now()
    token, link = selfreport.issue_link(
        session,
        actor=actor,
        person=body.person,
        now=now,
        zone=cfg.zone,
        quarters=body.quarters,
        until=now + body.valid_seconds if body.valid_seconds else None,
    )
    return _link(link, f"/r/{token}")


@router.get(
    "/people/{person_id}/report-links",
    response_model=list[LinkRead],
    dependencies=[needs(Permission.FOLLOW_UP)],
)
def person_links(person_id: PersonId, session: SessionDep, actor: ActorDep) -> list[LinkRead]:
    """The links issued for a person (never their tokens)."""
    return [_link(x) for x in selfreport.links_of(session, actor=actor, person=person_id)]


@router.post(
    "/report-links/{link_id}/revoke",
    response_model=LinkRead,
    dependencies=[needs(Permission.FOLLOW_UP)],
)
def revoke_link(
    link_id: Annotated[int, Path(ge=1, le=2**31)],
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
) -> LinkRead:
    """Revoke a link at once."""
    return _link(selfreport.revoke_link(session, link_id, actor=actor, at=cfg.now()))


@router.get("/self-report/{token}", response_model=SelfReportRead)
def open_self_report(token: Token, session: SessionDep, cfg: SettingsDep) -> SelfReportRead:
    """What a self-report link covers (no account: the link is the authority); 404 once it
    has expired, been revoked or covers no one under monitoring."""
    view = selfreport.open_link(session, token, now=cfg.now(), zone=cfg.zone)
    return SelfReportRead(
        expires_at=view.link.expires_at,
        members=[MemberRead(**m.__dict__) for m in view.members],
        symptoms=list(view.symptoms),
        fever_c=view.fever_c,
    )


@router.post("/self-report/{token}", response_model=RecordedRead, status_code=201)
def submit_self_report(
    token: Token, body: SelfReportCreate, session: SessionDep, cfg: SettingsDep
) -> RecordedRead:
    """Report a check through a link, validated and acted on like a staff check."""
    done = selfreport.submit(
        session,
        token,
        person=body.person,
        status=body.status,
        now=cfg.now(),
        zone=cfg.zone,
        temperature=body.temperature,
        symptoms=body.symptoms,
        notes=body.notes,
    )
    return _recorded(done)


@router.get(
    "/people/{person_id}/summary",
    response_model=SummaryRead,
    dependencies=[needs(Permission.READ_PEOPLE)],
)
def person_summary(
    person_id: PersonId, session: SessionDep, actor: ActorDep, cfg: SettingsDep
) -> SummaryRead:
    """A person's story in a few lines (exposures, results, orders and why, follow-up, exits,
    where now), masked by the reader's role like the timeline."""
    told = story.person_story(session, person_id, actor=actor, at=cfg.now(), zone=cfg.zone)
    return SummaryRead(person=person_id, lines=told.lines)
