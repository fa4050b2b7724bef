"""Applying the rules to a store, and every order transition, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cordon.domain.alerts import AlertKind
from cordon.domain.cases import Clinical, Containment
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, PermissionDenied, TransitionError
from cordon.formats.schemas import parse_kind
from cordon.services import alerts, containment, imports, orders
from cordon.store import cases, directory
from cordon.store.db import Store
from cordon.times import parse_time
from tests import factory
from tests.services.containment_fixtures import LEAD, load_venus, sqlite_store

APPLY = False
NOW = parse_time("2026-11-25T06:00:00Z")


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


def case_of(session, person: str):  # type: ignore[no-untyped-def]
    pk, _ = directory.get_person(session, person)
    return cases.get_case(session, pk, person)


def test_rules_quarantine_isolate_and_restart_once(venus: Store) -> None:
    with venus.session() as s:
        report = containment.apply_rules(s, actor=LEAD, now=NOW)
        assert report.exposures_checked == 8  # the shared-air one does not transmit nanites
        assert report.results_checked == 6
        isolated = {o.person for o in report.orders if o.kind is OrderKind.ISOLATION}
        assert isolated == {"w1", "w2", "w3", "w4", "w5", "w6"}
        assert case_of(s, "w1").clinical is Clinical.CONFIRMED
        assert case_of(s, "w1").containment is Containment.ISOLATED
        assert case_of(s, "w7").clinical is Clinical.EXPOSED
        assert case_of(s, "w8").containment is Containment.FREE
        # The direction of the crew's exposures is unknown: the crew are quarantined too.
        assert case_of(s, "v1").containment is Containment.QUARANTINED
        # w7's second exposure restarted her clock: the first order is superseded, linked.
        w7 = orders.list_orders(s, actor=LEAD, person="w7")
        assert [v.order.status for v in w7] == [OrderStatus.SUPERSEDED, OrderStatus.ACTIVE]
        assert w7[1].order.supersedes == w7[0].order.id
        assert "clock restarted" in w7[1].order.reason
        assert w7[1].order.expiry == parse_time("2026-11-25T03:00:00Z") + 7 * 86_400
        assert w7[0].closed_at == w7[1].order.start
        # Each isolation supersedes the quarantine it replaces and carries its evidence.
        w1 = orders.list_orders(s, actor=LEAD, person="w1")
        assert [v.order.kind for v in w1] == [OrderKind.QUARANTINE, OrderKind.ISOLATION]
        assert w1[0].order.status is OrderStatus.SUPERSEDED
        assert w1[1].order.evidence[0].startswith("lab:")
        issued = alerts.list_alerts(s, actor=LEAD, kind=AlertKind.ORDER_ISSUED, limit=None)[0]
        assert len(issued) == len(report.orders)
        # Four women and their two escorts left through airlocks with a foreign device.
        foreign = alerts.list_alerts(s, actor=LEAD, kind=AlertKind.FOREIGN_CREDENTIAL, limit=None)[
            0
        ]
        assert {a.alert.person for a in foreign} == {"w3", "w4", "w5", "w6", "v2", "v3"}
        before = len(alerts.list_alerts(s, actor=LEAD, limit=None)[0])
        again = containment.apply_rules(s, actor=LEAD, now=NOW)
        assert (again.firings, again.orders, again.exit_alerts) == ([], [], [])
        assert len(alerts.list_alerts(s, actor=LEAD, limit=None)[0]) == before


def test_rules_wait_for_records_up_to_now(lite: Store) -> None:
    with lite.session() as s:
        early = containment.apply_rules(s, actor=LEAD, now=parse_time("2026-11-22T00:00:00Z"))
        assert {f.person for f in early.firings} == {"v1", "w1", "w2"}
        later = containment.apply_rules(s, actor=LEAD, now=NOW)
        assert "w1" not in {f.person for f in later.firings if f.order is OrderKind.QUARANTINE}
        assert later.results_checked == 6


def test_negatives_clear_a_case_and_lift_its_isolation(lite: Store, tmp_path: Path) -> None:
    with lite.session() as s:
        containment.apply_rules(s, actor=LEAD, now=NOW)
        lab = factory.write(
            tmp_path,
            "neg.csv",
            "person,collected_at,assay,result\n"
            "w1,2026-11-26T08:00:00Z,nanite-count,negative\n"
            "w1,2026-11-26T12:00:00Z,nanite-count,negative\n"
            "w1,2026-11-27T09:00:00Z,nanite-count,negative\n",
        )
        imports.import_file(s, lab, kind=parse_kind("lab"), actor=LEAD, zone=ZoneInfo("UTC"))
        report = containment.apply_rules(s, actor=LEAD, now=parse_time("2026-11-28T00:00:00Z"))
        cleared = [f for f in report.firings if f.person == "w1"]
        assert [f.action.value for f in cleared] == ["clear"]
        assert cleared[0].at == parse_time("2026-11-27T09:00:00Z")
        case = case_of(s, "w1")
        assert (case.clinical, case.containment) == (Clinical.CLEARED, Containment.FREE)
        iso = orders.list_orders(s, actor=LEAD, person="w1", kinds=(OrderKind.ISOLATION,))[0]
        assert iso.order.status is OrderStatus.LIFTED and iso.closed_by is not None
        assert "cleared after 2 negative" in (iso.close_reason or "")


def test_orders_by_hand_lift_expire_and_refuse_bad_moves(venus: Store) -> None:
    with venus.session() as s:
        hold = orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.EGRESS_HOLD,
            person="w8",
            start=NOW,
            expiry=NOW + 3600,
            reason="witness",
        )
        q = orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.QUARANTINE,
            person="w8",
            start=NOW,
            expiry=NOW + 86_400,
            reason="contact of w3",
        )
        assert case_of(s, "w8").containment is Containment.QUARANTINED
        q2 = orders.issue_order(
            s,
            actor=LEAD,
            kind=OrderKind.QUARANTINE,
            person="w8",
            start=NOW + 60,
            expiry=NOW + 2 * 86_400,
            reason="again",
        )
        assert q2.supersedes == q.id
        lifted = orders.lift_order(
            s, q2.id or 0, actor=LEAD, at=NOW + 120, reason="tested negative"
        )
        assert lifted.status is OrderStatus.LIFTED
        assert case_of(s, "w8").containment is Containment.FREE
        with pytest.raises(TransitionError):
            orders.lift_order(s, q2.id or 0, actor=LEAD, at=NOW + 180, reason="twice")
        expired = orders.expire_orders(s, now=NOW + 3600, actor=LEAD)
        assert [o.id for o in expired] == [hold.id]
        view = orders.list_orders(s, actor=LEAD, kinds=(OrderKind.EGRESS_HOLD,))[0]
        assert view.order.status is OrderStatus.EXPIRED and view.closed_at == NOW + 3600
        with pytest.raises(TransitionError):
            orders.lift_order(s, hold.id or 0, actor=LEAD, at=NOW, reason="late")
        with pytest.raises(InvalidValue):
            orders.issue_order(
                s,
                actor=LEAD,
                kind=OrderKind.QUARANTINE,
                person="w8",
                start=NOW,
                expiry=NOW,
                reason="empty window",
            )
        with pytest.raises(PermissionDenied):
            orders.issue_order(
                s,
                actor=Actor("guard", UserRole.SECURITY),
                kind=OrderKind.ISOLATION,
                person="w8",
                start=NOW,
                reason="not theirs",
            )
