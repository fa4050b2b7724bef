"""Cases: list and filter by state, and move one through the transition rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from cordon.api.deps import ActorDep, PageDep, SessionDep, SettingsDep, needs
from cordon.api.routes.directory import CaseRead, case_read
from cordon.api.schemas import PageBase
from cordon.domain.cases import Clinical, Containment
from cordon.domain.roles import Permission
from cordon.services import cases

__all__ = ["router"]

router = APIRouter(prefix="/cases", tags=["cases"])
STATES = "|".join([c.value for c in Clinical] + [k.value for k in Containment])


class CasePage(PageBase):
    """A page of cases."""

    items: list[CaseRead]


class TransitionCreate(BaseModel):
    """A change of a case's states, with the reason for the audit log."""

    reason: str = Field(min_length=1, max_length=2000)
    clinical: Clinical | None = None
    containment: Containment | None = None
    assigned_place: str | None = Field(default=None, max_length=64)
    at: int | None = Field(
        default=None, ge=0, le=10**11, description="Epoch seconds; now if unset."
    )


@router.get("", response_model=CasePage, dependencies=[needs(Permission.READ_ORDERS)])
def list_cases(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern=f"^({STATES})$")] = None,
) -> CasePage:
    """Cases by person id, optionally in one clinical or containment state."""
    wanted = cases.parse_status(status) if status else None
    items, total = cases.case_page(
        session, actor=actor, status=wanted, limit=page.limit, offset=page.offset
    )
    return CasePage(
        items=[case_read(c) for c in items], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/{person_id}/transition",
    response_model=CaseRead,
    dependencies=[needs(Permission.ORDER_MEDICAL)],
)
def transition(
    person_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: TransitionCreate,
    session: SessionDep,
    actor: ActorDep,
    cfg: SettingsDep,
) -> CaseRead:
    """Move a case to new states when the rules allow it (409 naming the allowed ones if not)."""
    after = cases.change_case(
        session,
        person_id,
        actor=actor,
        reason=body.reason,
        at=body.at if body.at is not None else cfg.now(),
        clinical=body.clinical,
        containment=body.containment,
        assigned_place=body.assigned_place,
    )
    return case_read(after)
