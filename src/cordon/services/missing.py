"""Missing-case finding: who should be in quarantine or isolation but is not in their place.

For each, the last presence and passage, who was with them (companions named in passages,
people passing the same door together, people in the same place at the last sighting), and any
exit passage: which exit, when, with whom, with what credential. An outward exit passage without
a return marks the person departed, with that passage as the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.cases import Containment
from cordon.domain.orders import CLINICAL_EVIDENCE, Order, OrderKind, OrderStatus
from cordon.domain.places import PlaceKind
from cordon.domain.records import Credential, Direction
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.rules import held_by_case
from cordon.domain.tasks import Task, TaskKind, TaskStatus
from cordon.errors import TransitionError
from cordon.services import orders
from cordon.services.access import allowed_places
from cordon.services.evidence import describe
from cordon.services.transaction import unit_of_work
from cordon.services.whereabouts import place_at
from cordon.store import cases, directory, observations, tasks
from cordon.store import containment as records
from cordon.store.models import PassageRow, PersonRow, PlaceRow, PresenceRow, RuleFiringRow
from cordon.store.observations import PassageView, PresenceView
from cordon.times import format_duration, local_time

__all__ = ["Companion", "Egress", "MissingCase", "check_exit_passages", "find_missing"]

_PLACE = aliased(PlaceRow)

TOGETHER_S = 120
"""An escort's exit passage this close to one of the person's own is the same crossing."""
NEAR_S = 30
"""Passages of the same door this close in time count as passing together."""
CONTACT_WINDOW_S = 1800
"""Co-location counts over the last this-many seconds of the last sighting..."""
CONTACT_MIN_S = 300
"""...when the other person was in the same place with them for at least this long."""
NEAR_MAX = 12
"""The most co-located companions kept per case (the longest together first)."""
GRACE_S = 600
"""A presence that ended this little before the feed's latest record still counts as open."""
BRING_BACK_WITHIN_S = 3_600
"""A missing or departed case's bring-back task is due this soon after it is found out."""


@dataclass(frozen=True, slots=True)
class Companion:
    """Someone who was with the missing person, and how we know; ``apart`` the seconds between
    their passages (a door) or ``overlap`` the seconds they shared a place (co-location)."""

    person: str
    name: str
    role: str
    how: str
    credential: str | None = None
    apart: int | None = None
    overlap: int | None = None


@dataclass(frozen=True, slots=True)
class Egress:
    """An exit passage: which exit, when, which way, with what credential, with whom."""

    place: str
    place_name: str
    at: int
    direction: str
    credential: str
    camera: str | None
    companions: tuple[Companion, ...]
    returned: bool


@dataclass(frozen=True, slots=True)
class MissingCase:
    """A person under order who is not where the order keeps them."""

    person: str
    name: str
    role: str
    order: Order
    allowed_places: tuple[str, ...]
    status: Containment
    """``missing`` (whereabouts unknown or elsewhere) or ``departed`` (left through an exit)."""
    last_presence: PresenceView | None
    last_passage: PassageView | None
    companions: tuple[Companion, ...] = ()
    co_located: tuple[Companion, ...] = ()
    egress: Egress | None = None
    evidence: tuple[str, ...] = field(default_factory=tuple)
    clinical: str | None = None
    """The case's clinical state (None without clinical rights or without one)."""

    def near(self) -> list[Companion]:
        """Everyone truly near, once each, ranked: the egress escort, then those named in or
        passing the same door with the last passage (closest in time first), then those in the
        same place at the last sighting (longest together first)."""
        out: dict[str, Companion] = {}
        door = sorted(self.companions, key=lambda c: (c.apart is not None, c.apart or 0))
        place = sorted(self.co_located, key=lambda c: -(c.overlap or 0))
        escort = self.egress.companions if self.egress else ()
        for c in (*escort, *door, *place):
            if c.person in out:
                kept = out[c.person]
                if c.how not in kept.how:
                    out[c.person] = replace(kept, how=f"{kept.how}; {c.how}")
            else:
                out[c.person] = c
        return list(out.values())


def _people(session: Session) -> dict[str, tuple[str, str]]:
    rows = session.execute(select(PersonRow.id, PersonRow.name, PersonRow.role)).all()
    return {p: (n, r) for p, n, r in rows}


def _companion(
    people: dict[str, tuple[str, str]], pid: str, how: str, cred: str | None = None
) -> Companion:
    name, role = people.get(pid, (pid, "unknown"))
    return Companion(pid, name, role, how, cred)


def _together(
    session: Session, person: str, p: PassageView, people: dict[str, tuple[str, str]]
) -> list[Companion]:
    """Companions named in the passage, and others who passed the same door within NEAR_S
    (or named this person as their companion), the closest in time first."""
    out = {c: _companion(people, c, f"companion at {p.place}") for c in p.companions}
    query = (
        select(PersonRow.id, PassageRow.credential, PassageRow.companions, PassageRow.at)
        .join(PersonRow, PassageRow.person_pk == PersonRow.pk)
        .join(PlaceRow, PassageRow.place_pk == PlaceRow.pk)
        .where(PlaceRow.id == p.place, PersonRow.id != person)
        .where(PassageRow.at >= p.at - TOGETHER_S, PassageRow.at <= p.at + TOGETHER_S)
    )
    for other, cred, comps, at in session.execute(query):
        apart = abs(at - p.at)
        named = person in (comps or [])
        if other in out:
            out[other] = replace(out[other], credential=cred)
        elif named:
            how = f"named {person} as companion at {p.place}"
            out[other] = replace(_companion(people, other, how, cred), apart=apart)
        elif apart <= NEAR_S:
            how = f"passed {p.place} {apart} s apart"
            out[other] = replace(_companion(people, other, how, cred), apart=apart)
    return sorted(out.values(), key=lambda c: (c.apart is not None, c.apart or 0, c.person))


def _co_located(
    session: Session, person_pk: int, seen: PresenceView, people: dict[str, tuple[str, str]]
) -> list[Companion]:
    """Co-location contacts at the last sighting: those in the same place with the person for
    at least CONTACT_MIN_S of its last CONTACT_WINDOW_S, the longest together first (at most
    NEAR_MAX); corridors count no one."""
    begin = max(seen.start, seen.end - CONTACT_WINDOW_S)
    place = _PLACE
    query = (
        select(PersonRow.id, PresenceRow.start_time, PresenceRow.end_time)
        .join(PresenceRow, PresenceRow.person_pk == PersonRow.pk)
        .join(place, and_(PresenceRow.place_pk == place.pk, place.id == seen.place))
        .where(place.kind != PlaceKind.CORRIDOR.value, PresenceRow.person_pk != person_pk)
        .where(PresenceRow.start_time < seen.end, PresenceRow.end_time > begin)
    )
    shared: dict[str, int] = {}
    for pid, start, end in session.execute(query):
        overlap = min(int(end), seen.end) - max(int(start), begin)
        shared[pid] = shared.get(pid, 0) + max(0, overlap)
    kept = sorted(
        ((p, s) for p, s in shared.items() if s >= CONTACT_MIN_S), key=lambda x: (-x[1], x[0])
    )
    return [
        replace(
            _companion(people, pid, f"with them in {seen.place} for {format_duration(s)}"),
            overlap=s,
        )
        for pid, s in kept[:NEAR_MAX]
    ]


def _binding(session: Session, at: int) -> dict[str, Order]:
    """The quarantine or isolation order binding each person at ``at`` (isolation first); for a
    case whose state implies one with no order on record, an order with no id standing for it."""
    out: dict[str, Order] = {}
    views = records.order_views(
        session, kinds=(OrderKind.QUARANTINE, OrderKind.ISOLATION), status=OrderStatus.ACTIVE
    )
    for v in views:
        o = v.order
        if o.person is None or not o.in_force(at):
            continue
        if o.person not in out or o.kind is OrderKind.ISOLATION:
            out[o.person] = o
    ordered = {v.order.person for v in views}
    for c in cases.list_cases(session):
        kind = held_by_case(c.clinical, c.containment)
        if kind is None or c.person in ordered or c.since > at:
            continue
        reason = f"case {c.containment.value} since {local_time(c.since, named=True)}, no order"
        out[c.person] = Order(None, kind, c.person, c.since, None, "case state", reason)
    return out


def _examine(
    session: Session,
    person: str,
    order: Order,
    at: int,
    people: dict[str, tuple[str, str]],
    beds: frozenset[str],
    lineages: dict[str, set[str]],
    escorted: dict[str, list[PassageView]],
    open_since: int,
) -> MissingCase | None:
    pk, who = directory.get_person(session, person)
    case = cases.get_case(session, pk, person)
    allowed = allowed_places(order.kind, case.assigned_place, who.home, beds)
    presence = [p for p in observations.presence_of(session, pk) if p.start <= at]
    own = [p for p in observations.passages_of(session, pk) if p.at <= at]
    carried = [
        p
        for p in escorted.get(person, ())
        if p.at <= at
        and not any(
            o.place == p.place and o.direction == p.direction and abs(o.at - p.at) <= TOGETHER_S
            for o in own
        )
    ]
    passages = sorted(own + carried, key=lambda p: p.at)
    last_presence = presence[-1] if presence else None
    last_passage = passages[-1] if passages else None
    exits = [p for p in passages if p.exit]
    out_exit = next((p for p in reversed(exits) if p.direction == Direction.OUT.value), None)
    egress = None
    if out_exit is not None:
        returned = any(p.at > out_exit.at and p.direction == Direction.IN.value for p in exits)
        returned = returned or any(p.start > out_exit.at for p in presence)
        egress = Egress(
            out_exit.place,
            out_exit.place_name,
            out_exit.at,
            out_exit.direction,
            out_exit.credential,
            out_exit.camera,
            tuple(_together(session, person, out_exit, people)),
            returned,
        )
    if egress is not None and not egress.returned:
        status = Containment.DEPARTED
        evidence = (f"passage:{egress.place}@{egress.at}:{egress.direction}:{egress.credential}",)
    else:
        here = _current_place(last_presence, last_passage, open_since)
        if here is not None and lineages.get(here, {here}) & allowed:
            return None
        status = Containment.MISSING
        evidence = (f"last seen {here or 'nowhere on record'}",)
    companions = tuple(_together(session, person, last_passage, people)) if last_passage else ()
    co_located = tuple(_co_located(session, pk, last_presence, people)) if last_presence else ()
    return MissingCase(
        person,
        who.name,
        who.role.value,
        order,
        tuple(sorted(allowed)),
        status,
        last_presence,
        last_passage,
        companions,
        co_located,
        egress,
        evidence,
        case.clinical.value if case.clinical is not None else None,
    )


def feed_horizon(session: Session) -> int | None:
    """The time of the presence feed's latest record (an interval's end or a passage), or None
    when it has none."""
    ends = session.scalar(select(func.max(PresenceRow.end_time)))
    passed = session.scalar(select(func.max(PassageRow.at)))
    known = [int(t) for t in (ends, passed) if t is not None]
    return max(known) if known else None


def _current_place(
    presence: PresenceView | None, passage: PassageView | None, at: int
) -> str | None:
    """Where the records put the person at ``at`` by the one rule of ``services.whereabouts``;
    only a presence still open or a passage in counts as being there (last seen is not). The
    caller moves ``at`` back to what the feed has reported, less its grace."""
    place, source, _ = place_at(presence, passage, bool(passage and passage.exit), at)
    return place if source in ("present", "entered") else None


def find_missing(
    session: Session,
    *,
    actor: Actor,
    at: int,
    record: bool = True,
    roles: Sequence[str] = (),
    grace: int = GRACE_S,
) -> list[MissingCase]:
    """Everyone under a quarantine or isolation order at ``at`` (only of ``roles`` when given)
    who is not in their place; with ``record``, cases move to missing or departed (and back when
    found) with an alert each. The check waits for the presence feed: where it lags ``at``, who
    is where is judged at its latest record, and a presence that ended within ``grace`` seconds
    of that still counts (no one is called missing for the feed being late)."""
    require(actor, Permission.READ_LOCATIONS, Permission.READ_ORDERS)
    with unit_of_work(session):
        horizon = feed_horizon(session)
        open_since = (at if horizon is None else min(at, horizon)) - grace
        people = _people(session)
        places = directory.list_places(session)
        beds = frozenset(
            p.id for p in places if p.kind in (PlaceKind.WARD, PlaceKind.ISOLATION_ROOM)
        )
        parents = {p.id: p.parent for p in places}
        lineages = {p.id: _lineage(p.id, parents) for p in places}
        escorted = _escorted(session)
        found = []
        for person, order in sorted(_binding(session, at).items()):
            if roles and people.get(person, ("", ""))[1] not in roles:
                continue
            result = _examine(
                session, person, order, at, people, beds, lineages, escorted, open_since
            )
            if record:
                _record(session, person, order, result, at=at, actor=actor.name)
            if result is not None:
                found.append(result)
    found.sort(key=lambda m: _urgency(m, clinical=actor.can(Permission.READ_CLINICAL)))
    return [_shown(m, actor) for m in found]


_CLINICAL_RANK = {"confirmed": 0, "suspected": 1, "exposed": 2}


def _urgency(case: MissingCase, *, clinical: bool) -> tuple[int, int, int, str]:
    """Confirmed cases first (for those who may know it), then whoever left through an exit on
    a foreign credential, then the other departed, then the missing; the latest seen first."""
    rank = _CLINICAL_RANK.get(case.clinical or "", 3) if clinical else 0
    if case.egress is not None and case.egress.credential == Credential.FOREIGN.value:
        how = 0
    else:
        how = 1 if case.status is Containment.DEPARTED else 2
    seen = case.egress.at if case.egress else (case.last_passage.at if case.last_passage else 0)
    return rank, how, -seen, case.person


def _shown(case: MissingCase, actor: Actor) -> MissingCase:
    """A missing case as the actor may see it: the order masked by the orders service, and no
    exposure or lab evidence without clinical rights."""
    if actor.can(Permission.READ_CLINICAL):
        return case
    return replace(
        case,
        clinical=None,
        order=orders.visible(case.order, actor),
        evidence=tuple(e for e in case.evidence if not e.startswith(CLINICAL_EVIDENCE)),
    )


def _escorted(session: Session) -> dict[str, list[PassageView]]:
    """Exit passages in which a person is named only as someone's companion (they went through
    without a passage of their own), as passages of theirs: the door opened by the other's
    credential, with the other as companion."""
    query = (
        select(
            PersonRow.id,
            PlaceRow.id,
            PlaceRow.name,
            PassageRow.at,
            PassageRow.direction,
            PassageRow.credential,
            PassageRow.companions,
            PassageRow.camera,
        )
        .join(PersonRow, PassageRow.person_pk == PersonRow.pk)
        .join(PlaceRow, PassageRow.place_pk == PlaceRow.pk)
        .where(PlaceRow.exit.is_(True))
    )
    out: dict[str, list[PassageView]] = {}
    for who, place, name, t, direction, credential, companions, camera in session.execute(query):
        for c in companions or ():
            out.setdefault(c, []).append(
                PassageView(place, name, t, direction, credential, [who], camera, True)
            )
    return out


def _lineage(place: str, parents: dict[str, str | None]) -> set[str]:
    out: set[str] = set()
    current: str | None = place
    while current is not None and current not in out:
        out.add(current)
        current = parents.get(current)
    return out


def _record(
    session: Session, person: str, order: Order, result: MissingCase | None, *, at: int, actor: str
) -> None:
    pk, _ = directory.get_person(session, person)
    case = cases.get_case(session, pk, person)
    if result is None:
        if case.containment in (Containment.MISSING, Containment.DEPARTED):
            back = (
                Containment.ISOLATED
                if order.kind is OrderKind.ISOLATION
                else Containment.QUARANTINED
            )
            try:
                orders.move_case(
                    session, person, at=at, actor=actor, reason="found in place", containment=back
                )
            except TransitionError:
                return
        return
    if case.containment is result.status:
        return
    when = result.egress.at if result.status is Containment.DEPARTED and result.egress else at
    orders.move_case(
        session,
        person,
        at=when,
        actor=actor,
        reason="; ".join(describe(e).text for e in result.evidence),
        containment=result.status,
    )
    kind = (
        AlertKind.CASE_DEPARTED if result.status is Containment.DEPARTED else AlertKind.CASE_MISSING
    )
    if result.egress is not None and result.status is Containment.DEPARTED:
        escorts = ", ".join(c.person for c in result.egress.companions) or "no one on record"
        message = (
            f"{person} ({order.kind.value}) left through {result.egress.place} at "
            f"{local_time(result.egress.at, named=True)} with {escorts}, "
            f"credential {result.egress.credential}"
        )
    else:
        message = f"{person} ({order.kind.value}) is not in {', '.join(result.allowed_places)}"
    records.add_alert(
        session,
        Alert(
            kind,
            when,
            message,
            Severity.CRITICAL,
            person,
            result.egress.place if result.egress else None,
            result.evidence,
        ),
        person_pk=pk,
        place_pk=None,
        actor=actor,
    )
    where = result.egress.place if result.egress else None
    tasks.add_task(
        session,
        Task(
            id=None,
            kind=TaskKind.BRING_BACK,
            person=person,
            place=where,
            assignee="role:security",
            due_at=at + BRING_BACK_WITHIN_S,
            status=TaskStatus.OPEN,
            note=(
                f"bring {person} back: left through {where}"
                if result.status is Containment.DEPARTED and where
                else f"find {person} and bring them back"
            ),
            evidence=(f"order:{order.id}",),
            created_at=at,
        ),
        person_pk=pk,
        place_pk=directory.get_place(session, where)[0] if where else None,
        actor=actor,
    )


def check_exit_passages(session: Session, *, actor: str, now: int) -> list[Alert]:
    """Alert once for each recorded exit passage, up to ``now``, by a person under any order at
    the time with a foreign credential (no commit)."""
    held = records.order_views(
        session, kinds=(OrderKind.QUARANTINE, OrderKind.ISOLATION, OrderKind.EGRESS_HOLD)
    )
    by_person: dict[str, list[records.OrderView]] = {}
    for v in held:
        if v.order.person is not None:
            by_person.setdefault(v.order.person, []).append(v)
    if not by_person:
        return []
    query = (
        select(
            PassageRow.pk,
            PersonRow.id,
            PersonRow.pk,
            PlaceRow.id,
            PlaceRow.pk,
            PassageRow.at,
            PassageRow.direction,
            PassageRow.companions,
        )
        .join(PersonRow, PassageRow.person_pk == PersonRow.pk)
        .join(PlaceRow, PassageRow.place_pk == PlaceRow.pk)
        .where(PlaceRow.exit.is_(True), PassageRow.credential == Credential.FOREIGN.value)
        .where(PassageRow.at <= now, PersonRow.id.in_(list(by_person)))
        .order_by(PassageRow.at)
    )
    raised = []
    for ppk, person, person_pk, place, place_pk, t, direction, comps in session.execute(query):
        key = f"passage:{ppk}"
        if session.scalar(
            select(RuleFiringRow.pk).where(
                RuleFiringRow.rule == "exit", RuleFiringRow.evidence == key
            )
        ):
            continue
        binding = [
            v
            for v in by_person[person]
            if v.order.start <= t and (v.effective_end is None or t < v.effective_end)
        ]
        if binding:
            o = binding[0].order
            alert = Alert(
                AlertKind.FOREIGN_CREDENTIAL,
                t,
                f"{person}, under {o.kind.value} (order {o.id}), passed exit {place} "
                f"{direction} with a foreign credential"
                + (f", with {', '.join(comps)}" if comps else ""),
                Severity.CRITICAL,
                person,
                place,
                (key, f"order:{o.id}"),
            )
            records.add_alert(session, alert, person_pk=person_pk, place_pk=place_pk, actor=actor)
            raised.append(alert)
        records.add_firing(
            session, "exit", key, at=now, outcome="alert" if binding else "not under order"
        )
    return raised
