"""Cases: listing them by state (audited when clinical states show), and changing one through
the domain's transition rules. Without clinical rights a case shows no clinical state and
"under order" in place of quarantined or isolated (the two tell a confirmed case apart)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from cordon.domain.cases import HELD, Case, Clinical, Containment, transition
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import normalise_word, require_text
from cordon.errors import InvalidValue
from cordon.services.transaction import unit_of_work
from cordon.store import audit, cases, directory, listings

__all__ = ["case_page", "change_case", "list_cases", "parse_status", "visible"]


def parse_status(text: str) -> Clinical | Containment:
    """A clinical or containment state named by ``text`` (e.g. ``confirmed`` or ``missing``)."""
    word = normalise_word(text)
    for enum in (Clinical, Containment):
        try:
            return enum(word)
        except ValueError:
            continue
    allowed = [m.value for m in Clinical] + [m.value for m in Containment]
    raise InvalidValue(f"unknown status {text!r} (use one of: {', '.join(allowed)})")


def _axes(status: Clinical | Containment | None) -> dict[str, Any]:
    """A state filter as the store's keyword filters ("under order": either held state)."""
    if status is Containment.UNDER_ORDER:
        return {"containments": sorted(HELD)}
    return {
        "clinical": status if isinstance(status, Clinical) else None,
        "containment": status if isinstance(status, Containment) else None,
    }


def visible(case: Case, actor: Actor) -> Case:
    """The case as the actor may see it: without clinical rights, no clinical state and
    "under order" for quarantined or isolated."""
    if actor.can(Permission.READ_CLINICAL):
        return case
    shown = Containment.UNDER_ORDER if case.containment in HELD else case.containment
    return replace(case, clinical=None, containment=shown)


def _check_filter(actor: Actor, status: Clinical | Containment | None) -> None:
    """A filter on a clinical state, or on one of the held states, needs clinical rights."""
    if isinstance(status, Clinical) or status in HELD:
        require(actor, Permission.READ_CLINICAL)


def list_cases(
    session: Session,
    *,
    actor: Actor,
    status: Clinical | Containment | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Case]:
    """Cases by person id, optionally in one state. Without clinical rights only the containment
    state shows ("under order"), and a clinical filter is refused; a list that shows clinical
    states is recorded in the audit log with the persons it names, whatever the interface."""
    require(actor, Permission.READ_ORDERS)
    _check_filter(actor, status)
    found = cases.list_cases(session, **_axes(status), limit=limit, offset=offset)
    if not actor.can(Permission.READ_CLINICAL):
        return [visible(c, actor) for c in found]
    if found:
        with unit_of_work(session):
            audit.record(
                session,
                actor=actor.name,
                action="read",
                entity="case_list",
                entity_id=status.value if status else None,
                after={"persons": [c.person for c in found]},
            )
    return found


def case_page(
    session: Session,
    *,
    actor: Actor,
    status: Clinical | Containment | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """A page of ``list_cases`` and how many cases match in all."""
    items = list_cases(session, actor=actor, status=status, limit=limit, offset=offset)
    return items, listings.case_count(session, **_axes(status))


def change_case(
    session: Session,
    person_id: str,
    *,
    actor: Actor,
    reason: str,
    at: int,
    clinical: Clinical | None = None,
    containment: Containment | None = None,
    assigned_place: str | None = None,
) -> Case:
    """Move a person's case to new states if the rules allow it, recorded in the audit log."""
    require(actor, Permission.ORDER_MEDICAL)
    reason = require_text(reason, "the reason for a case change")
    if containment is Containment.UNDER_ORDER:
        raise InvalidValue("containment: 'under_order' is how held cases are shown, not a state")
    with unit_of_work(session):
        pk, _person = directory.get_person(session, person_id)
        before = cases.get_case(session, pk, person_id)
        after = transition(
            before, clinical=clinical, containment=containment, assigned_place=assigned_place, at=at
        )
        place_pk = None
        if after.assigned_place is not None:
            place_pk, _ = directory.get_place(session, after.assigned_place)
        cases.save_case(
            session, pk, before, after, actor=actor.name, reason=reason, place_pk=place_pk
        )
    return after
