"""The exit policies page (the policies in force and every earlier version, a form to set one,
a lift button), the arrivals page and the pathogen profile page (its settings and versions, a
change compared before it is applied); the services check the role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from cordon.api.deps import SessionDep, SettingsDep
from cordon.domain.exit_policy import PolicyAction, PolicyKind
from cordon.domain.roles import Permission
from cordon.errors import InvalidValue
from cordon.services import arrivals, exit_policies, profiles
from cordon.store.profiles import profile_record
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


@router.get("/profile")
def profile_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """The active pathogen profile, its versions, and the form to change it (a dry run first)."""
    actor, csrf = _page_actor(request, session)
    current = profile_record(profiles.show(session, actor=actor))
    return render(
        request,
        "profile.html",
        cfg,
        actor,
        csrf,
        settings=sorted(profiles.flat(current).items()),
        profile_name=current["name"],
        versions=profiles.history(session, actor=actor) if actor.can(Permission.READ_AUDIT) else [],
        may_change=actor.can(Permission.ADMINISTER_STORE),
        change=None,
        asked="",
    )


@router.post("/profile")
def change_profile(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    settings: Annotated[str, Form(min_length=1, max_length=4000)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    apply: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """Compare (the default) or apply a change: one ``key=value`` a line."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    pairs: dict[str, str] = {}
    for line in (x.strip() for x in settings.splitlines() if x.strip()):
        key, sep, value = line.partition("=")
        if not sep:
            raise InvalidValue(f"{line!r}: write key=value, one a line")
        pairs[key.strip()] = value.strip()
    change = profiles.change_profile(
        session, actor=actor, now=cfg.now(), reason=reason, settings=pairs, dry_run=apply != "yes"
    )
    current = profile_record(profiles.show(session, actor=actor))
    return render(
        request,
        "profile.html",
        cfg,
        actor,
        csrf,
        settings=sorted(profiles.flat(current).items()),
        profile_name=current["name"],
        versions=profiles.history(session, actor=actor) if actor.can(Permission.READ_AUDIT) else [],
        may_change=True,
        change=change,
        asked=settings,
    )


@router.get("/arrivals")
def arrivals_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """Per vessel: expected, arrived, turned back, still aboard the vessel, departed."""
    actor, csrf = _page_actor(request, session)
    return render(
        request,
        "arrivals.html",
        cfg,
        actor,
        csrf,
        vessels=arrivals.arrivals(session, actor=actor),
    )
