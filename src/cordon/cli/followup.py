"""``cordon followup`` and ``cordon task``: the daily follow-up of everyone under quarantine or
isolation, self-report links, follow-up teams, and the teams' tasks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.followup import CheckStatus, day_of
from cordon.domain.tasks import TaskKind, TaskStatus
from cordon.domain.vocab import normalise_word
from cordon.errors import InvalidValue
from cordon.services import followup, selfreport, tasks
from cordon.services.followup_import import import_checks
from cordon.store.tasks import task_record
from cordon.times import format_time, parse_duration

__all__ = ["register"]

followup_app = typer.Typer(
    help="Daily follow-up of everyone under quarantine or isolation.", no_args_is_help=True
)
link_app = typer.Typer(help="Self-report links (no account needed).", no_args_is_help=True)
task_app = typer.Typer(help="The teams' tasks: samples, visits, bring-backs, meals.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


E = TypeVar("E", CheckStatus, TaskKind, TaskStatus)


def _enum(kind: type[E], text: str, what: str) -> E:
    try:
        return kind(normalise_word(text))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidValue(f"{what} {text!r} is not one of: {allowed}") from None


def _day(text: str | None, now: int, zone: object) -> date:
    if text is None:
        return day_of(now, zone)  # type: ignore[arg-type]
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"date {text!r} is not YYYY-MM-DD") from None


@followup_app.command("list")
def list_due(
    ctx: typer.Context,
    day: Annotated[
        str | None, typer.Option("--date", help="Station date YYYY-MM-DD (default: today).")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those without a check after the cut-off.")
    ] = False,
    team: Annotated[str | None, typer.Option(help="Only this follow-up team's people.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Who is due a check on a day, with their day of monitoring; departed people apart."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    now = rt.now()
    with rt.session() as session:
        found = followup.followup_list(
            session,
            actor=rt.actor,
            day=_day(day, now, zone),
            now=now,
            zone=zone,
            overdue=overdue,
            team=team,
        )
    if as_json:
        emit_json(found.to_dict())
        return
    done = sum(d.done for d in found.due)
    title = (
        f"follow-up {found.day.isoformat()}: {done} of {len(found.due)} checked, "
        f"cut-off {moment(found.cutoff, zone)[11:16]}"
    )
    table(
        title,
        ["person", "name", "day", "team", "where", "today"],
        [
            (
                d.person,
                d.name,
                f"{d.kind.value[0].upper()} {d.day_number}"
                + (f"/{d.length_days}" if d.length_days else ""),
                d.team or "",
                d.place or "",
                _last(d) if d.done else ("OVERDUE" if d.overdue else "due"),
            )
            for d in found.due
        ],
    )
    console.print("day: Q quarantine, I isolation, day N of M of monitoring (day 0: the first)")
    if found.departed:
        console.print(
            f"left the station ({len(found.departed)}, not checked here): "
            + ", ".join(d.person for d in found.departed)
        )


def _last(d: followup.Due) -> str:
    c = d.checks[-1]
    reading = f" {c.temperature:g}°C" if c.temperature is not None else ""
    return f"{c.status.value.replace('_', ' ')}{reading}"


@followup_app.command("record")
def record(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(metavar="PERSON", help="The person checked.")],
    status: Annotated[
        str, typer.Option(help="well, symptomatic, not_seen or refused.", show_default=False)
    ],
    temperature: Annotated[float | None, typer.Option(help="Body temperature, °C.")] = None,
    symptom: Annotated[
        list[str] | None,
        typer.Option("--symptom", help="A symptom from the profile's list (repeat for more)."),
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
    at: Annotated[str | None, typer.Option(help="When checked (default: now).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record one check; a symptomatic one isolates the person and asks for a sample."""
    rt = runtime(ctx)
    with rt.session() as session:
        done = followup.record_check(
            session,
            actor=rt.actor,
            person=person,
            at=rt.when(at),
            status=_enum(CheckStatus, status, "status"),
            zone=rt.settings.zone,
            temperature=temperature,
            symptoms=symptom or (),
            notes=notes,
        )
    if as_json:
        emit_json(done.to_dict())
        return
    c = done.check
    console.print(f"check {c.id} recorded: {person} {c.status.value} on {c.day.isoformat()}")
    if done.task is not None:
        console.print(
            ("now a suspected case; " if done.suspected else "")
            + (f"isolation order {done.order}; " if done.order else "")
            + f"sample task {done.task} for the medical team; alert {done.alert}"
        )


@followup_app.command("team")
def team(
    ctx: typer.Context,
    place: Annotated[str, typer.Argument(help="Quarters (or a deck) the team is responsible for.")],
    name: Annotated[
        str | None, typer.Argument(help="The team (omit with --clear).", show_default=False)
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the place's team.")] = False,
) -> None:
    """Make a follow-up team responsible for the people housed in a place."""
    rt = runtime(ctx)
    if (name is None) != clear:
        raise InvalidValue("give a team name, or --clear")
    with rt.session() as session:
        followup.set_team(session, actor=rt.actor, place=place, team=name)
    console.print(f"{place}: {'no team of its own' if clear else 'team ' + str(name)}")


@link_app.command("issue")
def issue_link(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Who reports (or answers for --quarters).")],
    quarters: Annotated[
        str | None,
        typer.Option(help="Let PERSON report for everyone housed in these quarters."),
    ] = None,
    valid: Annotated[
        str | None,
        typer.Option(help="How long it lasts (default: until the monitoring ends)."),
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="The service's address people open.")
    ] = "http://127.0.0.1:8000",
    as_json: JsonOption = False,
) -> None:
    """Issue a self-report link; it is shown once, and sent to the person's channels."""
    rt = runtime(ctx)
    now = rt.now()
    with rt.session() as session:
        token, link = selfreport.issue_link(
            session,
            actor=rt.actor,
            person=person,
            now=now,
            zone=rt.settings.zone,
            quarters=quarters,
            until=now + parse_duration(valid) if valid else None,
        )
    url = f"{base_url.rstrip('/')}/r/{token}"
    if as_json:
        emit_json({**link.to_dict(), "url": url})
        return
    console.print(f"link {link.id} for {person} until {moment(link.expires_at, rt.settings.zone)}")
    console.print(url, soft_wrap=True)


@link_app.command("list")
def list_links(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Whose links.")],
    as_json: JsonOption = False,
) -> None:
    """The links issued for a person (never their tokens)."""
    rt = runtime(ctx)
    zone = rt.settings.zone
    with rt.session() as session:
        links = selfreport.links_of(session, actor=rt.actor, person=person)
    if as_json:
        emit_json([link.to_dict() for link in links])
        return
    now = rt.now()
    table(
        f"links of {person} ({len(links)})",
        ["id", "for", "until", "state", "last used"],
        [
            (
                link.id,
                link.place or link.person,
                moment(link.expires_at, zone),
                "revoked" if link.revoked_at else ("usable" if link.usable(now) else "expired"),
                moment(link.last_used_at, zone),
            )
            for link in links
        ],
    )


@link_app.command("revoke")
def revoke_link(ctx: typer.Context, link_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke a link at once."""
    rt = runtime(ctx)
    with rt.session() as session:
        link = selfreport.revoke_link(session, link_id, actor=rt.actor, at=rt.now())
    console.print(f"link {link.id} of {link.person} revoked")


@task_app.callback(invoke_without_command=True)
def task_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="open (default), done, cancelled, or all.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="sample, visit, bring_back, meals, other.")
    ] = None,
    assignee: Annotated[str | None, typer.Option(help="user:NAME, role:ROLE or team:TEAM.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open tasks past due.")] = False,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Tasks by due time (open ones unless --status says otherwise)."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime(ctx)
    zone = rt.settings.zone
    wanted: TaskStatus | None = TaskStatus.OPEN
    if status is not None:
        wanted = None if status.strip().lower() == "all" else _enum(TaskStatus, status, "status")
    with rt.session() as session:
        found, total = tasks.list_tasks(
            session,
            actor=rt.actor,
            status=wanted,
            kind=_enum(TaskKind, kind, "kind") if kind else None,
            assignee=assignee,
            overdue_at=rt.now() if overdue else None,
            limit=limit or None,
        )
    if as_json:
        emit_json({"items": [task_record(t) for t in found], "total": total})
        return
    now = rt.now()
    table(
        f"tasks: {len(found)} of {total}"
        + (" (use --limit 0 for all)" if total > len(found) else ""),
        ["id", "kind", "person", "assignee", "due", "status"],
        [
            (
                t.id,
                t.kind.value,
                t.person or t.place or "",
                t.assignee,
                moment(t.due_at, zone)[:16],
                "OVERDUE" if t.overdue(now) else t.status.value,
            )
            for t in found
        ],
    )


@task_app.command("add")
def task_add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="sample, visit, bring_back, meals or other.")],
    assignee: Annotated[str, typer.Option(help="user:NAME, role:ROLE or team:TEAM.")],
    person: Annotated[str | None, typer.Option(help="The person concerned.")] = None,
    place: Annotated[str | None, typer.Option(help="The place concerned.")] = None,
    due: Annotated[str, typer.Option(help="Due in (e.g. 2h) from now.")] = "4h",
    note: Annotated[str, typer.Option(help="What to do.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create a task by hand; its assignee is told."""
    rt = runtime(ctx)
    now = rt.now()
    with rt.session() as session:
        made = tasks.create_task(
            session,
            actor=rt.actor,
            kind=_enum(TaskKind, kind, "kind"),
            assignee=assignee,
            due_at=now + parse_duration(due),
            now=now,
            person=person,
            place=place,
            note=note,
        )
    if as_json:
        emit_json(task_record(made))
        return
    console.print(
        f"task {made.id} ({made.kind.value}) for {made.assignee}, due "
        f"{format_time(made.due_at, rt.settings.zone)}"
    )


def _close(ctx: typer.Context, task_id: int, status: TaskStatus, outcome: str) -> None:
    rt = runtime(ctx)
    with rt.session() as session:
        closed = tasks.close_task(
            session, task_id, actor=rt.actor, at=rt.now(), status=status, outcome=outcome
        )
    console.print(f"task {closed.id} {closed.status.value}")


@task_app.command("done")
def task_done(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID")],
    outcome: Annotated[str, typer.Option(help="What came of it.")] = "",
) -> None:
    """Mark a task done."""
    _close(ctx, task_id, TaskStatus.DONE, outcome)


@task_app.command("cancel")
def task_cancel(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="Why it is no longer needed.")],
) -> None:
    """Cancel a task, saying why."""
    _close(ctx, task_id, TaskStatus.CANCELLED, reason)


def import_followups(ctx: typer.Context, path: Path, fmt: str | None, as_json: bool) -> None:
    """``cordon import followups FILE`` (called by the import command)."""
    rt = runtime(ctx)
    with rt.session() as session:
        report = import_checks(session, path, actor=rt.actor, zone=rt.settings.zone, fmt=fmt)
    if as_json:
        emit_json([asdict(report)])
        return
    console.print(
        f"followups: {report.read} read, {report.added} added, {report.unchanged} already there"
    )
    for note in report.notes:
        console.print(f"followups: {note}")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    followup_app.add_typer(link_app, name="link")
    app.add_typer(followup_app, name="followup")
    app.add_typer(task_app, name="task")
