"""Missing-case finding on the miniature Venus: who left, through which airlock, with whom."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cordon.domain.alerts import AlertKind
from cordon.domain.cases import Containment
from cordon.domain.orders import OrderKind
from cordon.domain.roles import Actor, UserRole
from cordon.formats.schemas import parse_kind
from cordon.services import alerts, containment, imports, missing, orders
from cordon.store import cases, directory
from cordon.store.db import Store
from cordon.times import parse_time
from tests import factory
from tests.services.containment_fixtures import LEAD, load_venus, sqlite_store

APPLY = True
NOW = parse_time("2026-11-25T06:00:00Z")
WOMEN = {"w3", "w4", "w5", "w6"}
ESCORT = {"w3": "v2", "w4": "v2", "w5": "v3", "w6": "v3"}


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
    with store.session() as s:
        containment.apply_rules(s, actor=LEAD, now=NOW)
    return store


def test_the_missing_women_left_through_airlocks_escorted_with_a_foreign_device(
    venus: Store,
) -> None:
    with venus.session() as s:
        found = {m.person: m for m in missing.find_missing(s, actor=LEAD, at=NOW)}
        women = {p for p, m in found.items() if p.startswith("w")}
        assert women == WOMEN  # w7 is in quarantine in her own quarters
        for person in WOMEN:
            m = found[person]
            assert m.status is Containment.DEPARTED and m.order.kind is OrderKind.ISOLATION
            assert m.egress is not None and not m.egress.returned
            assert m.egress.place in ("al-1", "al-2") and m.egress.credential == "foreign"
            escorts = {c.person: c for c in m.egress.companions}
            assert set(escorts) == {ESCORT[person]}
            assert escorts[ESCORT[person]].role == "visiting_crew"
            assert escorts[ESCORT[person]].credential == "foreign"
            assert m.last_presence is not None and m.last_presence.place in ("q-2", "q-3")
            assert m.evidence[0].startswith(f"passage:{m.egress.place}@")
            pk, _ = directory.get_person(s, person)
            assert cases.get_case(s, pk, person).containment is Containment.DEPARTED
        assert {c.person for c in found["w3"].co_located} >= {"w4", "w8"}
        assert "w1" not in found and "w2" not in found  # in the ward and its bay
        departed = alerts.list_alerts(s, actor=LEAD, kind=AlertKind.CASE_DEPARTED, limit=None)[0]
        assert {a.alert.person for a in departed} >= WOMEN
        count = len(alerts.list_alerts(s, actor=LEAD, limit=None)[0])
        missing.find_missing(s, actor=LEAD, at=NOW)
        assert len(alerts.list_alerts(s, actor=LEAD, limit=None)[0]) == count


def test_someone_last_seen_hours_ago_outside_their_place_is_missing(lite: Store) -> None:
    with lite.session() as s:
        orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.QUARANTINE,
            person="w8",
            start=NOW - 60,
            reason="contact of w3 and w4",
        )
        found = {m.person: m for m in missing.find_missing(s, actor=LEAD, at=NOW)}
        assert found["w8"].status is Containment.MISSING
        assert found["w8"].last_presence is not None and found["w8"].egress is None
        assert found["w8"].allowed_places == ("q-2",)
        pk, _ = directory.get_person(s, "w8")
        assert cases.get_case(s, pk, "w8").containment is Containment.MISSING
        assert alerts.list_alerts(s, actor=LEAD, kind=AlertKind.CASE_MISSING, limit=None)[0]


def test_a_return_through_the_airlock_is_not_a_departure(lite: Store, tmp_path: Path) -> None:
    back = factory.write(
        tmp_path,
        "back.csv",
        "person,place,time,direction,credential,companions,camera\n"
        "w5,al-2,2026-11-25T04:00:00Z,in,badge,,cam-al-2\n"
        "w5,ward-1,2026-11-25T04:10:00Z,in,badge,,\n",
    )
    with lite.session() as s:
        imports.import_file(s, back, kind=parse_kind("passages"), actor=LEAD, zone=ZoneInfo("UTC"))
        found = {m.person: m for m in missing.find_missing(s, actor=LEAD, at=NOW)}
        assert "w5" not in found
        assert {"w3", "w4", "w6"} <= set(found)


def test_security_may_search_but_observers_may_not(lite: Store) -> None:
    with lite.session() as s:
        assert missing.find_missing(s, actor=Actor("dominic", UserRole.SECURITY), at=NOW)
        with pytest.raises(Exception, match="may not"):
            missing.find_missing(s, actor=Actor("press", UserRole.OBSERVER), at=NOW)
        assert orders.list_orders(s, actor=Actor("dominic", UserRole.SECURITY))


def test_a_case_state_set_without_an_order_is_searched_too(lite: Store) -> None:
    from cordon.services import cases as case_service

    with lite.session() as s:
        case_service.change_case(
            s, "g2", actor=LEAD, reason="fever", at=NOW - 600, containment=Containment.ISOLATED
        )
        found = {m.person: m for m in missing.find_missing(s, actor=LEAD, at=NOW)}
        assert found["g2"].order.id is None and found["g2"].order.kind is OrderKind.ISOLATION
        assert found["g2"].status is Containment.MISSING


def test_someone_named_only_as_a_companion_at_an_exit_has_departed(
    lite: Store, tmp_path: Path
) -> None:
    carried = factory.write(
        tmp_path,
        "carried.csv",
        "person,place,time,direction,credential,companions,camera\n"
        "v4,dock,2026-11-25T04:00:00Z,out,foreign,w8,cam-dock\n",
    )
    with lite.session() as s:
        imports.import_file(
            s, carried, kind=parse_kind("passages"), actor=LEAD, zone=ZoneInfo("UTC")
        )
        orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.QUARANTINE,
            person="w8",
            start=NOW - 86_400,
            reason="contact of w3",
        )
        found = {m.person: m for m in missing.find_missing(s, actor=LEAD, at=NOW)}
        w8 = found["w8"]
        assert w8.status is Containment.DEPARTED and w8.egress is not None
        assert (w8.egress.place, w8.egress.credential) == ("dock", "foreign")
        assert [c.person for c in w8.egress.companions] == ["v4"]
        # The women with passages of their own are not counted twice.
        assert found["w3"].egress is not None and found["w3"].egress.credential == "foreign"
