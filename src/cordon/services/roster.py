"""The guard roster from the record: the exits, the security staff on hand, and the rules.

Use it through ``cordon.services.plans``, which also holds the housing plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from cordon.domain.cases import Containment
from cordon.domain.people import ROLE_ALIASES, Role, is_supervisor
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import choice
from cordon.engine.plan import roster_problem, solve_roster
from cordon.errors import InvalidValue
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory
from cordon.store import plans as reads

__all__ = ["GuardLoad", "OffPost", "RosterPlan", "Shift", "Uncovered", "plan_roster"]

HOUR = 3_600


@dataclass(frozen=True)
class Shift:
    """One guard at one exit for one shift."""

    guard: str
    exit: str
    start: int
    end: int


@dataclass(frozen=True)
class Uncovered:
    """An exit left without a guard over [start, end)."""

    exit: str
    start: int
    end: int


@dataclass(frozen=True)
class OffPost:
    """Someone of the guards' roles kept off the posts, and why."""

    id: str
    name: str
    why: str


@dataclass(frozen=True)
class GuardLoad:
    """How much one guard works in the roster."""

    guard: str
    name: str
    shifts: int
    hours: int


@dataclass(frozen=True)
class RosterPlan:
    """Guards at every exit around the clock, or the post-hours left uncovered and the guards
    that would cover them."""

    start: int
    days: int
    shift_hours: int
    min_rest_hours: float
    max_hours_week: float
    exits: list[str]
    guards: list[GuardLoad]
    unavailable: list[str]
    """Security staff left out because they are under an order (quarantined, isolated, ...)."""
    off_posts: list[OffPost]
    """Guards kept off the posts: excluded (``exclude``) or supervisors (by affiliation)."""
    shifts: list[Shift]
    uncovered: list[Uncovered]
    uncovered_post_hours: int
    guards_needed: int | None
    extra_guards_needed: int | None
    guards_lower_bound: int
    spread_hours: int
    status: str
    objective: float
    bound: float
    gap: float
    wall_s: float

    @property
    def covered(self) -> bool:
        """Whether every exit has a guard at every hour."""
        return self.uncovered_post_hours == 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {**asdict(self), "covered": self.covered}


def _off_posts(
    session: Session,
    staff: list[tuple[str, str, str, str | None, str]],
    exclude: Sequence[str],
    include_supervisors: bool,
) -> dict[str, OffPost]:
    """Who of ``staff`` is kept off the posts, by id, with the reason."""
    ids: set[str] = set()
    roles: set[str] = set()
    affiliations: set[str] = set()
    for item in exclude:
        kind, sep, value = item.partition(":")
        if sep and kind.strip().lower() == "role":
            roles.add(choice(Role, value, ROLE_ALIASES).value)
        elif sep and kind.strip().lower() == "affiliation":
            affiliations.add(value.strip().casefold())
        else:
            ids.add(item.strip())
    unknown = sorted(ids - set(directory.person_keys(session)))
    if unknown:
        raise InvalidValue(
            f"--exclude: no person with id {', '.join(map(repr, unknown))} "
            "(give a person id, role:ROLE or affiliation:TEXT)"
        )
    off: dict[str, OffPost] = {}
    for i, n, role, affiliation, _k in staff:
        if i in ids:
            off[i] = OffPost(i, n, "excluded")
        elif role in roles:
            off[i] = OffPost(i, n, f"excluded (role:{role})")
        elif affiliation and affiliation.casefold() in affiliations:
            off[i] = OffPost(i, n, f"excluded (affiliation:{affiliation})")
        elif not include_supervisors and is_supervisor(affiliation):
            off[i] = OffPost(i, n, f"supervisor ({affiliation}); --include-supervisors posts them")
    return off


def plan_roster(
    session: Session,
    *,
    actor: Actor,
    start: int,
    days: int = 7,
    shift_hours: int = 8,
    min_rest_hours: float = 11,
    max_hours_week: float = 48,
    exits: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    guard_roles: Sequence[str] = (Role.SECURITY.value,),
    include_supervisors: bool = False,
    time_limit_s: float = 10.0,
) -> RosterPlan:
    """A guard at every exit around the clock for ``days`` days from ``start``, shared fairly
    among the security staff not under an order; or the post-hours left uncovered and how many
    guards would cover them. ``exits`` picks exits and their priority (default: every place
    flagged as an exit, by id); when guards are short the last ones are left uncovered first.
    Guards are the people of ``guard_roles``; ``exclude`` keeps people (by id), roles
    (``role:ROLE``) or affiliations (``affiliation:TEXT``) off the posts, and supervisors (an
    affiliation such as "police chief", see ``is_supervisor``) stay off unless
    ``include_supervisors``.
    """
    require(actor, Permission.PLAN_ROSTER, Permission.READ_PEOPLE)
    places = {p.id: p for p in directory.list_places(session)}
    if exits is None:
        posts = [p.id for p in places.values() if p.exit]
    else:
        unknown = [e for e in exits if e not in places]
        if unknown:
            raise InvalidValue(f"no place with id {', '.join(map(repr, unknown))}")
        posts = list(dict.fromkeys(exits))
    roles = [choice(Role, r, ROLE_ALIASES).value for r in guard_roles]
    staff = reads.people_of_roles(session, roles)
    off = _off_posts(session, staff, exclude, include_supervisors)
    on_hand = [(i, n) for i, n, _r, _a, k in staff if k == Containment.FREE.value and i not in off]
    unavailable = [i for i, _n, _r, _a, k in staff if k != Containment.FREE.value]
    problem = roster_problem(
        posts=len(posts),
        guards=len(on_hand),
        days=days,
        shift_hours=shift_hours,
        min_rest_hours=min_rest_hours,
        max_hours_week=max_hours_week,
    )
    solution = solve_roster(problem, time_limit_s=time_limit_s)
    length = shift_hours * HOUR

    shifts = [
        Shift(
            on_hand[g][0],
            posts[int(solution.post[g, s])],
            start + s * length,
            start + (s + 1) * length,
        )
        for s in range(problem.slots)
        for g in range(problem.guards)
        if solution.post[g, s] >= 0
    ]
    gaps = []
    for q, row in enumerate(solution.uncovered):
        s = 0
        while s < problem.slots:
            if row[s]:
                end = s
                while end < problem.slots and row[end]:
                    end += 1
                gaps.append(Uncovered(posts[q], start + s * length, start + end * length))
                s = end
            else:
                s += 1
    counts = solution.shifts.tolist()
    loads = [
        GuardLoad(i, n, counts[g], counts[g] * shift_hours) for g, (i, n) in enumerate(on_hand)
    ]
    needed = solution.guards_needed
    plan = RosterPlan(
        start=start,
        days=days,
        shift_hours=shift_hours,
        min_rest_hours=min_rest_hours,
        max_hours_week=max_hours_week,
        exits=posts,
        guards=loads,
        unavailable=unavailable,
        off_posts=list(off.values()),
        shifts=shifts,
        uncovered=gaps,
        uncovered_post_hours=int(solution.uncovered.sum()) * shift_hours,
        guards_needed=needed,
        extra_guards_needed=None if needed is None else needed - len(on_hand),
        guards_lower_bound=solution.guards_lower_bound,
        spread_hours=solution.spread * shift_hours,
        status=solution.status,
        objective=solution.objective,
        bound=solution.bound,
        gap=solution.gap,
        wall_s=solution.wall_s,
    )
    with unit_of_work(session):
        audit.record(
            session,
            actor=actor.name,
            action="plan",
            entity="roster",
            entity_id=None,
            after={
                "start": start,
                "days": days,
                "exits": len(posts),
                "guards": len(on_hand),
                "off_posts": sorted(off),
                "uncovered_post_hours": plan.uncovered_post_hours,
            },
        )
    return plan
