"""``cordon user``, ``cordon token``, ``cordon serve`` and ``cordon report``."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

from cordon.cli.context import runtime
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.roles import Permission, UserRole
from cordon.errors import InvalidValue
from cordon.serve.roles import Role
from cordon.services import accounts

__all__ = ["register"]

users = typer.Typer(help="User accounts of the service.", no_args_is_help=True)
tokens = typer.Typer(
    help="API tokens for machines (door controllers, scripts).", no_args_is_help=True
)


def _password(generate: bool, from_stdin: bool) -> tuple[str | None, bool]:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if generate:
        return secrets.token_urlsafe(18), True
    return None, False


@users.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name to sign in with.")],
    role: Annotated[UserRole, typer.Option(help="command, medical, security, observer or door.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Token-only user (e.g. a door controller).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a user. Without --password-stdin a password is generated and shown once."""
    rt = runtime(ctx)
    password, generated = _password(not no_password, password_stdin)
    if password_stdin and no_password:
        raise InvalidValue("give either --password-stdin or --no-password")
    with rt.session() as session:
        info = accounts.add_user(
            session, name, role=role, password=password, actor=rt.actor, one_time=generated
        )
    if as_json:
        emit_json(
            {"name": info.name, "role": info.role.value, "password": password,
             "one_time": generated}
        )  # fmt: skip
        return
    console.print(f"user {info.name} ({info.role.value}) created")
    if generated:
        console.print(
            f"one-time password (shown only now; a new one is chosen at the first sign-in): "
            f"{password}",
            markup=False,
        )


@users.command("reset")
def user_reset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Give a user a new one-time password, shown once; they choose their own at the next
    sign-in. Ends their browser sessions."""
    rt = runtime(ctx)
    password = secrets.token_urlsafe(18)
    with rt.session() as session:
        accounts.reset_password(session, name, password=password, actor=rt.actor)
    if as_json:
        emit_json({"name": name, "password": password, "one_time": True})
        return
    console.print(
        f"one-time password for {name} (shown only now; a new one is chosen at the first "
        f"sign-in): {password}",
        markup=False,
    )


@users.command("password")
def user_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
) -> None:
    """Set a new password read from standard input; ends the user's browser sessions."""
    rt = runtime(ctx)
    password = sys.stdin.readline().rstrip("\n")
    with rt.session() as session:
        accounts.set_password(session, name, password=password, actor=rt.actor)
    console.print(f"password of {name} changed")


@users.command("disable")
def user_disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
) -> None:
    """Stop a user at once: no sign-in, sessions ended, API tokens refused."""
    rt = runtime(ctx)
    with rt.session() as session:
        accounts.disable_user(session, name, actor=rt.actor)
    console.print(f"user {name} disabled")


@users.command("list")
def user_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Every user account."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = accounts.list_users(session, actor=rt.actor)
    if as_json:
        emit_json([{"name": u.name, "role": u.role.value, "disabled": u.disabled} for u in found])
        return
    zone = rt.settings.zone
    table(
        f"users ({len(found)})",
        ["name", "role", "created", "last sign-in", "disabled"],
        [
            (u.name, u.role.value, moment(u.created_at, zone), moment(u.last_login_at, zone),
             "yes" if u.disabled else "")
            for u in found
        ],
    )  # fmt: skip


@tokens.command("create")
def token_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for (e.g. airlock-3).")] = "token",
    scope: Annotated[
        list[Permission] | None,
        typer.Option(help="A permission the token may use (repeat); default: all of the role's."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Make an API token; its secret is printed once and stored only as a hash."""
    rt = runtime(ctx)
    with rt.session() as session:
        info, secret = accounts.create_token(
            session,
            actor=rt.actor,
            name=name,
            user=user,
            scopes=frozenset(scope) if scope else None,
        )
    if as_json:
        emit_json({"id": info.id, "user": info.user, "scopes": info.scopes, "secret": secret})
        return
    console.print(f"token {info.id} for {info.user} ({', '.join(info.scopes)})")
    console.print(f"secret (shown only now): {secret}", markup=False)


@tokens.command("list")
def token_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Every API token (never the secrets)."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = accounts.list_tokens(session, actor=rt.actor, everyone=True)
    if as_json:
        emit_json(
            [
                {"id": t.id, "user": t.user, "name": t.name, "scopes": list(t.scopes),
                 "revoked": t.revoked_at is not None}
                for t in found
            ]
        )  # fmt: skip
        return
    zone = rt.settings.zone
    table(
        f"API tokens ({len(found)})",
        ["id", "user", "name", "scopes", "created", "revoked"],
        [
            (t.id, t.user, t.name, ", ".join(t.scopes), moment(t.created_at, zone),
             moment(t.revoked_at, zone))
            for t in found
        ],
    )  # fmt: skip


@tokens.command("revoke")
def token_revoke(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The token's id.")]
) -> None:
    """Revoke a token at once."""
    rt = runtime(ctx)
    with rt.session() as session:
        info = accounts.revoke_token(session, token_id, actor=rt.actor)
    console.print(f"token {info.id} of {info.user} revoked")


def serve(
    ctx: typer.Context,
    role: Annotated[
        Role | None,
        typer.Argument(help="Run only this process (doors, web or worker); default: all three."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port of the web (8000) or the doors.")
    ] = None,
    doors_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port of the doors when all three run.")
    ] = 8001,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Web worker processes.")] = 1,
) -> None:
    """Serve the store: the web API and dashboard on --port, door decisions on --doors-port
    (door controllers are configured with that URL), and a worker for jobs, rules on arrival
    and the periodic work, all three under supervisord, which restarts any that ends. With a
    ROLE, that process alone (a deployment across hosts: see deploy/)."""
    from cordon.api.settings import service_settings
    from cordon.serve.manager import environment, supervise
    from cordon.serve.roles import run_role

    rt = runtime(ctx)
    rt.store.check_ready()
    if role is None:
        web_port = port or 8000
        if doors_port == web_port:
            raise InvalidValue("--port and --doors-port must differ")
        for wanted, option in ((web_port, "--port"), (doors_port, "--doors-port")):
            _check_free(host, wanted, option)
        code = supervise(
            rt.settings, host=host, port=web_port, doors_port=doors_port, workers=workers,
            say=lambda line: console.print(line, markup=False),
        )  # fmt: skip
        raise typer.Exit(code)
    os.environ.update(environment(rt.settings))
    settings = service_settings(rt.settings)
    default = 8001 if role is Role.DOORS else 8000
    run_role(role, settings, host=host, port=port or default, workers=workers)


def _check_free(host: str, port: int, option: str) -> None:
    """Refuse at once, naming the option, when something already listens on the port (rather
    than printing a URL that another program answers)."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise InvalidValue(
                f"port {port} on {host} is in use (another cordon serve?): choose another with "
                f"{option} (make run PORT=...)"
            ) from None


def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .html or .pdf.")],
) -> None:
    """Write the situation report (figures, charts, lists) as HTML or PDF."""
    from cordon.web.report import build_report, render_html, render_pdf

    rt = runtime(ctx)
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise InvalidValue(f"{out}: the report is written as .html or .pdf")
    with rt.session() as session:
        built = build_report(session, actor=rt.actor, settings=rt.settings)
    html = render_html(built, rt.settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        out.write_bytes(render_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    console.print(f"report written to {out} ({out.stat().st_size:,} bytes)")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(users, name="user")
    app.add_typer(tokens, name="token")
    app.command("serve")(serve)
    app.command("report")(report)
