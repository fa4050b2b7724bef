"""Case and order transitions: the tables of allowed moves and the cross-axis rules."""

from __future__ import annotations

import itertools

import pytest

from cordon.domain.cases import (
    CLINICAL_TRANSITIONS,
    Case,
    Clinical,
    Containment,
    transition,
)
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope, change_status
from cordon.domain.records import Route
from cordon.errors import TransitionError

C, K = Clinical, Containment


def test_an_exposed_person_is_quarantined_then_confirmed_and_isolated_then_cleared() -> None:
    case = Case("p1", None)
    case = transition(
        case, clinical=C.EXPOSED, containment=K.QUARANTINED, assigned_place="q-1", at=10
    )
    assert (case.clinical, case.containment, case.assigned_place, case.since) == (
        C.EXPOSED,
        K.QUARANTINED,
        "q-1",
        10,
    )
    case = transition(
        case, clinical=C.CONFIRMED, containment=K.ISOLATED, assigned_place="ward-1", at=20
    )
    assert (case.clinical, case.containment, case.assigned_place) == (
        C.CONFIRMED,
        K.ISOLATED,
        "ward-1",
    )
    case = transition(case, clinical=C.CLEARED, containment=K.FREE, at=30)
    assert (case.clinical, case.containment, case.assigned_place) == (C.CLEARED, K.FREE, None)


@pytest.mark.parametrize("containment", [K.FREE, K.QUARANTINED])
def test_a_confirmed_case_is_never_free_or_only_quarantined(containment: Containment) -> None:
    with pytest.raises(TransitionError, match="confirmed case cannot be"):
        transition(Case("p1", None), clinical=C.CONFIRMED, containment=containment, at=1)


def test_a_confirmed_case_cannot_go_back_to_exposed_or_suspected() -> None:
    confirmed = Case("p1", C.CONFIRMED, K.ISOLATED)
    for target in (C.EXPOSED, C.SUSPECTED):
        with pytest.raises(TransitionError, match="not allowed"):
            transition(confirmed, clinical=target, at=1)


def test_a_cleared_person_can_be_exposed_again() -> None:
    case = transition(Case("p1", C.CLEARED), clinical=C.EXPOSED, containment=K.QUARANTINED, at=5)
    assert case.clinical is C.EXPOSED


def test_missing_and_departed_cases_can_be_recovered_into_isolation() -> None:
    for lost in (K.MISSING, K.DEPARTED):
        case = transition(
            Case("p1", C.CONFIRMED, lost), containment=K.ISOLATED, assigned_place="ward-1", at=1
        )
        assert case.containment is K.ISOLATED


def test_every_clinical_move_outside_the_table_is_refused() -> None:
    states: list[Clinical | None] = [None, *Clinical]
    for before, after in itertools.product(states, Clinical):
        case = Case("p", before, K.ISOLATED)
        allowed = after == before or after in CLINICAL_TRANSITIONS[before]
        try:
            transition(case, clinical=after, at=1)
        except TransitionError:
            assert not allowed, (before, after)
        else:
            assert allowed, (before, after)


def test_a_departed_person_has_no_assigned_place() -> None:
    case = transition(Case("p1", C.EXPOSED, K.QUARANTINED, "q-1"), containment=K.DEPARTED, at=1)
    assert case.assigned_place is None


def _order(**kw: object) -> Order:
    base = {
        "id": 1,
        "kind": OrderKind.QUARANTINE,
        "person": "p1",
        "start": 100,
        "expiry": 200,
        "issuer": "lead",
        "reason": "r",
    }
    return Order(**{**base, **kw})  # type: ignore[arg-type]


def test_an_order_binds_from_its_start_up_to_but_not_at_its_expiry() -> None:
    order = _order()
    assert [order.in_force(t) for t in (99, 100, 199, 200)] == [False, True, True, False]
    assert _order(expiry=None).in_force(10**9)
    assert not change_status(order, OrderStatus.LIFTED).in_force(150)


def test_lifted_expired_and_superseded_orders_are_final() -> None:
    for final in (OrderStatus.LIFTED, OrderStatus.EXPIRED, OrderStatus.SUPERSEDED):
        closed = change_status(_order(), final)
        for target in OrderStatus:
            with pytest.raises(TransitionError):
                change_status(closed, target)


def test_scope_round_trips_through_json() -> None:
    scope = Scope(
        places=frozenset({"al-1"}),
        routes=frozenset({Route.FLUID}),
        roles=frozenset({"visiting_crew"}),
    )
    assert Scope.from_json(scope.to_json()) == scope
    assert Scope.from_json(None) == Scope()
