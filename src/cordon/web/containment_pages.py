"""Dashboard pages for containment and tracing: the missing-cases board, the bed plan, the guard
roster and the transmission graph. Each calls its service at the station clock; the services
check the role, and a refusal renders as the 403 page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cordon.api.deps import SessionDep, SettingsDep
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.people import Role
from cordon.domain.records import Route
from cordon.domain.roles import Permission, require
from cordon.engine.trace import Direction
from cordon.errors import InvalidForm, InvalidValue, NotFound, TransitionError
from cordon.services import contacts, missing, moratoria, orders, plans
from cordon.services.tracing import TracedPerson, TraceReport
from cordon.store import plans as plan_reads
from cordon.times import format_duration, parse_expiry
from cordon.web.pages import PAGE, _check_csrf, _page_actor, form_choice, render

__all__ = ["chains_tree", "router", "trace_figure"]

router = APIRouter(include_in_schema=False)
ROSTER_DAYS = 7
GROUP = Role.VISITING_CREW.value


@router.get("/missing")
def missing_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """Who is not where their order keeps them: last sighting, companions and the egress."""
    actor, csrf = _page_actor(request, session)
    at = cfg.now()
    found = missing.find_missing(
        session, actor=actor, at=at, record=False, grace=cfg.missing_grace_seconds
    )
    return render(
        request,
        "missing.html",
        cfg,
        actor,
        csrf,
        items=found,
        at=at,
        near_s=missing.NEAR_S,
        contact_min=format_duration(missing.CONTACT_MIN_S),
    )


@router.get("/plans/beds")
def beds_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """The housing plan now: rooms and cohorts, each person's bed, conversions and shortages."""
    actor, csrf = _page_actor(request, session)
    plan = plans.plan_housing(session, actor=actor, at=cfg.now())
    return render(request, "beds.html", cfg, actor, csrf, plan=plan)


@router.get("/plans/roster")
def roster_page(request: Request, session: SessionDep, cfg: SettingsDep) -> HTMLResponse:
    """The guard roster for the next days: a table by exit and shift."""
    actor, csrf = _page_actor(request, session)
    plan = plans.plan_roster(session, actor=actor, start=cfg.now(), days=ROSTER_DAYS)
    step = plan.shift_hours * 3600
    starts = [plan.start + k * step for k in range(plan.days * 24 // plan.shift_hours)]
    starts = sorted(set(starts) | {s.start for s in plan.shifts})
    grid: dict[tuple[str, int], list[str]] = {}
    for s in plan.shifts:
        grid.setdefault((s.exit, s.start), []).append(s.guard)
    gaps = {(u.exit, t) for u in plan.uncovered for t in starts if u.start < t + step and u.end > t}
    return render(
        request,
        "roster.html",
        cfg,
        actor,
        csrf,
        plan=plan,
        starts=starts,
        grid=grid,
        gaps=gaps,
        names={g.guard: g.name for g in plan.guards},
    )


def chains_tree(people: list[TracedPerson]) -> list[dict[str, Any]]:
    """The traced persons as a forest: each index person with the people reached through them
    (by ``link``), children ordered by time."""
    nodes: dict[str, dict[str, Any]] = {
        p.person: {"p": p, "children": []} for p in sorted(people, key=lambda q: (q.time, q.person))
    }
    roots: list[dict[str, Any]] = []
    for person, node in nodes.items():
        link = node["p"].link
        if link is not None and link in nodes and link != person:
            nodes[link]["children"].append(node)
        else:
            roots.append(node)
    return roots


def trace_figure(report: TraceReport) -> dict[str, Any]:
    """The chains as a Plotly network: generation across, persons down, one line per link; a
    click on a person opens their page (``customdata``)."""
    data: list[dict[str, Any]] = []
    tallest = 1
    for sign, people, color in ((1, report.forward, "#c0392b"), (-1, report.backward, "#1f77b4")):
        if not people:
            continue
        links = [(p.link, p.person) for p in people if p.link is not None]
        row: dict[int, int] = {}
        pos: dict[str, tuple[float, float]] = {}
        for p in sorted(people, key=lambda q: (q.generation, q.time, q.person)):
            k = row.get(p.generation, 0)
            row[p.generation] = k + 1
            pos[p.person] = (sign * p.generation, -k)
        tallest = max(tallest, *row.values())
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b in links:
            if a in pos and b in pos:
                xs += [pos[a][0], pos[b][0], None]
                ys += [pos[a][1], pos[b][1], None]
        name = "forward" if sign > 0 else "backward"
        data.append({"x": xs, "y": ys, "type": "scatter", "mode": "lines", "hoverinfo": "skip",
                     "line": {"color": color, "width": 1}, "showlegend": False})  # fmt: skip
        ids = list(pos)
        data.append({
            "x": [pos[i][0] for i in ids], "y": [pos[i][1] for i in ids], "text": ids,
            "customdata": [f"/people/{quote(i, safe='')}" for i in ids], "type": "scatter",
            "mode": "markers+text", "textposition": "middle right", "hovertext": ids,
            "hoverinfo": "text", "name": name,
            "marker": {"size": 12, "color": color},
        })  # fmt: skip
    return {
        "data": data,
        "layout": {
            "height": min(3000, max(420, 24 * tallest + 120)),
            "xaxis": {"title": {"text": "generation (backward to the left)"}, "zeroline": True,
                      "dtick": 1},
            "yaxis": {"visible": False},
            "hovermode": "closest",
        },
    }  # fmt: skip


@router.get("/trace")
def trace_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    person: Annotated[str, Query(max_length=64)] = "",
    group: Annotated[str, Query(max_length=40)] = "",
    direction: Annotated[str, Query(max_length=10)] = Direction.BOTH.value,
) -> HTMLResponse:
    """The transmission graph: chains from a person or the visiting crew, on demand."""
    actor, csrf = _page_actor(request, session)
    require(actor, Permission.READ_CONTACTS)
    try:
        chosen = Direction(direction)
    except ValueError:
        raise InvalidValue(
            f"direction must be forward, backward or both, not {direction!r}"
        ) from None
    index: list[str] = []
    if group:
        if group != GROUP:
            raise InvalidValue(f"the only group traced here is {GROUP!r}")
        require(actor, Permission.READ_PEOPLE)
        index = [i for i, _name, _k in plan_reads.people_of_role(session, GROUP)]
        if not index:
            raise InvalidValue(f"nobody aboard has the role {GROUP!r}")
    elif person.strip():
        index = [person.strip()]
    report = None
    figure = None
    if index:
        report = contacts.trace(
            session, actor=actor, persons=index, direction=chosen, until=cfg.now()
        )
        figure = trace_figure(report)
    return render(
        request,
        "trace.html",
        cfg,
        actor,
        csrf,
        report=report,
        person=person,
        group=group,
        direction=chosen.value,
        directions=[d.value for d in Direction],
        forward=chains_tree(report.forward) if report else [],
        backward=chains_tree(report.backward) if report else [],
        charts={"analyses": [figure] if figure else []},
        group_name=GROUP,
    )


@router.get("/gatherings")
def gatherings_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    show: Annotated[str, Query(max_length=20)] = "upcoming",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """Gatherings with the visiting crew each needs and the moratoria suspending them:
    upcoming ones (not yet ended) by default, or all, or only the suspended."""
    actor, csrf = _page_actor(request, session)
    require(actor, Permission.READ_ORDERS)
    at = cfg.now()
    found = moratoria.list_gatherings(
        session,
        actor=actor,
        start=at if show == "upcoming" else None,
        suspended_only=show == "suspended",
    )
    return render(
        request,
        "gatherings.html",
        cfg,
        actor,
        csrf,
        items=found[offset : offset + PAGE],
        total=len(found),
        offset=offset,
        limit=PAGE,
        show=show,
        suspended=sum(1 for v in found if v.suspended),
        at=at,
    )


@router.get("/moratoria")
def moratoria_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    form: dict[str, str] | None = None,
    form_error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Moratoria (active first), what each suspends, a form to issue one "just for today" or
    until a time, and lift buttons."""
    actor, csrf = _page_actor(request, session)
    views = orders.list_orders(session, actor=actor, kinds=(OrderKind.MORATORIUM,))
    views.sort(key=lambda v: (v.order.status is not OrderStatus.ACTIVE, -(v.order.start or 0)))
    suspended = moratoria.list_gatherings(session, actor=actor, suspended_only=True)
    by_order: dict[int, list[Any]] = {}
    for g in suspended:
        for oid in g.suspended_by:
            by_order.setdefault(oid, []).append(g)
    return render(
        request,
        "moratoria.html",
        cfg,
        actor,
        csrf,
        status_code=status_code,
        items=views,
        suspends=by_order,
        form=form or {},
        form_error=form_error,
        routes=[r.value for r in Route],
    )


@router.post("/moratoria")
def issue_moratorium(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    until: Annotated[str, Form(max_length=40)] = "today",
    route: Annotated[str, Form(max_length=40)] = "fluid",
) -> Response:
    """Issue a moratorium on a route between the visiting crew and everyone else, just for
    today or until a time or for a duration; a refusal shows in the form, input kept."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    start = cfg.now()
    try:
        today = until.strip() in ("", "today")
        moratoria.issue_moratorium(
            session,
            actor=actor,
            start=start,
            reason=reason,
            today=today,
            expiry=None if today else parse_expiry(until, start, cfg.zone),
            zone=cfg.zone,
            routes=[form_choice(Route, route, "route") or Route.FLUID],
        )
    except (InvalidValue, InvalidForm, TransitionError, NotFound) as exc:
        typed = {"reason": reason, "until": until, "route": route}
        return moratoria_page(
            request, session, cfg, form=typed, form_error=str(exc), status_code=422
        )
    return RedirectResponse("/moratoria", status_code=303)


@router.post("/moratoria/{order_id}/lift")
def lift_moratorium(
    request: Request,
    order_id: int,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Lift a moratorium early: its gatherings go back on schedule."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    orders.lift_order(session, order_id, actor=actor, at=cfg.now(), reason=reason)
    return RedirectResponse("/moratoria", status_code=303)
