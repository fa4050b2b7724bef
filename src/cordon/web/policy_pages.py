"""The exit policies page: the policies in force and every earlier version, a form to set one
(command only) and a lift button; the services check the role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from cordon.api.deps import SessionDep, SettingsDep
from cordon.domain.exit_policy import PolicyAction, PolicyKind
from cordon.domain.roles import Permission
from cordon.services import exit_policies
from cordon.web.pages import _check_csrf, _page_actor, _redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


@router.get("/exit-policies")
def policies_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """Policies in force, their history, and the form to set one."""
    actor, csrf = _page_actor(request, session)
    found = exit_policies.list_policies(session, actor=actor, active_only=False)
    return render(
        request,
        "policies.html",
        cfg,
        actor,
        csrf,
        active=[p for p in found if p.status.value == "active"],
        earlier=[p for p in found if p.status.value != "active"],
        kinds=[k.value for k in PolicyKind],
        actions=[a.value for a in PolicyAction],
        may_set=actor.can(Permission.SET_EXIT_POLICY),
    )


@router.post("/exit-policies")
def set_policy(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    kind: Annotated[PolicyKind, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    action: Annotated[PolicyAction, Form()] = PolicyAction.DENY,
    companion_roles: Annotated[str, Form(max_length=500)] = "",
    exempt_roles: Annotated[str, Form(max_length=500)] = "",
    places: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Set a policy (a new version of the one of that kind)."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    exit_policies.set_policy(
        session,
        actor=actor,
        kind=kind,
        at=cfg.now(),
        reason=reason,
        action=action,
        companion_roles=_words(companion_roles),
        exempt_roles=_words(exempt_roles) if exempt_roles.strip() else None,
        places=_words(places),
    )
    return _redirect("/exit-policies")


@router.post("/exit-policies/{name}/lift")
def lift_policy(
    request: Request,
    name: str,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Lift a policy."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    exit_policies.lift_policy(session, name, actor=actor, at=cfg.now(), reason=reason)
    return _redirect("/exit-policies")
