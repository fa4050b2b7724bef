"""Moratoria in the store: "just for today" lapses at station midnight, recorded; gatherings
suspended and back on schedule; breaches raise alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cordon.domain.alerts import AlertKind
from cordon.domain.gatherings import GatheringStatus
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, PermissionDenied
from cordon.formats.schemas import parse_kind
from cordon.services import alerts, containment, imports, moratoria, orders
from cordon.store import audit
from cordon.store.db import Store
from cordon.times import parse_time
from tests import factory
from tests.services.containment_fixtures import LEAD, load_venus, sqlite_store

APPLY = False
NOW = NOON = parse_time("2026-11-25T12:00:00Z")


@pytest.fixture
def lite(sqlite_url: str, tmp_path: Path) -> Iterator[Store]:
    """The same on SQLite only, for what the tests on both databases do not add to."""
    store = sqlite_store(sqlite_url)
    load_venus(store, tmp_path)
    if APPLY:
        with store.session() as s:
            containment.apply_rules(s, actor=LEAD, now=NOW)
    yield store
    store.dispose()


@pytest.fixture
def venus(store: Store, tmp_path: Path) -> Store:
    load_venus(store, tmp_path)
    return store


def statuses(session) -> dict[str, GatheringStatus]:  # type: ignore[no-untyped-def]
    views = moratoria.list_gatherings(session, actor=LEAD)
    return {v.gathering.id: v.gathering.status for v in views}


def test_just_for_today_suspends_tonight_and_lapses_at_midnight_recorded(venus: Store) -> None:
    with venus.session() as s:
        order, covered = moratoria.issue_moratorium(
            s, actor=LEAD, start=NOON, today=True, zone=ZoneInfo("UTC"), reason="just for today"
        )
        assert order.expiry == parse_time("2026-11-26T00:00:00Z")
        assert {v.gathering.id for v in covered} == {"show-1", "show-2", "show-3", "ww-1"}
        ww = next(v for v in covered if v.gathering.id == "ww-1")
        assert ww.crew_planned == 0 and ww.crew_needed == 1 and ww.crew_estimated
        assert set(ww.gathering.participants) == {"g1", "g2", "g3"}
        status = statuses(s)
        assert status["show-7"] is GatheringStatus.SCHEDULED
        assert status["brief-1"] is GatheringStatus.SCHEDULED
        assert status["show-2"] is GatheringStatus.SUSPENDED
        assert orders.expire_orders(s, now=order.expiry - 1, actor=LEAD) == []
        before = moratoria.list_gatherings(s, actor=LEAD, suspended_only=True)
        assert len(before) == 4 and all(v.suspended_by == (order.id,) for v in before)
        # reading writes nothing: the moratorium is still active until the periodic task runs
        assert orders.list_orders(s, actor=LEAD, kinds=(OrderKind.MORATORIUM,))[0].order.status is (
            OrderStatus.ACTIVE
        )
        assert [o.id for o in orders.expire_orders(s, now=order.expiry, actor=LEAD)] == [order.id]
        after = moratoria.list_gatherings(s, actor=LEAD, suspended_only=True)
        assert after == []
        view = orders.list_orders(s, actor=LEAD, kinds=(OrderKind.MORATORIUM,))[0]
        assert view.order.status is OrderStatus.EXPIRED and view.closed_at == order.expiry
        assert (view.closed_by or "").startswith("expiry")
        entries = audit.list_entries(s, entity="order", entity_id=str(order.id))
        assert [e.action for e in entries][:1] == ["expired"]
        back = moratoria.list_gatherings(s, actor=LEAD)
        assert {v.gathering.status for v in back} == {GatheringStatus.SCHEDULED}


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        # 23:00 in Tokyo (14:00 UTC): one hour left of the station's day.
        ("Asia/Tokyo", "2026-11-25T14:00:00Z", "2026-11-25T15:00:00Z"),
        # 19:00 in New York is already the next day in UTC; the day ends at 05:00 UTC.
        ("America/New_York", "2026-11-26T00:00:00Z", "2026-11-26T05:00:00Z"),
    ],
)
def test_today_follows_the_station_time_zone(lite: Store, zone: str, start: str, end: str) -> None:
    with lite.session() as s:
        order, _ = moratoria.issue_moratorium(
            s, actor=LEAD, start=parse_time(start), today=True, zone=ZoneInfo(zone), reason="today"
        )
        assert order.expiry == parse_time(end)
        assert orders.expire_orders(s, now=parse_time(end) - 1, actor=LEAD) == []
        (expired,) = orders.expire_orders(s, now=parse_time(end), actor=LEAD)
        assert expired.id == order.id and expired.status is OrderStatus.EXPIRED


def test_an_exposure_inside_the_moratorium_raises_a_breach_alert(
    lite: Store, tmp_path: Path
) -> None:
    breach = factory.write(
        tmp_path,
        "breach.csv",
        "a,b,place,start,end,route,source\n"
        "v4,w8,suite-w,2026-11-25T22:10:00Z,2026-11-25T22:40:00Z,fluid,observed\n"
        "v4,g1,suite-w,2026-11-26T01:10:00Z,2026-11-26T01:40:00Z,fluid,observed\n",
    )
    with lite.session() as s:
        order, _ = moratoria.issue_moratorium(s, actor=LEAD, start=NOON, today=True, reason="stop")
        imports.import_file(
            s, breach, kind=parse_kind("exposures"), actor=LEAD, zone=ZoneInfo("UTC")
        )
        report = containment.apply_rules(s, actor=LEAD, now=parse_time("2026-11-26T06:00:00Z"))
        assert len(report.breaches) == 1
        (found,) = alerts.list_alerts(s, actor=LEAD, kind=AlertKind.MORATORIUM_BREACH)[0]
        assert found.alert.person == "w8" and f"order:{order.id}" in found.alert.evidence
        again = containment.apply_rules(s, actor=LEAD, now=parse_time("2026-11-26T06:00:00Z"))
        assert again.breaches == []


def test_lifting_puts_gatherings_back_and_only_command_may_order(lite: Store) -> None:
    with lite.session() as s:
        press = moratoria.list_gatherings(s, actor=Actor("press", UserRole.OBSERVER))
        assert press and all(v.gathering.participants == () for v in press)
        assert any(v.participant_count for v in press)
        with pytest.raises(PermissionDenied):
            moratoria.list_gatherings(s, actor=Actor("door", UserRole.DOOR))
        with pytest.raises(PermissionDenied):
            moratoria.issue_moratorium(
                s, actor=Actor("doc", UserRole.MEDICAL), start=NOON, today=True, reason="x"
            )
        with pytest.raises(InvalidValue):
            moratoria.issue_moratorium(
                s, actor=LEAD, start=NOON, today=True, expiry=NOON + 60, reason="both"
            )
        with pytest.raises(InvalidValue):
            moratoria.issue_moratorium(
                s, actor=LEAD, start=NOON, expiry=NOON + 60, gathering_ids=["nope"], reason="x"
            )
        one, _ = moratoria.issue_moratorium(s, actor=LEAD, start=NOON, today=True, reason="a")
        two, _ = moratoria.issue_moratorium(
            s, actor=LEAD, start=NOON, expiry=NOON + 86_400 * 3, places=["suite-w"], reason="b"
        )
        orders.lift_order(s, one.id or 0, actor=LEAD, at=NOON + 60, reason="conceded")
        status = statuses(s)
        assert status["show-2"] is GatheringStatus.SCHEDULED
        assert status["ww-1"] is GatheringStatus.SUSPENDED  # still covered by the second
        assert two.id is not None


def test_a_gathering_of_a_new_kind_is_estimated_from_the_nearest_kind_and_suspended(
    lite: Store, tmp_path: Path
) -> None:
    extra = factory.write(
        tmp_path,
        "tour.csv",
        "id,name,place,start,end,participants,kind\n"
        "tour-1,Station tour,hall,2026-11-25T20:00:00Z,2026-11-25T20:30:00Z,g1 g2 g3 d1,tour\n",
    )
    with lite.session() as s:
        imports.import_file(
            s, extra, kind=parse_kind("gatherings"), actor=LEAD, zone=ZoneInfo("UTC")
        )
        tour = next(
            v for v in moratoria.list_gatherings(s, actor=LEAD) if v.gathering.id == "tour-1"
        )
        assert tour.need is not None and tour.need.basis == "nearest kind"
        assert tour.crew_needed and tour.crew_needed > 0 and tour.crew_estimated
        assert f"est. from {tour.need.like}: no other tour" in tour.need.describe("tour")
        _order, covered = moratoria.issue_moratorium(
            s, actor=LEAD, start=NOON, today=True, zone=ZoneInfo("UTC"), reason="tonight"
        )
        assert "tour-1" in {v.gathering.id for v in covered}


def test_with_nothing_to_compare_the_crew_need_is_unknown_and_the_gathering_suspended(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = sqlite_store(sqlite_url)
    files = {
        "places": "id,name,kind\nhall,Hall,hall\n",
        "people": "id,name,role\ng1,G1,guest\ng2,G2,guest\nv1,V1,visiting_crew\n",
        "gatherings": "id,name,place,start,end,participants,kind\n"
        "t,Tour,hall,2026-11-25T20:00:00Z,2026-11-25T21:00:00Z,g1 g2,tour\n",
    }
    with store.session() as s:
        for kind, text in files.items():
            path = factory.write(tmp_path, f"{kind}.csv", text)
            imports.import_file(s, path, kind=parse_kind(kind), actor=LEAD, zone=ZoneInfo("UTC"))
        (view,) = moratoria.list_gatherings(s, actor=LEAD)
        assert view.crew_needed is None and view.need is not None and view.need.basis == "none"
        assert view.need.describe("tour").startswith("unknown")
        _order, covered = moratoria.issue_moratorium(
            s, actor=LEAD, start=NOON, today=True, zone=ZoneInfo("UTC"), reason="tonight"
        )
        assert [v.gathering.id for v in covered] == ["t"]
    store.dispose()


def test_planned_participants_under_an_order_are_flagged_to_those_who_may_see_names(
    lite: Store,
) -> None:
    with lite.session() as s:
        containment.apply_rules(s, actor=LEAD, now=NOW)
        held = {
            v.order.person
            for v in orders.list_orders(s, actor=LEAD)
            if v.order.person
            and v.order.status is OrderStatus.ACTIVE
            and v.order.kind in (OrderKind.QUARANTINE, OrderKind.ISOLATION)
        }
        views = moratoria.list_gatherings(s, actor=LEAD)
        flagged = {v.gathering.id: set(v.under_orders) for v in views if v.under_orders}
        expected = {
            v.gathering.id: set(v.gathering.participants) & held
            for v in views
            if set(v.gathering.participants) & held
        }
        assert flagged and flagged == expected
        observer = Actor("obs", UserRole.OBSERVER)
        assert all(v.under_orders == () for v in moratoria.list_gatherings(s, actor=observer))
