"""The dashboard's pages: server-rendered with Jinja2, forms for every write (with the session's
CSRF token), a little JavaScript for the charts and the live alert feed."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cordon.api.deps import COOKIE, SessionDep, SettingsDep
from cordon.api.routes.auth import set_session_cookie
from cordon.api.settings import ServiceSettings
from cordon.domain.cases import HELD, STORED_CONTAINMENT, Clinical, Containment
from cordon.domain.orders import MEDICAL_KINDS, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission
from cordon.errors import InvalidForm, InvalidValue, NotAuthenticated, PermissionDenied
from cordon.services import accounts, alerts, cases, directory, orders, story
from cordon.services.audit_log import audit_page
from cordon.services.situation import situation
from cordon.times import format_time, parse_time
from cordon.web.templating import templates

__all__ = ["LoginRequired", "router"]

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "cordon_login_csrf"
PAGE = 50
E = TypeVar("E", bound=StrEnum)


class LoginRequired(Exception):
    """The page needs a signed-in browser session."""


def _page_actor(request: Request, session: Session) -> tuple[Actor, str]:
    cookie = request.cookies.get(COOKIE)
    found = accounts.actor_for_session(session, cookie) if cookie else None
    if found is None:
        raise LoginRequired
    return found


def form_choice(enum: type[E], text: str, field: str) -> E | None:
    """The member of ``enum`` a form field names (None when empty), or a 400 naming the field."""
    if not text:
        return None
    try:
        return enum(text)
    except ValueError:
        offered = ", ".join(m.value for m in enum)
        raise InvalidForm(f"{field}: {text[:40]!r} is not one of: {offered}") from None


def _check_csrf(expected: str, given: str) -> None:
    if not accounts.csrf_matches(expected, given):
        raise PermissionDenied("the form's CSRF token is missing or wrong: reload the page")


def render(
    request: Request,
    name: str,
    cfg: ServiceSettings,
    actor: Actor | None = None,
    csrf: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from its template, with what every page needs."""
    zone = cfg.zone

    def page_url(offset: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        return "?" + urlencode([*query, ("offset", str(offset))])

    html = templates.get_template(name).render(
        request=request,
        actor=actor,
        csrf=csrf,
        P=Permission,
        can=(lambda p: actor is not None and actor.can(p)),
        when=lambda at: format_time(at, zone) if at is not None else "",
        path=request.url.path,
        page_url=page_url,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


@router.get("/login")
def login_page(request: Request, cfg: SettingsDep, error: str | None = None) -> HTMLResponse:
    """The sign-in form (login CSRF: a double-submit cookie)."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", cfg, login_csrf=token, error=error)
    response.set_cookie(
        LOGIN_CSRF, token, max_age=3600, httponly=True, secure=cfg.cookie_secure, samesite="strict"
    )
    return response


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    """Check the password; a new session id every time (no fixation)."""
    _check_csrf(request.cookies.get(LOGIN_CSRF, ""), csrf)
    try:
        signed = accounts.login(session, name, password, previous=request.cookies.get(COOKIE))
    except NotAuthenticated as exc:
        return render(
            request,
            "login.html",
            cfg,
            status_code=401,
            login_csrf=request.cookies.get(LOGIN_CSRF, ""),
            error=str(exc),
        )
    response = _redirect("/")
    set_session_cookie(response, signed.session_token, secure=cfg.cookie_secure)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
def logout_submit(
    request: Request, session: SessionDep, csrf: Annotated[str, Form(max_length=100)]
) -> Response:
    """End the session."""
    _actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    accounts.logout(session, request.cookies.get(COOKIE, ""))
    response = _redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def overview(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """Counts by state, the epidemic curve and the registered analyses."""
    actor, csrf = _page_actor(request, session)
    now = situation(session, actor=actor, at=cfg.now(), zone=cfg.zone)
    charts = {
        "clinical": now.clinical,
        "containment": now.containment,
        "curve": {
            "days": [format_time(d)[:10] for d in now.curve.days],
            "series": now.curve.series,
        },
        "analyses": [a.chart for a in now.analyses],
    }
    return render(request, "overview.html", cfg, actor, csrf, s=now, charts=charts)


@router.get("/cases")
def cases_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """The cases table, filtered by state."""
    actor, csrf = _page_actor(request, session)
    wanted = cases.parse_status(status) if status else None
    items, total = cases.case_page(session, actor=actor, status=wanted, limit=PAGE, offset=offset)
    if actor.can(Permission.READ_CLINICAL):
        states = [c.value for c in Clinical] + [k.value for k in STORED_CONTAINMENT]
    else:
        states = [k.value for k in Containment if k not in HELD]
    return render(
        request,
        "cases.html",
        cfg,
        actor,
        csrf,
        items=items,
        total=total,
        offset=offset,
        limit=PAGE,
        status=status or "",
        states=states,
    )


@router.get("/people")
def people_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    search: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """Find a person."""
    actor, csrf = _page_actor(request, session)
    found = directory.list_people(
        session, actor=actor, search=search or None, limit=PAGE, offset=offset
    )
    return render(
        request,
        "people.html",
        cfg,
        actor,
        csrf,
        page=found,
        search=search or "",
        limit=PAGE,
        offset=offset,
    )


@router.get("/people/{person_id}")
def person_page(
    request: Request, person_id: str, session: SessionDep, cfg: SettingsDep
) -> HTMLResponse:
    """A person's case, orders and timeline, with the actions the role allows."""
    actor, csrf = _page_actor(request, session)
    told = story.person_story(session, person_id, actor=actor, at=cfg.now(), zone=cfg.zone)
    timeline = told.timeline
    return render(
        request,
        "person.html",
        cfg,
        actor,
        csrf,
        t=timeline,
        story=told.lines[1:],
        followups=told.followups,
        events=timeline.events(),
        clinical_states=[c.value for c in Clinical],
        containment_states=[k.value for k in STORED_CONTAINMENT],
    )


@router.post("/people/{person_id}/transition")
def person_transition(
    request: Request,
    person_id: str,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    clinical: Annotated[str, Form(max_length=20)] = "",
    containment: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Change the person's case from their page."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    cases.change_case(
        session,
        person_id,
        actor=actor,
        reason=reason,
        at=cfg.now(),
        clinical=form_choice(Clinical, clinical, "clinical"),
        containment=form_choice(Containment, containment, "containment"),
    )
    return _redirect(f"/people/{person_id}")


@router.get("/orders")
def orders_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    kind: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = OrderStatus.ACTIVE.value,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """Orders with filters ("any" sends an empty value), the form to issue one, lift buttons."""
    actor, csrf = _page_actor(request, session)
    wanted_kind = form_choice(OrderKind, kind, "kind")
    wanted_status = form_choice(OrderStatus, status, "status")
    items, total = orders.order_page(
        session, actor=actor, kind=wanted_kind, status=wanted_status, limit=PAGE, offset=offset
    )
    issuable = [k.value for k, p in orders.ORDER_PERMISSION.items() if actor.can(p)]
    return render(
        request,
        "orders.html",
        cfg,
        actor,
        csrf,
        items=items,
        total=total,
        offset=offset,
        limit=PAGE,
        kind=kind,
        status=status,
        kinds=[
            k.value
            for k in OrderKind
            if (k in MEDICAL_KINDS) == actor.can(Permission.READ_CLINICAL)
            or k in (OrderKind.EGRESS_HOLD, OrderKind.MORATORIUM)
        ],
        statuses=[s.value for s in OrderStatus],
        issuable=issuable,
        permission_of={k.value: p for k, p in orders.ORDER_PERMISSION.items()},
    )


@router.post("/orders")
def issue_order(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    kind: Annotated[OrderKind, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    person: Annotated[str, Form(max_length=64)] = "",
    places: Annotated[str, Form(max_length=2000)] = "",
    group: Annotated[str, Form(max_length=2000)] = "",
    expiry: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str, Form(max_length=200)] = "/orders",
) -> Response:
    """Issue an order from the orders page or a person's page; a hold with no person and a
    group (``role:performer, state:exposed, affiliation:...``) holds that whole group."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    axes: dict[str, list[str]] = {"role": [], "affiliation": [], "state": []}
    for item in (w.strip() for w in group.split(",") if w.strip()):
        axis, _, value = item.partition(":")
        if axis.strip() not in axes or not value.strip():
            raise InvalidValue(f"group item {item!r}: write role:X, affiliation:X or state:X")
        axes[axis.strip()].append(value.strip())
    if kind is OrderKind.EGRESS_HOLD and not person.strip() and group.strip():
        orders.issue_order(
            session,
            actor=actor,
            kind=kind,
            reason=reason,
            start=cfg.now(),
            expiry=parse_time(expiry, cfg.zone) if expiry.strip() else None,
            scope=orders.group_scope(axes["role"], axes["affiliation"], axes["state"]),
        )
        return _redirect("/orders")
    orders.issue_order(
        session,
        actor=actor,
        kind=kind,
        reason=reason,
        start=cfg.now(),
        person=person.strip() or None,
        expiry=parse_time(expiry, cfg.zone) if expiry.strip() else None,
        scope=Scope(places=frozenset(p.strip() for p in places.split(",") if p.strip())),
    )
    return _redirect(back if back.startswith("/") and not back.startswith("//") else "/orders")


@router.post("/orders/{order_id}/lift")
def lift_order(
    request: Request,
    order_id: int,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Lift an order."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    orders.lift_order(session, order_id, actor=actor, at=cfg.now(), reason=reason)
    return _redirect("/orders")


@router.get("/alerts")
def alerts_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """The alert feed; new alerts arrive live over Server-Sent Events."""
    actor, csrf = _page_actor(request, session)
    items, total = alerts.list_alerts(session, actor=actor, limit=100)
    return render(request, "alerts.html", cfg, actor, csrf, items=items, total=total)


@router.get("/audit")
def audit_view(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    by: Annotated[str | None, Query(max_length=100)] = None,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """The audit log."""
    actor, csrf = _page_actor(request, session)
    items, total = audit_page(
        session, actor=actor, by=by or None, entity=entity or None, limit=PAGE, offset=offset
    )
    return render(
        request,
        "audit.html",
        cfg,
        actor,
        csrf,
        items=items,
        total=total,
        offset=offset,
        limit=PAGE,
        by=by or "",
        entity=entity or "",
    )
