"""Dashboard pages for follow-up: the day's round (one row per person, recorded in one go), the
tasks board, and the self-report page a monitored person opens from their link (no account)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cordon.api.deps import SessionDep, SettingsDep
from cordon.domain.followup import CheckStatus, day_of
from cordon.domain.roles import Permission
from cordon.domain.tasks import TaskKind, TaskStatus
from cordon.errors import InvalidForm, InvalidValue, NotFound
from cordon.services import followup, selfreport, tasks
from cordon.web.pages import _check_csrf, _page_actor, form_choice, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
Rows = Annotated[list[str], Form(max_length=2000)]


def _temperature(text: str, person: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidForm(f"{person}: temperature {text[:20]!r} is not a number") from None


def _symptoms(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.replace(";", ",").split(",") if s.strip())


def _round_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    *,
    day: date | None,
    team: str | None,
    error: str | None = None,
    kept: dict[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor, csrf = _page_actor(request, session)
    now = cfg.now()
    found = followup.followup_list(
        session, actor=actor, day=day or day_of(now, cfg.zone), now=now, zone=cfg.zone, team=team
    )
    return render(
        request,
        "followups.html",
        cfg,
        actor,
        csrf,
        status_code=status_code,
        f=found,
        team=team or "",
        today=day is None or day == day_of(now, cfg.zone),
        statuses=[s.value for s in CheckStatus],
        error=error,
        kept=kept or {},
    )


@router.get("/followups")
def followups_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    day: Annotated[date | None, Query(alias="date")] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The day's round: everyone due a check, one row each, recorded with one submit."""
    return _round_page(request, session, cfg, day=day, team=team or None)


@router.post("/followups")
def followups_submit(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    person: Rows,
    status: Rows,
    temperature: Rows,
    symptoms: Rows,
    notes: Rows,
    team: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Record every row with a status, in one transaction; on an error the form comes back with
    what was typed and the row's problem."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    if not len(person) == len(status) == len(temperature) == len(symptoms) == len(notes):
        raise InvalidForm("the form's rows are incomplete: reload the page")
    kept = {
        p: {"status": s, "temperature": t, "symptoms": y, "notes": n}
        for p, s, t, y, n in zip(person, status, temperature, symptoms, notes, strict=True)
    }
    try:
        rows = [
            followup.CheckInput(
                person=p,
                status=form_choice(CheckStatus, s, f"{p}: status") or CheckStatus.WELL,
                temperature=_temperature(t, p),
                symptoms=_symptoms(y),
                notes=n.strip() or None,
            )
            for p, s, t, y, n in zip(person, status, temperature, symptoms, notes, strict=True)
            if s
        ]
        if not rows:
            raise InvalidForm("no row has a status: choose one for each person checked")
        followup.record_round(session, actor=actor, rows=rows, at=cfg.now(), zone=cfg.zone)
    except InvalidValue as exc:
        return _round_page(
            request,
            session,
            cfg,
            day=None,
            team=team or None,
            error=str(exc),
            kept=kept,
            status_code=400,
        )
    return RedirectResponse(f"/followups?recorded={len(rows)}", status_code=303)


@router.get("/tasks")
def tasks_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    status: Annotated[str, Query(pattern="^(open|done|cancelled|all)$")] = "open",
    mine: bool = False,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """The tasks board: open tasks by due time (overdue first to the eye), closing forms, and a
    form to make one."""
    actor, csrf = _page_actor(request, session)
    now = cfg.now()
    found, total = tasks.list_tasks(
        session,
        actor=actor,
        status=None if status == "all" else TaskStatus(status),
        mine=mine,
        limit=50,
        offset=offset,
    )
    kinds = [
        k.value for k in TaskKind if actor.can(Permission.READ_CLINICAL) or k.value != "sample"
    ]
    return render(
        request,
        "tasks.html",
        cfg,
        actor,
        csrf,
        items=found,
        total=total,
        offset=offset,
        limit=50,
        now=now,
        status=status,
        mine=mine,
        kinds=kinds,
    )


@router.post("/tasks")
def task_create(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    csrf: Annotated[str, Form(max_length=100)],
    kind: Annotated[str, Form(max_length=20)],
    assignee: Annotated[str, Form(max_length=200)],
    due_hours: Annotated[float, Form(ge=0, le=24 * 90)] = 4,
    person: Annotated[str, Form(max_length=64)] = "",
    place: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Make a task by hand."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    now = cfg.now()
    tasks.create_task(
        session,
        actor=actor,
        kind=form_choice(TaskKind, kind, "kind") or TaskKind.OTHER,
        assignee=assignee,
        due_at=now + int(due_hours * 3600),
        now=now,
        person=person.strip() or None,
        place=place.strip() or None,
        note=note,
    )
    return RedirectResponse("/tasks", status_code=303)


@router.post("/tasks/{task_id}/close")
def task_close(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    task_id: Annotated[int, Path(ge=1, le=2**31)],
    csrf: Annotated[str, Form(max_length=100)],
    status: Annotated[str, Form(max_length=20)],
    outcome: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark a task done or cancelled."""
    actor, expected = _page_actor(request, session)
    _check_csrf(expected, csrf)
    wanted = form_choice(TaskStatus, status, "status") or TaskStatus.DONE
    tasks.close_task(session, task_id, actor=actor, at=cfg.now(), status=wanted, outcome=outcome)
    return RedirectResponse("/tasks", status_code=303)


def _self_page(
    request: Request,
    session: SessionDep,
    cfg: SettingsDep,
    token: str,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        view = selfreport.open_link(session, token, now=cfg.now(), zone=cfg.zone)
    except NotFound as exc:
        return render(request, "selfreport.html", cfg, view=None, refused=str(exc), status_code=410)
    return render(
        request,
        "selfreport.html",
        cfg,
        view=view,
        token=token,
        message=message,
        error=error,
        refused=None,
        status_code=status_code,
    )


@router.get("/r/{token}")
def self_report_page(
    request: Request, token: Token, session: SessionDep, cfg: SettingsDep
) -> HTMLResponse:
    """The page a monitored person opens from their link: today's check, on a phone."""
    return _self_page(request, session, cfg, token)


@router.post("/r/{token}")
def self_report_submit(
    request: Request,
    token: Token,
    session: SessionDep,
    cfg: SettingsDep,
    person: Annotated[str, Form(max_length=64)],
    status: Annotated[str, Form(max_length=20)],
    temperature: Annotated[str, Form(max_length=20)] = "",
    symptom: Annotated[list[str] | None, Form(max_length=100)] = None,
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Record the self-reported check (the link is the authority: no account, no cookie)."""
    try:
        done = selfreport.submit(
            session,
            token,
            person=person,
            status=form_choice(CheckStatus, status, "status") or CheckStatus.WELL,
            now=cfg.now(),
            zone=cfg.zone,
            temperature=_temperature(temperature, person),
            symptoms=tuple(symptom or ()),
            notes=notes or None,
        )
    except NotFound:
        return _self_page(request, session, cfg, token)
    except InvalidValue as exc:
        return _self_page(request, session, cfg, token, error=str(exc), status_code=400)
    said = "Thank you: today's check is recorded."
    if done.task is not None:
        said += " A nurse will come to you soon; stay where you are."
    return _self_page(request, session, cfg, token, message=said)
