"""Moratorium rules: "just for today" across midnight and time zones, breaches, gatherings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cordon.domain import moratoria as m
from cordon.domain.gatherings import Gathering
from cordon.domain.orders import Order, OrderKind, Scope
from cordon.domain.records import Exposure, ExposureSource, Route
from cordon.times import parse_time

ROLES = {"v1": "visiting_crew", "w1": "performer", "g1": "guest", "v2": "visiting_crew"}
ANCESTORS = {"hall": ["ring"], "suite": ["ring"], "ring": [], "ward": []}


def moratorium(start: int, expiry: int | None, **scope: object) -> Order:
    base = {"routes": frozenset({Route.FLUID}), "roles": frozenset({"visiting_crew"})}
    return Order(
        9,
        OrderKind.MORATORIUM,
        None,
        start,
        expiry,
        "lead",
        "stop",
        scope=Scope(**{**base, **scope}),  # type: ignore[arg-type]
    )


def test_just_for_today_ends_at_the_next_station_midnight() -> None:
    now = parse_time("2026-11-25T12:00:00Z")
    assert m.just_for_today(now, ZoneInfo("UTC")) == (now, parse_time("2026-11-26T00:00:00Z"))
    # 23:30 station time in Tokyo is 14:30 UTC: the day ends 30 minutes later, not at UTC midnight.
    late = parse_time("2026-11-25T14:30:00Z")
    assert m.just_for_today(late, ZoneInfo("Asia/Tokyo"))[1] == parse_time("2026-11-25T15:00:00Z")
    # 20:00 in New York is already 01:00 UTC of the next day; the end is 05:00 UTC.
    evening = parse_time("2026-11-26T01:00:00Z")
    assert m.just_for_today(evening, ZoneInfo("America/New_York"))[1] == parse_time(
        "2026-11-26T05:00:00Z"
    )


def exposure(
    a: str, b: str, start: str, route: Route = Route.FLUID, place: str = "hall"
) -> Exposure:
    t = parse_time(start)
    return Exposure(a, b, t, t + 1800, route, ExposureSource.INTERVIEW, place)


def test_breaches_need_the_window_the_route_both_parties_and_the_place() -> None:
    start, end = parse_time("2026-11-25T12:00:00Z"), parse_time("2026-11-26T00:00:00Z")
    order = moratorium(start, end)
    assert m.breaches(order, exposure("v1", "w1", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS)
    assert m.breaches(order, exposure("w1", "v1", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS)
    assert m.breaches(order, exposure("v1", "w1", "2026-11-25T11:45:00Z"), ROLES, ANCESTORS)
    assert not m.breaches(order, exposure("v1", "w1", "2026-11-25T11:00:00Z"), ROLES, ANCESTORS)
    assert not m.breaches(order, exposure("v1", "w1", "2026-11-26T00:00:00Z"), ROLES, ANCESTORS)
    assert not m.breaches(
        order, exposure("v1", "w1", "2026-11-25T21:00:00Z", Route.CLOSE), ROLES, ANCESTORS
    )
    assert not m.breaches(order, exposure("v1", "v2", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS)
    in_suite = moratorium(start, end, places=frozenset({"suite"}))
    assert not m.breaches(in_suite, exposure("v1", "w1", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS)
    on_ring = moratorium(start, end, places=frozenset({"ring"}))
    assert m.breaches(on_ring, exposure("v1", "w1", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS)
    guests_only = moratorium(start, end, counterpart_roles=frozenset({"guest"}))
    assert not m.breaches(
        guests_only, exposure("v1", "w1", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS
    )
    assert m.breaches(guests_only, exposure("g1", "v1", "2026-11-25T21:00:00Z"), ROLES, ANCESTORS)


def gathering(
    gid: str, start: str, hours: float, participants: str, place: str = "hall"
) -> Gathering:
    t = parse_time(start)
    return Gathering(gid, gid, place, t, t + int(hours * 3600), tuple(participants.split()), "show")


def test_gatherings_covered_are_those_bringing_the_parties_together_in_the_window() -> None:
    order = moratorium(parse_time("2026-11-25T12:00:00Z"), parse_time("2026-11-26T00:00:00Z"))
    show = gathering("s", "2026-11-25T21:00:00Z", 1, "v1 w1")
    late = gathering("l", "2026-11-25T23:30:00Z", 1, "v1 w1")
    tomorrow = gathering("t", "2026-11-26T00:00:00Z", 1, "v1 w1")
    crew_only = gathering("c", "2026-11-25T21:00:00Z", 1, "v1 v2")
    guests = gathering("g", "2026-11-25T21:00:00Z", 1, "g1")
    cover = lambda g, need=False: m.covers_gathering(order, g, ROLES, ANCESTORS, need)  # noqa: E731
    assert cover(show) and cover(late)
    assert not cover(tomorrow) and not cover(crew_only) and not cover(guests)
    assert cover(guests, True)
    named = moratorium(0, 10, gatherings=frozenset({"t"}))
    assert m.covers_gathering(named, tomorrow, ROLES, ANCESTORS, False)


def test_crew_need_counts_planned_crew_or_estimates_from_the_kind_or_the_nearest_kind() -> None:
    show = gathering("s", "2026-11-25T21:00:00Z", 1, "v1 v2 w1")
    need = m.crew_need(show, [show], ROLES, "visiting_crew")
    assert (need.planned, need.needed, need.basis) == (2, 2, "planned")
    guests = Gathering("g", "g", "suite", 0, 1, tuple(f"x{i}" for i in range(24)), "session")
    other = Gathering("o", "o", "suite", 0, 1, ("v1", "x1", "x2", "x3", "x4"), "session")
    need = m.crew_need(guests, [guests, other], ROLES, "visiting_crew")
    assert (need.needed, need.basis, need.compared) == (6, "kind", 1)  # 24 x 1/4
    assert need.describe("session") == "6 (est. from 1 other session)"
    talk = Gathering("t", "t", "hall", 0, 1, tuple(f"x{i}" for i in range(10)), "talk")
    small = Gathering("p", "p", "suite", 0, 1, ("v1", "x1"), "private")
    need = m.crew_need(talk, [talk, other, small], ROLES, "visiting_crew")
    # sizes: session 5, private 2; a talk of 10 is nearest the sessions: 10 x 1/4
    assert (need.needed, need.basis, need.like) == (3, "nearest kind", "session")
    assert "no other talk" in need.describe("talk")
    alone = m.crew_need(talk, [talk], ROLES, "visiting_crew")
    assert alone.needed is None and alone.basis == "none"
    assert "unknown" in alone.describe("talk")
    empty = Gathering("e", "e", "suite", 0, 1, (), "session")
    assert m.crew_need(empty, [empty, other], ROLES, "visiting_crew").needed == 1  # mean crew
