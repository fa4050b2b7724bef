"""The dashboard's pages: server-rendered with Jinja2, forms for every write (with the session's
CSRF token), a little JavaScript for the charts and the live alert feed."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from cordon.api.deps import COOKIE, SessionDep, SettingsDep, ThrottleDep, source_of
from cordon.api.routes.auth import set_session_cookie
from cordon.api.settings import ServiceSettings
from cordon.domain.alerts import AlertKind, Severity
from cordon.domain.cases import HELD, STORED_CONTAINMENT, Clinical, Containment
from cordon.domain.orders import MEDICAL_KINDS, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission
from cordon.errors import (
    InvalidForm,
    InvalidValue,
    NotAuthenticated,
    NotFound,
    PasswordChangeRequired,
    PermissionDenied,
    TooManyAttempts,
    TransitionError,
)
from cordon.services import accounts, alerts, cases, directory, missing, orders, story
from cordon.services.audit_log import audit_page
from cordon.services.evidence import describe
from cordon.services.situation import situation
from cordon.services.whereabouts import case_places
from cordon.times import format_time, local_time, parse_expiry
from cordon.web import nav
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
    request.state.actor = found[0]
    if found[0].can(Permission.READ_ALERTS):
        request.state.open_alerts = alerts.open_count(session, actor=found[0])
    return found


def optional_actor(request: Request, session: Session) -> tuple[Actor | None, str | None]:
    """The signed-in user, if any (for pages anyone may reach, such as the error pages)."""
    try:
        return _page_actor(request, session)
    except LoginRequired:
        return None, None


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
    """A page from its template, with what every page needs: the navigation the actor may
    use (with the open alerts on its badge), station times in the one readable form, evidence
    in words."""
    zone = cfg.zone

    def page_url(offset: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        return "?" + urlencode([*query, ("offset", str(offset))])

    def with_query(**changes: str) -> str:
        query = dict(request.query_params)
        query.pop("offset", None)
        query.update(changes)
        return "?" + urlencode({k: v for k, v in query.items() if v != ""})

    html = templates.get_template(name).render(
        request=request,
        actor=actor,
        csrf=csrf,
        P=Permission,
        can=(lambda p: actor is not None and actor.can(p)),
        when=lambda at: (
            Markup('<span class="t">{}</span>').format(local_time(at, zone))
            if at is not None
            else ""
        ),
        zone_id=str(zone),
        zone_name=local_time(cfg.now(), zone, named=True).rsplit(" ", 1)[-1],
        evidence=lambda item, person=None: describe(item, person=person, zone=zone),
        path=request.url.path,
        page_url=page_url,
        with_query=with_query,
        nav=nav.entries(actor),
        badges={"open_alerts": getattr(request.state, "open_alerts", None)},
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
    throttle: ThrottleDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    """Check the password (throttled as the API's sign-in is); a new session id every time (no
    fixation)."""
    _check_csrf(request.cookies.get(LOGIN_CSRF, ""), csrf)
    try:
        signed = accounts.login(
            session,
            name,
            password,
            previous=request.cookies.get(COOKIE),
            source=source_of(request),
            throttle=throttle,
        )
    except PasswordChangeRequired as exc:
        return render(
            request,
            "login.html",
            cfg,
            login_csrf=request.cookies.get(LOGIN_CSRF, ""),
            change=True,
            user_name=name,
            notice=str(exc),
        )
    except (NotAuthenticated, TooManyAttempts) as exc:
        paused = isinstance(exc, TooManyAttempts)
        page = render(
            request,
            "login.html",
            cfg,
            status_code=429 if paused else 401,
            login_csrf=request.cookies.get(LOGIN_CSRF, ""),
            error=str(exc),
        )
        if isinstance(exc, TooManyAttempts):  # (not ``paused``: mypy narrows on this)
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response = _redirect("/")
    set_session_cookie(response, signed.session_token, secure=cfg.cookie_secure)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.get("/account")
def account_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """The signed-in user's account: a form to change the password."""
    actor, csrf = _page_actor(request, session)
    return render(request, "account.html", cfg, actor, csrf)


@router.post("/account/password")
def account_password(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    throttle: ThrottleDep,
    csrf: Annotated[str, Form(max_length=100)],
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change one's password (as the API does); then sign in again."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    try:
        accounts.change_password(
            session, actor, current=current, new=new, source=source_of(request),
            throttle=throttle,
        )  # fmt: skip
    except (InvalidValue, PermissionDenied, TooManyAttempts) as exc:
        status = {InvalidValue: 400, PermissionDenied: 403, TooManyAttempts: 429}
        return render(
            request,
            "account.html",
            cfg,
            actor,
            csrf=expected,
            status_code=next(v for k, v in status.items() if isinstance(exc, k)),
            error=str(exc),
        )
    response = _redirect("/login?" + urlencode({"error": "password changed: sign in again"}))
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/login/password")
def change_password_submit(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    throttle: ThrottleDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    again: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    """Choose a new password (the one-time one is spent), then sign in with it."""
    _check_csrf(request.cookies.get(LOGIN_CSRF, ""), csrf)
    try:
        if new_password != again:
            raise InvalidValue("the two new passwords differ")
        source = source_of(request)
        accounts.choose_password(
            session, name, password, new_password, source=source, throttle=throttle
        )
        signed = accounts.login(
            session,
            name,
            new_password,
            previous=request.cookies.get(COOKIE),
            source=source,
            throttle=throttle,
        )
    except (InvalidValue, NotAuthenticated, TooManyAttempts) as exc:
        status = 422 if isinstance(exc, InvalidValue) else 401
        return render(
            request,
            "login.html",
            cfg,
            status_code=429 if isinstance(exc, TooManyAttempts) else status,
            login_csrf=request.cookies.get(LOGIN_CSRF, ""),
            change=True,
            user_name=name,
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


OVERVIEW_MISSING = 10
"""Missing cases listed on the overview (the missing page has them all)."""
OVERVIEW_ALERTS = 5


@router.get("/")
def overview(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """The eight questions on one screen: counts (each a link to its list), beds left and when
    they run out, the missing (confirmed first), growth and Rt, the forecast, open alerts."""
    actor, csrf = _page_actor(request, session)
    at = cfg.now()
    now = situation(session, actor=actor, at=at, zone=cfg.zone)
    gone: list[missing.MissingCase] | None = None
    if actor.can(Permission.READ_LOCATIONS) and actor.can(Permission.READ_ORDERS):
        gone = missing.find_missing(
            session, actor=actor, at=at, record=False, grace=cfg.missing_grace_seconds
        )
    recent: list[alerts.AlertView] = []
    if actor.can(Permission.READ_ALERTS):
        recent, _ = alerts.list_alerts(session, actor=actor, open_only=True, limit=OVERVIEW_ALERTS)
    by_key = {a.key: a for a in now.analyses}
    charts = {
        "clinical": now.clinical,
        "containment": now.containment,
        "curve": {
            "days": [format_time(d, cfg.zone)[:10] for d in now.curve.days],
            "series": now.curve.series,
            "complete": now.curve.complete,
        },
        "analyses": [a.chart for a in now.analyses],
    }
    return render(
        request,
        "overview.html",
        cfg,
        actor,
        csrf,
        s=now,
        charts=charts,
        growth=by_key.get("growth"),
        forecast=by_key.get("forecast"),
        others=[a for a in now.analyses if a.key not in ("growth", "forecast")],
        chart_index={a.key: k for k, a in enumerate(now.analyses)},
        missing=gone,
        missing_shown=OVERVIEW_MISSING,
        recent=recent,
        waiting=any(a.status in ("computing", "updating") for a in now.analyses),
    )


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
    places = case_places(session, actor=actor, at=cfg.now(), cases=items)
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
        places=places,
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
    form: dict[str, str] | None = None,
    form_error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Orders with filters ("any" sends an empty value), the form to issue one (with the
    refusal and the typed values when an issue failed), lift buttons."""
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
        form=form or {},
        form_error=form_error,
        status_code=status_code,
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
    group (``role:performer, state:exposed, affiliation:...``) holds that whole group. When it
    is refused, the orders page again with the reason above the form and what was typed kept."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    start = cfg.now()
    try:
        axes: dict[str, list[str]] = {"role": [], "affiliation": [], "state": []}
        for item in (w.strip() for w in group.split(",") if w.strip()):
            axis, _, value = item.partition(":")
            if axis.strip() not in axes or not value.strip():
                raise InvalidValue(f"group item {item!r}: write role:X, affiliation:X or state:X")
            axes[axis.strip()].append(value.strip())
        until = parse_expiry(expiry, start, cfg.zone) if expiry.strip() else None
        if kind is OrderKind.EGRESS_HOLD and not person.strip() and group.strip():
            orders.issue_order(
                session, actor=actor, kind=kind, reason=reason, start=start, expiry=until,
                scope=orders.group_scope(axes["role"], axes["affiliation"], axes["state"]),
            )  # fmt: skip
            return _redirect("/orders")
        orders.issue_order(
            session,
            actor=actor,
            kind=kind,
            reason=reason,
            start=start,
            person=person.strip() or None,
            expiry=until,
            scope=Scope(places=frozenset(p.strip() for p in places.split(",") if p.strip())),
        )
    except (InvalidValue, TransitionError, NotFound) as exc:
        typed = {"kind": kind.value, "person": person, "places": places, "group": group,
                 "expiry": expiry, "reason": reason}  # fmt: skip
        return orders_page(request, session, cfg, form=typed, form_error=str(exc), status_code=422)
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
def alerts_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    kind: Annotated[str, Query(max_length=40)] = "",
    severity: Annotated[str, Query(max_length=20)] = "",
    state: Annotated[str, Query(max_length=10)] = "open",
    person: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    done: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> HTMLResponse:
    """The alerts, the latest event first, filtered and paged, each with an acknowledge button
    (and one for every open alert shown); new alerts arrive live over Server-Sent Events."""
    actor, csrf = _page_actor(request, session)
    items, total = alerts.list_alerts(
        session,
        actor=actor,
        kind=form_choice(AlertKind, kind, "kind"),
        severity=form_choice(Severity, severity, "severity"),
        open_only=state == "open",
        person=person.strip() or None,
        limit=PAGE,
        offset=offset,
    )
    return render(
        request,
        "alerts.html",
        cfg,
        actor,
        csrf,
        items=items,
        total=total,
        offset=offset,
        limit=PAGE,
        kind=kind,
        severity=severity,
        state=state,
        person=person,
        kinds=[k.value for k in AlertKind],
        severities=[s.value for s in Severity],
        done=done,
        all_alerts=alerts.list_alerts(session, actor=actor, limit=0)[1],
    )


@router.post("/alerts/acknowledge")
def acknowledge_alerts(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    ids: Annotated[list[int] | None, Form(max_length=1000)] = None,
    one: Annotated[int | None, Form(ge=1, le=2**31)] = None,
    back: Annotated[str, Form(max_length=500)] = "/alerts",
) -> Response:
    """Acknowledge the alert whose button was pressed, or else the ticked ones, then back to
    the list as it was filtered."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    chosen = [one] if one is not None else list(ids or [])
    if not chosen:
        raise InvalidForm("tick the alerts to acknowledge first")
    done = alerts.acknowledge_many(session, chosen, actor=actor, at=cfg.now())
    target = back if back.startswith("/alerts") else "/alerts"
    joiner = "&" if "?" in target else "?"
    return _redirect(f"{target}{joiner}done={len(done)}")


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
