"""The API's routers, one module per concept; ``ROUTERS`` is what the app mounts under /api/v1.

Adding a concept: write ``routes/<concept>.py`` with ``router = APIRouter(prefix=..., tags=...)``,
its ``XRead``/``XPage``/``XCreate`` schemas, handlers taking ``SessionDep``/``ActorDep``/``PageDep``
and declaring ``dependencies=[needs(Permission.X)]``; then add the module to the list below. The
role-matrix test finds the new routes by itself. The access routes (``routes/access.py``) are
mounted by the doors app (``cordon.doors.app``), not here.
"""

from __future__ import annotations

from fastapi import APIRouter

from cordon.api.routes import (
    accounts,
    alerts,
    analytics,
    arrivals,
    audit,
    auth,
    cases,
    containment,
    directory,
    feeds,
    followup,
    gatherings,
    health,
    imports,
    jobs,
    notifications,
    orders,
    plans,
    policies,
    profile,
    records,
    report,
    situation,
    tasks,
    tracing,
)

__all__ = ["ROUTERS"]

ROUTERS: list[APIRouter] = [
    m.router
    for m in (
        health,
        auth,
        accounts,
        situation,
        directory,
        cases,
        records,
        feeds,
        orders,
        policies,
        profile,
        arrivals,
        gatherings,
        alerts,
        imports,
        jobs,
        audit,
        report,
        containment,
        followup,
        tasks,
        tracing,
        analytics,
        plans,
        notifications,
    )
]
