"""Cases a page at a time, with the total; a list that shows clinical states is audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cordon.domain.cases import Case, Clinical, Containment
from cordon.domain.roles import Actor, Permission
from cordon.services import cases
from cordon.services.transaction import unit_of_work
from cordon.store import audit, listings

__all__ = ["case_page"]


def case_page(
    session: Session,
    *,
    actor: Actor,
    status: Clinical | Containment | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """Cases by person id, optionally in one state, and how many match in all."""
    items = cases.list_cases(session, actor=actor, status=status, limit=limit, offset=offset)
    total = listings.case_count(
        session,
        clinical=status if isinstance(status, Clinical) else None,
        containment=status if isinstance(status, Containment) else None,
    )
    if actor.can(Permission.READ_CLINICAL) and items:
        with unit_of_work(session):
            audit.record(
                session,
                actor=actor.name,
                action="read",
                entity="case_list",
                entity_id=status.value if status else None,
                after={"persons": [c.person for c in items]},
            )
    return items, total
