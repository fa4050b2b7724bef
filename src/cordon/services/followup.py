"""Daily follow-up of everyone under quarantine or isolation: who is due a check on a day, a
check recorded (a symptomatic one makes a suspected case under isolation with a sample task, in
the same transaction), the follow-up teams, and the non-reporters after the day's cut-off.

Follow-up is clinical: every read needs clinical rights and is audited with the persons it
names; the CLI, the API, the dashboard, self-report links and imports all come through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import Clinical
from cordon.domain.followup import (
    CheckSource,
    CheckStatus,
    FollowUp,
    Monitoring,
    day_of,
    validate_check,
)
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.tasks import Task, TaskKind, TaskStatus
from cordon.domain.vocab import require_text
from cordon.errors import InvalidValue, TransitionError
from cordon.services import orders
from cordon.services.transaction import unit_of_work
from cordon.services.whereabouts import Whereabouts, locate
from cordon.store import audit, cases, directory, profiles, tasks
from cordon.store import containment as records
from cordon.store import followup as store
from cordon.store.models import FollowUpRow, PersonRow, PlaceRow, RuleFiringRow

__all__ = [
    "CheckInput",
    "Due",
    "FollowUpList",
    "Recorded",
    "check_non_reporters",
    "followup_list",
    "list_teams",
    "monitoring_on",
    "record_check",
    "record_round",
    "set_team",
    "team_of",
]

MONITORED = (OrderKind.QUARANTINE, OrderKind.ISOLATION)


@dataclass(frozen=True)
class Due:
    """One person due a check on a day: their monitoring, team, whereabouts and the day's checks."""

    person: str
    name: str
    order: int
    kind: OrderKind
    day_number: int
    length_days: int | None
    team: str | None
    place: str | None
    aboard: bool
    checks: tuple[FollowUp, ...]
    overdue: bool

    @property
    def done(self) -> bool:
        """Whether the day has a check (any status)."""
        return bool(self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "person": self.person,
            "name": self.name,
            "order": self.order,
            "kind": self.kind.value,
            "day_of_monitoring": self.day_number,
            "monitoring_days": self.length_days,
            "team": self.team,
            "place": self.place,
            "aboard": self.aboard,
            "done": self.done,
            "overdue": self.overdue,
            "checks": [store.followup_record(c) for c in self.checks],
        }


@dataclass(frozen=True)
class FollowUpList:
    """The follow-up list of one station day: those aboard, and those who departed apart."""

    day: date
    cutoff: int
    """Epoch seconds of the day's cut-off hour: no check by then makes a non-reporter."""
    due: list[Due]
    departed: list[Due]
    symptoms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "day": self.day.isoformat(),
            "cutoff": self.cutoff,
            "symptoms": list(self.symptoms),
            "total": len(self.due),
            "done": sum(d.done for d in self.due),
            "items": [d.to_dict() for d in self.due],
            "departed": [d.to_dict() for d in self.departed],
        }


@dataclass(frozen=True)
class Recorded:
    """A check as recorded, and what it set off (for a symptomatic check under quarantine)."""

    check: FollowUp
    suspected: bool = False
    order: int | None = None
    task: int | None = None
    alert: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "check": store.followup_record(self.check),
            "suspected": self.suspected,
            "order": self.order,
            "task": self.task,
            "alert": self.alert,
        }


def _midnight(day: date, zone: tzinfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def cutoff_of(day: date, hour: int, zone: tzinfo) -> int:
    """Epoch seconds of ``hour`` o'clock station time on ``day``."""
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=zone).timestamp())


def monitoring_on(session: Session, day: date, zone: tzinfo) -> dict[str, Monitoring]:
    """Per person, the monitoring period that covers station day ``day`` (the latest started
    when a restart or an isolation follows a quarantine on that day)."""
    start_of, end_of = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    out: dict[str, Monitoring] = {}
    for view in records.order_views(session, kinds=MONITORED):
        o = view.order
        if o.person is None or o.id is None or o.start >= end_of:
            continue
        end = view.effective_end
        if o.status is not OrderStatus.ACTIVE and end is None:
            continue
        if end is not None and end <= start_of:
            continue
        m = Monitoring(o.person, o.id, o.kind, o.start, end)
        if m.covers(day, zone):
            held = out.get(o.person)
            if held is None or (m.start, m.order) >= (held.start, held.order):
                out[o.person] = m
    return out


def _lineage(place: str | None, parents: dict[str, str | None]) -> list[str]:
    out: list[str] = []
    while place is not None and place not in out:
        out.append(place)
        place = parents.get(place)
    return out


def team_of(
    place: str | None, home: str | None, teams: dict[str, str], parents: dict[str, str | None]
) -> str | None:
    """The team responsible for a person: that of the place they are held in (or its nearest
    enclosing place with a team), else that of their home quarters."""
    for start in (place, home):
        for p in _lineage(start, parents):
            if p in teams:
                return teams[p]
    return None


def _homes(session: Session, people: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    query = (
        select(PersonRow.id, PersonRow.name, PlaceRow.id)
        .outerjoin(PlaceRow, PersonRow.home_pk == PlaceRow.pk)
        .where(PersonRow.id.in_(list(people)))
    )
    return {p: (n, h) for p, n, h in session.execute(query)}


def _due(session: Session, day: date, *, now: int, zone: tzinfo) -> tuple[list[Due], int]:
    """Everyone due a check on ``day`` (aboard or not), and the day's cut-off."""
    rules = profiles.active_profile(session).rules
    cutoff = cutoff_of(day, rules.followup_cutoff_hour, zone)
    periods = monitoring_on(session, day, zone)
    if not periods:
        return [], cutoff
    people = sorted(periods)
    at = min(now, _midnight(day + timedelta(days=1), zone) - 1)
    where: dict[str, Whereabouts] = locate(session, at=at, people=people)
    homes = _homes(session, people)
    checks = store.checks_on(session, day, people)
    teams, parents = store.teams(session), directory.place_parents(session)
    out = []
    for person in people:
        m = periods[person]
        name, home = homes.get(person, (person, None))
        w = where[person]
        done = tuple(checks.get(person, ()))
        out.append(
            Due(
                person=person,
                name=name,
                order=m.order,
                kind=m.kind,
                day_number=m.day_number(day, zone),
                length_days=m.length_days(zone),
                team=team_of(w.place, home, teams, parents),
                place=w.place,
                aboard=w.aboard,
                checks=done,
                overdue=not done and now >= cutoff,
            )
        )
    return out, cutoff


def followup_list(
    session: Session,
    *,
    actor: Actor,
    day: date,
    now: int,
    zone: tzinfo,
    overdue: bool = False,
    team: str | None = None,
) -> FollowUpList:
    """The follow-up list of station day ``day``: one entry per person under quarantine or
    isolation that day, with their day of monitoring and the day's checks; those who left the
    station are listed apart. ``overdue`` keeps those without a check after the cut-off;
    ``team`` those of one team. The read is audited with the persons it names."""
    require(actor, Permission.FOLLOW_UP, Permission.READ_CLINICAL)
    rules = profiles.active_profile(session).rules
    entries, cutoff = _due(session, day, now=now, zone=zone)
    if overdue:
        entries = [e for e in entries if e.overdue]
    if team is not None:
        entries = [e for e in entries if e.team == team]
    result = FollowUpList(
        day=day,
        cutoff=cutoff,
        due=[e for e in entries if e.aboard],
        departed=[e for e in entries if not e.aboard],
        symptoms=rules.symptoms,
    )
    if entries:
        with unit_of_work(session):
            audit.record(
                session,
                actor=actor.name,
                action="read",
                entity="followup_list",
                entity_id=day.isoformat(),
                after={"persons": [e.person for e in entries]},
            )
    return result


def _write_check(
    session: Session,
    *,
    person: str,
    at: int,
    status: CheckStatus,
    temperature: float | None,
    symptoms: Sequence[str],
    notes: str | None,
    source: CheckSource,
    checker: str,
    actor: str,
    zone: tzinfo,
    batch_pk: int | None = None,
) -> Recorded:
    """Validate and store one check, and act on a symptomatic one (no commit)."""
    pk, _ = directory.get_person(session, person)
    profile = profiles.active_profile(session)
    day = day_of(at, zone)
    period = monitoring_on(session, day, zone).get(person)
    if period is None or period.start > at:
        raise InvalidValue(
            f"{person} is under no quarantine or isolation on {day.isoformat()}: "
            "there is nothing to follow up"
        )
    named = validate_check(status, temperature, tuple(symptoms), profile.rules)
    text = notes.strip() if notes else None
    check = FollowUp(
        id=None,
        person=person,
        day=day,
        at=at,
        checker=checker,
        source=source,
        status=status,
        temperature=temperature,
        symptoms=named,
        notes=text or None,
        order=period.order,
    )
    if session.scalar(
        select(FollowUpRow.pk).where(FollowUpRow.person_pk == pk, FollowUpRow.at == at)
    ):
        raise InvalidValue(f"{person} already has a check recorded at this very second")
    stored = store.add_followup(session, check, person_pk=pk, actor=actor, batch_pk=batch_pk)
    if status is not CheckStatus.SYMPTOMATIC or period.kind is not OrderKind.QUARANTINE:
        return Recorded(stored)
    return _symptomatic(session, stored, pk=pk, period=period, actor=actor)


def _symptomatic(
    session: Session, check: FollowUp, *, pk: int, period: Monitoring, actor: str
) -> Recorded:
    """A quarantined person with symptoms: a suspected case, isolated when the profile says so
    (the quarantine superseded), a sample task for the medical team, and an alert."""
    rules = profiles.active_profile(session).rules
    what = ", ".join(check.symptoms)
    if check.temperature is not None and check.temperature >= rules.fever_c:
        what = ", ".join(x for x in (f"{check.temperature:g} °C", what) if x)
    evidence = (f"followup:{check.id}",)
    reason = f"symptoms at follow-up ({what})"
    case = cases.get_case(session, pk, check.person)
    suspected = case.clinical not in (Clinical.CONFIRMED, Clinical.SUSPECTED)
    if suspected:
        with suppress(TransitionError):
            orders.move_case(
                session,
                check.person,
                at=check.at,
                actor=actor,
                reason=reason,
                clinical=Clinical.SUSPECTED,
                person_pk=pk,
            )
    order_id = None
    if rules.isolate_on_symptoms:
        records.close_order(
            session,
            period.order,
            OrderStatus.SUPERSEDED,
            at=check.at,
            actor=actor,
            reason=f"superseded: isolation after {reason}",
        )
        issued = orders.write_order(
            session,
            kind=OrderKind.ISOLATION,
            person=check.person,
            start=check.at,
            expiry=None,
            issuer=actor,
            reason=f"isolation after {reason}",
            evidence=evidence,
            supersede=False,
            supersedes=period.order,
            person_pk=pk,
        )
        order_id = issued.id
    task = tasks.add_task(
        session,
        Task(
            id=None,
            kind=TaskKind.SAMPLE,
            person=check.person,
            place=None,
            assignee="role:medical",
            due_at=check.at + rules.sample_within_s,
            status=TaskStatus.OPEN,
            note=f"take a sample: {reason}",
            evidence=evidence,
            created_at=check.at,
        ),
        person_pk=pk,
        place_pk=None,
        actor=actor,
    )
    alert = records.add_alert(
        session,
        Alert(
            AlertKind.SYMPTOMS,
            check.at,
            f"{check.person}: {reason}; now a suspected case",
            Severity.WARNING,
            check.person,
            None,
            (*evidence, f"task:{task.id}", *((f"order:{order_id}",) if order_id else ())),
        ),
        person_pk=pk,
        place_pk=None,
        actor=actor,
    )
    return Recorded(check, suspected=suspected, order=order_id, task=task.id, alert=alert)


def record_check(
    session: Session,
    *,
    actor: Actor,
    person: str,
    at: int,
    status: CheckStatus,
    zone: tzinfo,
    temperature: float | None = None,
    symptoms: Sequence[str] = (),
    notes: str | None = None,
) -> Recorded:
    """Record a staff check of a monitored person. A symptomatic check of a quarantined person
    makes, in the same transaction, a suspected case, an isolation order (the profile willing),
    a sample task and an alert, each of which tells its recipients through the outbox."""
    require(actor, Permission.FOLLOW_UP, Permission.READ_CLINICAL)
    with unit_of_work(session):
        return _write_check(
            session,
            person=person,
            at=at,
            status=status,
            temperature=temperature,
            symptoms=symptoms,
            notes=notes,
            source=CheckSource.STAFF,
            checker=actor.name,
            actor=actor.name,
            zone=zone,
        )


@dataclass(frozen=True)
class CheckInput:
    """One row of a round of checks (the dashboard's form)."""

    person: str
    status: CheckStatus
    temperature: float | None = None
    symptoms: tuple[str, ...] = ()
    notes: str | None = None


def record_round(
    session: Session,
    *,
    actor: Actor,
    rows: Sequence[CheckInput],
    at: int,
    zone: tzinfo,
) -> list[Recorded]:
    """Record a round of checks in one transaction: every row is recorded, or none is and the
    error names the row's person and the reason."""
    require(actor, Permission.FOLLOW_UP, Permission.READ_CLINICAL)
    out: list[Recorded] = []
    with unit_of_work(session):
        for row in rows:
            try:
                out.append(
                    _write_check(
                        session,
                        person=row.person,
                        at=at,
                        status=row.status,
                        temperature=row.temperature,
                        symptoms=row.symptoms,
                        notes=row.notes,
                        source=CheckSource.STAFF,
                        checker=actor.name,
                        actor=actor.name,
                        zone=zone,
                    )
                )
            except InvalidValue as exc:
                raise InvalidValue(f"{row.person}: {exc}") from None
    return out


def set_team(session: Session, *, actor: Actor, place: str, team: str | None) -> None:
    """Make ``team`` responsible for following up the people housed in ``place`` and the places
    within it (None: remove the place's own team)."""
    require(actor, Permission.FOLLOW_UP)
    name = require_text(team, "a team's name") if team is not None else None
    with unit_of_work(session):
        place_pk, _ = directory.get_place(session, place)
        store.set_team(session, place_pk, place, name, actor=actor.name)


def list_teams(session: Session, *, actor: Actor) -> dict[str, str]:
    """Place id -> the follow-up team responsible for the people housed there."""
    require(actor, Permission.FOLLOW_UP)
    return store.teams(session)


def check_non_reporters(session: Session, *, now: int, zone: tzinfo, actor: str) -> list[Alert]:
    """After the cut-off hour of today (and for yesterday, should the worker have been away at
    its cut-off), one alert per monitored person aboard without a check that day (no commit)."""
    rules = profiles.active_profile(session).rules
    today = day_of(now, zone)
    raised: list[Alert] = []
    for day in (today - timedelta(days=1), today):
        entries, cutoff = _due(session, day, now=now, zone=zone)
        if now < cutoff:
            continue
        keys = directory.person_keys(session)
        for e in entries:
            if e.done or not e.aboard:
                continue
            key = f"{e.person}:{day.isoformat()}"
            if session.scalar(
                select(RuleFiringRow.pk).where(
                    RuleFiringRow.rule == "non_reporter", RuleFiringRow.evidence == key
                )
            ):
                continue
            alert = Alert(
                AlertKind.NON_REPORTER,
                cutoff,
                f"{e.person} ({e.name}): no follow-up check on {day.isoformat()} by "
                f"{rules.followup_cutoff_hour:02d}:00 (day {e.day_number} of monitoring"
                + (f", team {e.team})" if e.team else ")"),
                Severity.WARNING,
                e.person,
                e.place,
                (f"order:{e.order}",),
            )
            records.add_alert(session, alert, person_pk=keys[e.person], place_pk=None, actor=actor)
            records.add_firing(session, "non_reporter", key, at=now, outcome="alert")
            raised.append(alert)
    return raised
