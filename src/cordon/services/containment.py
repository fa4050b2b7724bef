"""Applying the containment rules to what the store has recorded, once per piece of evidence.

``apply_rules`` reads the exposures and lab results no rule has acted on yet, in time order,
asks the domain rules (``cordon.domain.rules``) what each calls for under the active pathogen
profile, and writes the orders, case moves and alerts; then it checks moratorium breaches,
exit passages of held persons, and expires what is due. Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.orders import Order, OrderKind, OrderStatus
from cordon.domain.records import Exposure, LabResult
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.rules import Firing, Standing, on_exposure, on_result
from cordon.services import missing, moratoria, orders
from cordon.services.transaction import unit_of_work
from cordon.store import cases, directory, profiles
from cordon.store import containment as records

__all__ = ["RulesReport", "apply_rules", "standing_of"]


@dataclass
class RulesReport:
    """What one application of the rules did."""

    exposures_checked: int = 0
    results_checked: int = 0
    firings: list[Firing] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    breaches: list[Alert] = field(default_factory=list)
    exit_alerts: list[Alert] = field(default_factory=list)
    expired: list[Order] = field(default_factory=list)


def standing_of(session: Session, person: str, *, person_pk: int | None = None) -> Standing:
    """A person's case and active quarantine and isolation orders, as the rules see them."""
    pk = person_pk if person_pk is not None else directory.get_person(session, person)[0]
    active = records.order_views(session, status=OrderStatus.ACTIVE, person_pk=pk)
    by_kind = {v.order.kind: v.order for v in active}
    return Standing(
        case=cases.get_case(session, pk, person),
        quarantine=by_kind.get(OrderKind.QUARANTINE),
        isolation=by_kind.get(OrderKind.ISOLATION),
    )


def _apply(session: Session, firing: Firing, *, issuer: str, pk: int) -> Order | None:
    """Write one firing: move the case on both axes at once, close the orders it closes, issue
    its order with an alert (a clearance gets an alert of its own); no commit."""
    if firing.clinical is not None or firing.containment is not None:
        orders.move_case(
            session,
            firing.person,
            at=firing.at,
            actor=issuer,
            reason=firing.reason,
            clinical=firing.clinical,
            containment=firing.containment,
            person_pk=pk,
        )
    for order_id, status in firing.closes:
        records.close_order(
            session, order_id, status, at=firing.at, actor=issuer, reason=firing.reason
        )
    if firing.order is not None:
        return orders.write_order(
            session,
            kind=firing.order,
            person=firing.person,
            start=firing.start,
            expiry=firing.expiry,
            issuer=issuer,
            reason=firing.reason,
            evidence=firing.evidence,
            supersede=False,
            supersedes=firing.supersedes,
            person_pk=pk,
        )
    records.add_alert(
        session,
        Alert(
            AlertKind.ORDER_ISSUED,
            firing.at,
            f"{firing.person}: {firing.reason}",
            Severity.INFO,
            firing.person,
            None,
            firing.evidence,
        ),
        person_pk=pk,
        place_pk=None,
        actor=issuer,
    )
    return None


def _outcome(firings: list[Firing]) -> str:
    return "; ".join(f"{f.action.value} {f.person}" for f in firings) or "no action"


def apply_rules(session: Session, *, actor: Actor, now: int) -> RulesReport:
    """Act on every exposure and lab result recorded up to ``now`` that the rules have not seen:
    quarantine the exposed (restarting the clock of those already in quarantine), isolate the
    positive, clear those with enough negatives; then breaches, exit alerts and expiries."""
    require(actor, Permission.ORDER_MEDICAL)
    report = RulesReport()
    issuer = f"rules ({actor.name})"
    with unit_of_work(session):
        profile = profiles.active_profile(session)
        events: list[tuple[int, int, str, Exposure | LabResult]] = [
            (e.end, 0, key, e)
            for key, e in records.pending_exposures(
                session,
                rule="exposure",
                routes=profile.routes,
                until=now,
                min_s=profile.rules.min_exposure_s,
            )
        ]
        events += [
            (r.collected_at, 1, key, r)
            for key, r in records.pending_results(session, rule="result", until=now)
        ]
        events.sort(key=lambda item: (item[0], item[1]))
        known: dict[str, Standing] = {}  # standings change only where a rule fires
        keys = directory.person_keys(session)

        def look(person: str) -> Standing:
            if person not in known:
                known[person] = standing_of(session, person, person_pk=keys[person])
            return known[person]

        for _, _, key, event in events:
            if isinstance(event, Exposure):
                report.exposures_checked += 1
                standing = {p: look(p) for p in (event.a, event.b)}
                firings = on_exposure(event, key, profile, standing)
                rule = "exposure"
            else:
                report.results_checked += 1
                history = [
                    r
                    for r in records.person_results(session, keys[event.person], event.person)
                    if r.collected_at <= event.collected_at and r != event
                ]
                firings = on_result(event, key, profile, look(event.person), history)
                rule = "result"
            for firing in firings:
                issued = _apply(session, firing, issuer=issuer, pk=keys[firing.person])
                if issued is not None:
                    report.orders.append(issued)
                known.pop(firing.person, None)
            report.firings += firings
            records.add_firing(session, rule, key, at=now, outcome=_outcome(firings))
        report.breaches = moratoria.check_breaches(session, actor=issuer, now=now)
        report.exit_alerts = missing.check_exit_passages(session, actor=issuer, now=now)
    report.expired = orders.expire_orders(session, now=now, actor=actor)
    return report
