"""The containment rules, one by one, and clearing against a brute-force twin."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations, pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from cordon.domain.cases import Case, Clinical, Containment
from cordon.domain.orders import Order, OrderKind, OrderStatus
from cordon.domain.pathogen import DAY, ContainmentRules, PathogenProfile
from cordon.domain.records import Exposure, ExposureSource, LabOutcome, LabResult, Route
from cordon.domain.rules import Action, Standing, clearing_time, on_exposure, on_result

FLUID_ONLY = PathogenProfile(name="nanite", transmission={Route.FLUID: 0.5})
T = 1_800_000_000


def free(person: str, clinical: Clinical | None = None) -> Standing:
    containment = Containment.ISOLATED if clinical is Clinical.CONFIRMED else Containment.FREE
    return Standing(Case(person, clinical, containment))


def exposure(
    route: Route = Route.FLUID, *, start: int = T, minutes: int = 30, **kw: object
) -> Exposure:
    base = Exposure(
        a="v1",
        b="w1",
        start=start,
        end=start + minutes * 60,
        route=route,
        source=ExposureSource.INTERVIEW,
        place="hall",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def quarantine(person: str, start: int, expiry: int, order_id: int = 7) -> Order:
    return Order(order_id, OrderKind.QUARANTINE, person, start, expiry, "rules", "q")


def test_exposure_of_unknown_direction_quarantines_both_parties() -> None:
    firings = on_exposure(
        exposure(), "exposure:1", FLUID_ONLY, {"v1": free("v1"), "w1": free("w1")}
    )
    assert [(f.action, f.person) for f in firings] == [
        (Action.QUARANTINE, "w1"),
        (Action.QUARANTINE, "v1"),
    ]
    f = firings[0]
    assert f.order is OrderKind.QUARANTINE and f.evidence == ("exposure:1",)
    assert f.start == T + 1800 and f.expiry == T + 1800 + FLUID_ONLY.rules.quarantine_s
    assert f.clinical is Clinical.EXPOSED and f.containment is Containment.QUARANTINED
    assert "fluid exposure to v1 at hall" in f.reason


def test_the_source_is_spared_when_the_profile_says_so() -> None:
    profile = replace(
        FLUID_ONLY, rules=ContainmentRules(quarantine_source_when_direction_unknown=False)
    )
    firings = on_exposure(exposure(), "e", profile, {"v1": free("v1"), "w1": free("w1")})
    assert [f.person for f in firings] == ["w1"]


def test_a_confirmed_party_makes_the_direction_known() -> None:
    standing = {"v1": free("v1"), "w1": free("w1", Clinical.CONFIRMED)}
    assert [f.person for f in on_exposure(exposure(), "e", FLUID_ONLY, standing)] == ["v1"]
    standing = {"v1": free("v1", Clinical.CONFIRMED), "w1": free("w1")}
    assert [f.person for f in on_exposure(exposure(), "e", FLUID_ONLY, standing)] == ["w1"]


def test_routes_that_do_not_transmit_and_short_contacts_trigger_nothing() -> None:
    standing = {"v1": free("v1"), "w1": free("w1")}
    assert on_exposure(exposure(Route.SHARED_AIR), "e", FLUID_ONLY, standing) == []
    strict = replace(FLUID_ONLY, rules=ContainmentRules(min_exposure_s=3600))
    assert on_exposure(exposure(minutes=30), "e", strict, standing) == []
    assert len(on_exposure(exposure(minutes=60), "e", strict, standing)) == 2


def test_derived_contacts_count_only_when_one_party_is_a_case() -> None:
    derived = exposure(source=ExposureSource.DERIVED)
    assert on_exposure(derived, "e", FLUID_ONLY, {"v1": free("v1"), "w1": free("w1")}) == []
    standing = {"v1": free("v1", Clinical.CONFIRMED), "w1": free("w1")}
    assert [f.person for f in on_exposure(derived, "e", FLUID_ONLY, standing)] == ["w1"]


def test_a_new_exposure_in_quarantine_restarts_the_clock_and_says_so() -> None:
    q = quarantine("w1", T - DAY, T - DAY + FLUID_ONLY.rules.quarantine_s)
    w1 = Standing(Case("w1", Clinical.EXPOSED, Containment.QUARANTINED), quarantine=q)
    firings = on_exposure(exposure(), "exposure:9", FLUID_ONLY, {"v1": free("v1"), "w1": w1})
    restart = next(f for f in firings if f.person == "w1")
    assert restart.action is Action.RESTART
    assert restart.supersedes == 7 and restart.closes == ((7, OrderStatus.SUPERSEDED),)
    assert restart.expiry == T + 1800 + FLUID_ONLY.rules.quarantine_s
    assert restart.evidence == ("exposure:9", "order:7")
    assert "clock restarted" in restart.reason
    assert restart.clinical is None  # already exposed


def test_an_older_exposure_does_not_shorten_or_restart_a_quarantine() -> None:
    q = quarantine("w1", T + DAY, T + DAY + FLUID_ONLY.rules.quarantine_s)
    w1 = Standing(Case("w1", Clinical.EXPOSED, Containment.QUARANTINED), quarantine=q)
    firings = on_exposure(exposure(), "e", FLUID_ONLY, {"v1": free("v1"), "w1": w1})
    assert [f.person for f in firings] == ["v1"]


def test_a_lapsed_quarantine_is_expired_and_a_new_one_issued() -> None:
    q = quarantine("w1", T - 30 * DAY, T - 20 * DAY)
    w1 = Standing(Case("w1", Clinical.EXPOSED, Containment.QUARANTINED), quarantine=q)
    firing = on_exposure(exposure(), "e", FLUID_ONLY, {"v1": free("v1"), "w1": w1})[0]
    assert firing.action is Action.QUARANTINE
    assert firing.closes == ((7, OrderStatus.EXPIRED),)


def test_isolated_and_missing_people_keep_their_containment() -> None:
    iso = Order(3, OrderKind.ISOLATION, "w1", T - DAY, None, "rules", "i")
    w1 = Standing(Case("w1", Clinical.CONFIRMED, Containment.ISOLATED), isolation=iso)
    firings = on_exposure(exposure(), "e", FLUID_ONLY, {"v1": free("v1"), "w1": w1})
    assert [f.person for f in firings] == ["v1"]
    gone = Standing(Case("w1", None, Containment.DEPARTED))
    firing = on_exposure(exposure(), "e", FLUID_ONLY, {"v1": free("v1"), "w1": gone})[0]
    assert firing.person == "w1" and firing.containment is None
    assert firing.clinical is Clinical.EXPOSED


def result(outcome: LabOutcome, at: int, person: str = "w1") -> LabResult:
    return LabResult(person, at, "nanite", outcome)


def test_a_positive_result_confirms_and_isolates_superseding_quarantine() -> None:
    q = quarantine("w1", T - DAY, T + 10 * DAY)
    w1 = Standing(Case("w1", Clinical.EXPOSED, Containment.QUARANTINED), quarantine=q)
    (firing,) = on_result(result(LabOutcome.POSITIVE, T), "lab:4", FLUID_ONLY, w1, [])
    assert firing.action is Action.ISOLATE and firing.order is OrderKind.ISOLATION
    assert firing.expiry is None and firing.start == T
    assert firing.closes == ((7, OrderStatus.SUPERSEDED),) and firing.supersedes == 7
    assert (firing.clinical, firing.containment) == (Clinical.CONFIRMED, Containment.ISOLATED)
    assert firing.evidence == ("lab:4",)


def test_a_second_positive_changes_nothing() -> None:
    iso = Order(3, OrderKind.ISOLATION, "w1", T, None, "rules", "i")
    w1 = Standing(Case("w1", Clinical.CONFIRMED, Containment.ISOLATED), isolation=iso)
    assert on_result(result(LabOutcome.POSITIVE, T + DAY), "l", FLUID_ONLY, w1, []) == []


def test_clearing_needs_enough_negatives_far_enough_apart() -> None:
    iso = Order(3, OrderKind.ISOLATION, "w1", T, None, "rules", "i")
    w1 = Standing(Case("w1", Clinical.CONFIRMED, Containment.ISOLATED), isolation=iso)
    history = [result(LabOutcome.POSITIVE, T), result(LabOutcome.NEGATIVE, T + DAY)]
    too_soon = result(LabOutcome.NEGATIVE, T + DAY + 3600)
    assert on_result(too_soon, "l", FLUID_ONLY, w1, history) == []
    (cleared,) = on_result(result(LabOutcome.NEGATIVE, T + 2 * DAY), "l", FLUID_ONLY, w1, history)
    assert cleared.action is Action.CLEAR and cleared.at == T + 2 * DAY
    assert cleared.closes == ((3, OrderStatus.LIFTED),)
    assert (cleared.clinical, cleared.containment) == (Clinical.CLEARED, Containment.FREE)


def _brute_clear(results: list[LabResult], needed: int, apart: int) -> int | None:
    ordered = sorted(results, key=lambda r: r.collected_at)
    positives = [i for i, r in enumerate(ordered) if r.result is LabOutcome.POSITIVE]
    if not positives:
        return None
    after = [
        r.collected_at for r in ordered[positives[-1] + 1 :] if r.result is LabOutcome.NEGATIVE
    ]
    best = None
    for size in range(needed, len(after) + 1):
        for chosen in combinations(after, size):
            if all(b - a >= apart for a, b in pairwise(chosen)):
                t = chosen[needed - 1]
                best = t if best is None else min(best, t)
    return best


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.sampled_from(list(LabOutcome))),
        max_size=8,
        unique_by=lambda x: x[0],
    ),
    st.integers(1, 3),
    st.integers(0, 4),
)
def test_clearing_time_agrees_with_brute_force(
    items: list[tuple[int, LabOutcome]], needed: int, apart: int
) -> None:
    results = [result(outcome, t) for t, outcome in items]
    assert clearing_time(results, needed, apart) == _brute_clear(results, needed, apart)
